"""Canary: a unique random secret and passphrase go through every scenario (success,
partial failure, each fault, refusals, hostile replies that echo the request, the CLI with
DEBUG logs on). Neither value, nor any signature or signed passphrase that was sent, may
appear in any log record, exception text (str, repr, traceback, chained causes) or CLI
output."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from kucoin_futures import (
    Credentials,
    KucoinError,
    RetryPolicy,
    aset_margin_mode,
    calibrate_clock,
    futures_client,
    set_margin_mode,
)
from kucoin_futures.cli import main
from kucoin_futures_mock import Account, MockKucoin, serve_in_thread

from .conftest import BATCH_PATH

SIGNATURE_HEADERS = ("kc-api-sign", "kc-api-passphrase")
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.002)


class Evidence:
    """Everything a user or an operator could see."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.texts: list[str] = []
        self.sent: set[str] = set()  # signature header values that went on the wire

    def exception(self, exc: BaseException) -> None:
        self.texts.append("".join(traceback.format_exception(exc)))
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.texts += [str(current), repr(current), *map(str, current.args)]
            current = current.__cause__ or current.__context__

    def run(self, action: Callable[[], Any]) -> None:
        try:
            result = action()
        except KucoinError as exc:
            self.exception(exc)
        else:
            self.texts.append(repr(result))

    def everything(self) -> str:
        logs = [self.caplog.text, *(record.getMessage() for record in self.caplog.records)]
        return "\n".join([*self.texts, *logs])

    def record_headers(self, headers: httpx.Headers | dict[str, str]) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        self.sent.update(lowered[name] for name in SIGNATURE_HEADERS if name in lowered)


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(
        key="canary-" + secrets.token_hex(4),
        secret="S3CRET-" + secrets.token_urlsafe(24),
        passphrase="PASS-" + secrets.token_urlsafe(12),
    )


@pytest.fixture
def evidence(caplog: pytest.LogCaptureFixture) -> Evidence:
    caplog.set_level(logging.DEBUG)  # root: our loggers, httpx, httpcore, uvicorn
    return Evidence(caplog)


def assert_nothing_leaked(evidence: Evidence, credentials: Credentials) -> None:
    assert evidence.sent, "the scenario sent no signed request: the check would be empty"
    canaries = {credentials.secret, credentials.passphrase, *evidence.sent}
    everything = evidence.everything()
    assert "kucoin_futures.http" in everything  # DEBUG records were captured
    leaked = sorted(name for name in canaries if name in everything)
    assert not leaked


