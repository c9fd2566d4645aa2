"""The dependency seams of the HTTP layer (`_network.py`), each guarded by a canary that
fails naming the seam and the dependency's version, and what a proxied call gets.

Seams: httpcore's `ConnectionPool(network_backend=...)` and its network-backend protocol
(connect, read, write with a timeout), `httpx.create_ssl_context`, and the httpcore error
classes the transport maps to httpx's.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from typing import Any

import httpcore
import httpx
import pytest

from kucoin_futures import TransportError, aset_margin_mode, futures_client, set_margin_mode
from kucoin_futures._network import _HTTPX_ERRORS, DeadlineBackend, DeadlineTransport

from . import hostile
from .conftest import throwaway_credentials

SUCCESS = b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":"ISOLATED"},"errors":[]}}'
VERSIONS = f"httpx {httpx.__version__}, httpcore {httpcore.__version__}"


def test_canary_the_pool_connects_and_reads_through_our_network_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    connect = DeadlineBackend.connect_tcp

    def spy(self: DeadlineBackend, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        calls.append("connect_tcp")
        stream = connect(self, *args, **kwargs)
        read = stream.read

        def counted_read(max_bytes: int, timeout: float | None = None) -> bytes:
            calls.append(f"read timeout={timeout is not None}")
            return read(max_bytes, timeout)

        stream.read = counted_read  # type: ignore[method-assign]
        return stream

    monkeypatch.setattr(DeadlineBackend, "connect_tcp", spy)
    with hostile.serving(hostile.reply(SUCCESS)) as server:
        client = futures_client(throwaway_credentials(), base_url=server.base_url)
        with client:
            set_margin_mode(client, "ISOLATED", ["XBTUSDTM"])
    assert calls[:1] == ["connect_tcp"] and "read timeout=True" in calls, (
        f"seam httpcore.ConnectionPool(network_backend=) / NetworkStream.read(max_bytes, "
        f"timeout) changed in {VERSIONS}: the attempt deadline no longer reaches the socket"
    )


def test_canary_the_network_backend_protocol_has_the_methods_we_wrap() -> None:
    for name in ("connect_tcp", "connect_unix_socket", "sleep"):
        ours = inspect.signature(getattr(DeadlineBackend, name))
        theirs = inspect.signature(getattr(httpcore.NetworkBackend, name))
        assert list(ours.parameters) == list(theirs.parameters), (
            f"seam httpcore.NetworkBackend.{name} changed in {VERSIONS}: {theirs}"
        )
    abstract = {n for n in vars(httpcore.NetworkStream) if not n.startswith("__")}
    assert abstract <= {"read", "write", "close", "start_tls", "get_extra_info"}, (
        f"seam httpcore.NetworkStream has new methods in {VERSIONS}: {sorted(abstract)}"
    )


@pytest.mark.parametrize(
    ("verify", "mode"), [(True, ssl.CERT_REQUIRED), (False, ssl.CERT_NONE)], ids=["on", "off"]
)
def test_canary_httpx_builds_the_tls_context_the_pool_gets(verify: bool, mode: int) -> None:
    context = httpx.create_ssl_context(verify=verify, cert=None, trust_env=True)
    assert context.verify_mode == mode, f"seam httpx.create_ssl_context changed in {VERSIONS}"


def test_the_clients_tls_settings_reach_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    create = httpx.create_ssl_context

    def spy(**kwargs: Any) -> ssl.SSLContext:
        seen.append(kwargs)
        return create(**kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", spy)
    client = futures_client(
        throwaway_credentials(),
        base_url="https://kucoin.test",
        httpx_args={"verify": False, "cert": None},
    )
    client.get_httpx_client()
    assert seen == [{"verify": False, "cert": None, "trust_env": True}]


def test_canary_every_httpcore_error_becomes_an_httpx_error() -> None:
    unmapped = [
        name
        for name in httpcore.__all__
        if isinstance(cls := getattr(httpcore, name), type)
        and issubclass(cls, Exception)
        and cls is not httpcore.ConnectionNotAvailable  # the pool's own, never raised out
        and not any(c in _HTTPX_ERRORS for c in cls.__mro__)
    ]
    assert not unmapped, f"seam: httpcore errors without an httpx twin in {VERSIONS}"


def test_a_transport_of_the_callers_own_is_kept() -> None:
    mine = httpx.MockTransport(lambda _request: httpx.Response(200, content=SUCCESS))
    client = futures_client(
        throwaway_credentials(), base_url="https://kucoin.test", httpx_args={"transport": mine}
    )
    with client:
        outcome = set_margin_mode(client, "ISOLATED", ["XBTUSDTM"])
    assert outcome.all_switched


def test_the_transport_refuses_an_async_body() -> None:
    async def body() -> Any:
        yield b"{}"

    request = httpx.Request("POST", "http://127.0.0.1:1/", content=body())
    with pytest.raises(TypeError, match="sync request body"):
        DeadlineTransport().handle_request(request)


# ---- what a proxied call gets --------------------------------------------------------------


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_environment_proxy_carries_the_sync_call_through_our_transport(
    proxy_env: pytest.MonkeyPatch,
) -> None:
    with hostile.serving(hostile.reply(SUCCESS)) as proxy:
        proxy_env.setenv("HTTP_PROXY", proxy.base_url)
        proxy_env.setenv("http_proxy", proxy.base_url)
        # Nothing listens on port 1: only the proxy can answer.
        client = futures_client(
            throwaway_credentials(), base_url="http://127.0.0.1:1", allow_http=True
        )
        with client:
            assert set_margin_mode(client, "ISOLATED", ["XBTUSDTM"]).all_switched
        paths = [r.path for r in proxy.requests]
    assert paths == ["http://127.0.0.1:1/api/v2/position/batchChangeMarginMode"]


def test_an_environment_proxy_carries_the_async_call_through_httpx(
    proxy_env: pytest.MonkeyPatch,
) -> None:
    async def switch(client: Any) -> Any:
        async with client:
            return await aset_margin_mode(client, "ISOLATED", ["XBTUSDTM"])

    with hostile.serving(hostile.reply(SUCCESS)) as proxy:
        proxy_env.setenv("HTTP_PROXY", proxy.base_url)
        proxy_env.setenv("http_proxy", proxy.base_url)
        client = futures_client(
            throwaway_credentials(), base_url="http://127.0.0.1:1", allow_http=True
        )
        assert asyncio.run(switch(client)).all_switched
        assert [r.path for r in proxy.requests] == [
            "http://127.0.0.1:1/api/v2/position/batchChangeMarginMode"
        ]


def test_no_proxy_is_obeyed(proxy_env: pytest.MonkeyPatch) -> None:
    with hostile.serving(hostile.reply(SUCCESS)) as server:
        proxy_env.setenv("HTTP_PROXY", "http://127.0.0.1:1")
        proxy_env.setenv("http_proxy", "http://127.0.0.1:1")
        proxy_env.setenv("NO_PROXY", "127.0.0.1")
        proxy_env.setenv("no_proxy", "127.0.0.1")
        client = futures_client(throwaway_credentials(), base_url=server.base_url, allow_http=True)
        with client:
            assert set_margin_mode(client, "ISOLATED", ["XBTUSDTM"]).all_switched


def test_a_proxied_sync_call_keeps_the_attempt_deadline(proxy_env: pytest.MonkeyPatch) -> None:
    with hostile.serving(hostile.trickle_body(SUCCESS)) as proxy:
        client = futures_client(
            throwaway_credentials(),
            base_url="http://127.0.0.1:1",
            allow_http=True,
            timeout=0.5,
            retry=None,
            httpx_args={"proxy": proxy.base_url},
        )
        with client, pytest.raises(TransportError, match="deadline") as caught:
            set_margin_mode(client, "ISOLATED", ["XBTUSDTM"])
        assert proxy.requests[0].path.startswith("http://127.0.0.1:1/")
    assert caught.value.retryable