def test_no_secret_leaks_through_the_mock_scenarios(
    credentials: Credentials, evidence: Evidence, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = MockKucoin(accounts=[Account(credentials)])
    mock.set_busy("XBTUSDTM")
    with serve_in_thread(mock) as running:
        client = futures_client(credentials, base_url=running.base_url, retry=FAST)
        evidence.texts += [repr(client), str(client)]
        symbols = ["XBTUSDTM", "ETHUSDTM", "NOSUCHUSDTM"]
        with client:
            evidence.run(lambda: set_margin_mode(client, "ISOLATED", symbols))
            for fault, params in [
                ("http_500", {}),
                ("http_503", {}),
                ("html_502", {}),
                ("reset", {}),
                ("truncated", {}),
                ("burst_429", {"reset_ms": 1}),
                ("business_error", {}),
            ]:
                mock.inject(fault, count=1, **params)
                evidence.run(lambda: set_margin_mode(client, "CROSS", ["ETHUSDTM"]))
                mock.inject(fault, count=FAST.max_attempts, **params)  # exhausts the retries
                evidence.run(lambda: set_margin_mode(client, "CROSS", ["ETHUSDTM"]))
            mock.inject("clock_skew", ms=20_000)
            evidence.run(lambda: set_margin_mode(client, "ISOLATED", ["ETHUSDTM"]))
            evidence.run(lambda: calibrate_clock(client))
            mock.clear_faults()
            evidence.run(lambda: set_margin_mode(client, "cross", ["ETHUSDTM"]))

        async def run_async() -> None:
            aclient = futures_client(credentials, base_url=running.base_url, retry=FAST)
            async with aclient:
                mock.inject("http_503", count=1)
                evidence.texts.append(repr(await aset_margin_mode(aclient, "CROSS", symbols)))

        asyncio.run(run_async())

        wrong_passphrase = Credentials(credentials.key, credentials.secret, "wrong-passphrase")
        with futures_client(wrong_passphrase, base_url=running.base_url) as refused:
            evidence.run(lambda: set_margin_mode(refused, "CROSS", ["ETHUSDTM"]))

        env = {
            "KUCOIN_API_KEY": credentials.key,
            "KUCOIN_API_SECRET": credentials.secret,
            "KUCOIN_API_PASSPHRASE": credentials.passphrase,
            "KUCOIN_FUTURES_BASE_URL": running.base_url,
        }
        for argv in (
            ["set", "ISOLATED", *symbols, "-v"],
            ["set", "ISOLATED", *symbols, "--json", "-v"],
            ["set", "CROSS", "ETHUSDTM", "ETHUSDTM"],
            ["set", "CROSS", "--bogus"],
        ):
            main(argv, environ=env)
        mock.inject("html_502", count=1)
        main(["set", "CROSS", "ETHUSDTM", "-v"], environ=env)
        main(["set", "CROSS", "ETHUSDTM"], environ={**env, "KUCOIN_API_PASSPHRASE": "nope"})
        for request in mock.recent_requests:
            evidence.record_headers(request.headers)
    captured = capsys.readouterr()
    evidence.texts += [captured.out, captured.err]
    assert_nothing_leaked(evidence, credentials)


def test_no_secret_leaks_when_a_reply_echoes_the_request(
    credentials: Credentials, evidence: Evidence
) -> None:
    """A proxy or a broken server that quotes the request's headers back."""

    def echo(request: httpx.Request) -> httpx.Response:
        evidence.record_headers(request.headers)
        quoted = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
        path = request.url.path
        if path.endswith("html"):
            return httpx.Response(502, text=f"<html><pre>{quoted}</pre></html>")
        if path.endswith("page"):
            return httpx.Response(200, text=f"<html>{quoted}</html>")
        if path.endswith("redirect"):
            return httpx.Response(302, text=quoted, headers={"location": "https://x/?" + quoted})
        if path.endswith("success") or path == BATCH_PATH:
            errors = [{"symbol": "XBTUSDTM", "code": "50002", "msg": quoted}]
            data = {"marginMode": {}, "errors": errors}
            return httpx.Response(200, json={"code": "200000", "data": data})
        if path.endswith("encoded"):
            location = "https://x/?q=" + quote(quoted, safe="")
            return httpx.Response(301, headers={"location": location})
        return httpx.Response(401, json={"code": "400005", "msg": f"bad request {quoted}"})

    client = futures_client(
        credentials,
        base_url="https://kucoin.test",
        retry=FAST,
        httpx_args={"transport": httpx.MockTransport(echo)},
    )
    http = client.get_httpx_client()
    http.sleep = lambda _seconds: None  # type: ignore[attr-defined]
    for path in (
        "/echo/html",
        "/echo/page",
        "/echo/redirect",
        "/echo/encoded",
        "/echo/json",
        "/echo/success",
    ):
        evidence.run(functools.partial(http.post, path, content=b'{"a":1}'))
    # The success path: a batch reply whose per-symbol message quotes the request.
    evidence.run(lambda: set_margin_mode(client, "ISOLATED", ["XBTUSDTM"]))
    assert_nothing_leaked(evidence, credentials)


def test_no_secret_leaks_from_bad_credentials(evidence: Evidence) -> None:
    secret, passphrase = secrets.token_urlsafe(24), secrets.token_urlsafe(12)
    for version in (1, 4):
        evidence.run(functools.partial(Credentials, "k", secret, passphrase, version))
    env = {"KUCOIN_API_SECRET": secret, "KUCOIN_API_PASSPHRASE": passphrase}
    evidence.run(lambda: Credentials.from_env(env))
    evidence.sent.add(secret)  # nothing was signed here; the secret itself is the canary
    everything = evidence.everything()
    assert "KUCOIN_API_KEY" in everything
    assert secret not in everything
    assert passphrase not in everything
