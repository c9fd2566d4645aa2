"""Hostile servers (`hostile.py`): every call ends in bounded time and memory with a typed
error, on the sync helper, the async helper and a direct generated call alike, and no
error shows the signed headers.

The time and memory bounds are deliberately loose (3x the deadline, 4x the cap): they
guard a hang or a blow-up, not speed. Memory is measured with tracemalloc around the call.
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

from kucoin_futures import (
    Clock,
    InvalidReplyError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    aset_margin_mode,
    calibrate_clock,
    futures_client,
    set_margin_mode,
)
from kucoin_futures.cli import main
from kucoin_futures_client import Client
from kucoin_futures_client.api.positions import batch_change_margin_mode
from kucoin_futures_client.models import BatchChangeMarginModeRequest, MarginMode

from . import hostile
from .conftest import throwaway_credentials

TIMEOUT_S = 1.0
DEADLINE_S = 2 * TIMEOUT_S  # connect + read
CAP = 1024 * 1024
SYMBOLS = ["XBTUSDTM"]
SUCCESS = b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":"ISOLATED"},"errors":[]}}'


def _sync(client: Client) -> object:
    with client:
        return set_margin_mode(client, "ISOLATED", SYMBOLS)


def _async(client: Client) -> object:
    async def switch() -> object:
        async with client:
            return await aset_margin_mode(client, "ISOLATED", SYMBOLS)

    return asyncio.run(switch())


def _generated(client: Client) -> object:
    body = BatchChangeMarginModeRequest(margin_mode=MarginMode.ISOLATED, symbols=SYMBOLS)
    with client:
        return batch_change_margin_mode.sync(client=client, body=body)


PATHS = pytest.mark.parametrize(
    "call", [_sync, _async, _generated], ids=["sync", "async", "generated"]
)


@attrs.frozen
class Run:
    error: BaseException | None
    elapsed_s: float
    peak_bytes: int


def measured(action: Callable[[], object]) -> Run:
    tracemalloc.start()
    started = time.monotonic()
    error: BaseException | None = None
    try:
        action()
    except Exception as exc:
        error = exc
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Run(error, elapsed, peak)


def client_for(server: hostile.HostileServer, **options: Any) -> Client:
    settings: dict[str, Any] = {"timeout": TIMEOUT_S, "retry": None, "max_reply_bytes": CAP}
    return futures_client(throwaway_credentials(), base_url=server.base_url, **settings | options)


def run_against(
    behaviour: hostile.Behaviour, call: Callable[[Client], object], **options: Any
) -> Run:
    with hostile.serving(behaviour) as server:
        client = client_for(server, **options)
        return measured(lambda: call(client))


# 1. No deadline -------------------------------------------------------------------------


@PATHS
@pytest.mark.parametrize(
    "behaviour",
    [hostile.trickle_body(SUCCESS), hostile.trickle_headers()],
    ids=["body", "headers"],
)
def test_a_trickling_server_ends_in_a_retryable_transport_error_within_the_deadline(
    call: Callable[[Client], object], behaviour: hostile.Behaviour
) -> None:
    # A byte every 0.2 s never trips the 1 s read timeout: only the deadline ends this.
    run = run_against(behaviour, call)
    assert isinstance(run.error, TransportError), run.error
    assert run.error.retryable
    assert "deadline" in str(run.error)
    assert run.elapsed_s < 3 * DEADLINE_S


def test_with_retries_the_whole_call_ends_within_the_budget_plus_a_deadline() -> None:
    policy = RetryPolicy(max_attempts=10, max_elapsed_s=1.0, base_delay_s=0.01, max_delay_s=0.02)
    with hostile.serving(hostile.trickle_body(SUCCESS)) as server:
        run = measured(lambda: _sync(client_for(server, retry=policy)))
        attempts = len(server.requests)
    assert isinstance(run.error, TransportError)
    assert attempts >= 1
    assert run.elapsed_s < 3 * (policy.max_elapsed_s + DEADLINE_S)


class SkippedWaits:
    """The CLI's `sleep` and `monotonic`: a wait between attempts is skipped but counted,
    so the retry budget runs out after the attempts alone (each cut by the real attempt
    deadline) instead of after the real backoff waits as well."""

    def __init__(self) -> None:
        self.waited_s = 0.0

    def sleep(self, seconds: float) -> None:
        self.waited_s += seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.waited_s


def test_the_cli_ends_with_exit_3_within_the_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    credentials = throwaway_credentials()
    clock = SkippedWaits()
    timeout_s = 0.1  # each attempt is cut at 2 x 0.1 s; the bytes come every 0.02 s
    with hostile.serving(hostile.trickle_body(SUCCESS, every_s=0.02)) as server:
        env = {
            "KUCOIN_API_KEY": credentials.key,
            "KUCOIN_API_SECRET": credentials.secret,
            "KUCOIN_API_PASSPHRASE": credentials.passphrase,
            "KUCOIN_FUTURES_BASE_URL": server.base_url,
        }
        started = clock.monotonic()
        argv = ["set", "ISOLATED", "XBTUSDTM", "--timeout", str(timeout_s)]
        code = main(argv, environ=env, sleep=clock.sleep, monotonic=clock.monotonic)
        elapsed = clock.monotonic() - started
        attempts = len(server.requests)
    assert code == 3
    assert attempts >= 2, "it retried"
    # The CLI retries within its budget (10 s, on its own clock): bounded by that plus one
    # attempt's deadline.
    assert elapsed < 3 * (10 + 2 * timeout_s)
    assert "Traceback" not in capsys.readouterr().err


# 2. No size cap --------------------------------------------------------------------------


@PATHS
@pytest.mark.parametrize("status", [200, 503])
def test_an_endless_body_stops_at_the_cap_and_is_not_downloaded_again(
    call: Callable[[Client], object], status: int
) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
    with hostile.serving(hostile.endless_chunks(status=status)) as server:
        run = measured(lambda: call(client_for(server, retry=policy)))
        attempts = len(server.requests)
    assert type(run.error) is InvalidReplyError, run.error
    assert not run.error.retryable
    assert "larger than 1048576 bytes" in str(run.error)
    assert attempts == 1
    assert run.peak_bytes < 4 * CAP


def _zlib_bomb(decoded_mib: int) -> bytes:
    return zlib.compress(bytes(decoded_mib * 1024 * 1024), 9)


BOMBS = {
    "gzip": lambda: hostile.gzip_bomb(256),
    "deflate": lambda: _zlib_bomb(256),
    "gzip, gzip": lambda: hostile.gzipped(hostile.gzip_bomb(256)),
}


@PATHS
@pytest.mark.parametrize("encoding", list(BOMBS))
def test_a_compression_bomb_stops_at_the_cap(
    call: Callable[[Client], object], encoding: str
) -> None:
    body = BOMBS[encoding]()
    behaviour = hostile.reply(body, headers={"Content-Encoding": encoding})
    run = run_against(behaviour, call)
    assert type(run.error) is InvalidReplyError, run.error
    assert "after decompression" in str(run.error)
    assert run.peak_bytes < 4 * CAP


def test_a_compressed_reply_within_the_cap_is_read() -> None:
    behaviour = hostile.reply(hostile.gzipped(SUCCESS), headers={"Content-Encoding": "gzip"})
    with hostile.serving(behaviour) as server:
        outcome = _sync(client_for(server))
    assert outcome.switched == {"XBTUSDTM": "ISOLATED"}  # type: ignore[attr-defined]


def test_an_encoding_not_asked_for_is_refused() -> None:
    with hostile.serving(hostile.reply(SUCCESS, headers={"Content-Encoding": "br"})) as server:
        run = measured(lambda: _sync(client_for(server)))
        asked = server.requests[0].headers["accept-encoding"]
    assert asked == "gzip, deflate"
    assert type(run.error) is InvalidReplyError
    assert "'br' was not asked for" in str(run.error)


# 3. Deeply nested JSON -------------------------------------------------------------------

DEEP = b"[" * 3000 + b"]" * 3000
NESTED_40 = b"[" * 40 + b"]" * 40


@PATHS
@pytest.mark.parametrize(
    "body",
    [
        b'{"code":"200000","data":' + DEEP + b"}",
        b'{"code":"200000","data":{"marginMode":{},"errors":[]},"x":' + NESTED_40 + b"}",
        b'{"code":"300000","msg":' + DEEP + b"}",
    ],
    ids=["success-deep", "success-40", "error-deep"],
)
def test_deep_json_is_an_invalid_reply(call: Callable[[Client], object], body: bytes) -> None:
    run = run_against(hostile.reply(body), call)
    assert isinstance(run.error, InvalidReplyError), run.error
    assert "nested deeper than 32" in str(run.error)


def test_deep_json_in_the_clock_sync_is_an_invalid_reply() -> None:
    body = b'{"code":"200000","data":' + DEEP + b"}"
    with hostile.serving(hostile.reply(body)) as server, client_for(server) as client:
        run = measured(lambda: calibrate_clock(client))
    assert isinstance(run.error, InvalidReplyError)


# 4. Oversized numbers --------------------------------------------------------------------

HUGE = b"9" * 5000


@PATHS
def test_a_number_of_thousands_of_digits_is_an_invalid_reply(
    call: Callable[[Client], object],
) -> None:
    body = b'{"code":"200000","data":{"marginMode":{},"errors":[]},"n":' + HUGE + b"}"
    run = run_against(hostile.reply(body), call)
    assert isinstance(run.error, InvalidReplyError), run.error
    assert "number of 5000 characters" in str(run.error)


@PATHS
def test_an_absurd_rate_limit_header_does_not_change_the_class(
    call: Callable[[Client], object],
) -> None:
    body = b'{"code":"429000","msg":"Too Many Requests"}'
    headers = {"gw-ratelimit-reset": "9" * 5000, "gw-ratelimit-remaining": "-1x"}
    run = run_against(hostile.reply(body, status=429, headers=headers), call)
    assert type(run.error) is RateLimitError, run.error
    assert run.error.rate_limit.reset_ms is None


@pytest.mark.parametrize("server_time", [b"100000000000000000000", b"-5", b"0", HUGE])
def test_an_absurd_server_time_is_not_applied(server_time: bytes) -> None:
    clock = Clock()
    body = b'{"code":"200000","data":' + server_time + b"}"
    with hostile.serving(hostile.reply(body)) as server, client_for(server, clock=clock) as client:
        run = measured(lambda: calibrate_clock(client))
    assert isinstance(run.error, InvalidReplyError), run.error
    assert clock.offset_ms == 0


# 5. Secrets echoed back ------------------------------------------------------------------


def _echo_in_symbol_error(quoted: str) -> bytes:
    errors = [{"symbol": "XBTUSDTM", "code": "50002", "msg": quoted}]
    return json.dumps({"code": "200000", "data": {"marginMode": {}, "errors": errors}}).encode()


def _echo_in_symbol_name(quoted: str) -> bytes:
    return json.dumps(
        {"code": "200000", "data": {"marginMode": {quoted: 1}, "errors": []}}
    ).encode()


def _all_text(error: BaseException) -> str:
    texts = ["".join(traceback.format_exception(error))]
    current: BaseException | None = error
    while current is not None:
        texts += [str(current), repr(current), *map(str, current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


@PATHS
@pytest.mark.parametrize(
    "behaviour",
    [
        hostile.echo_success(_echo_in_symbol_error),
        hostile.echo_success(_echo_in_symbol_name),
        hostile.echo_status_line(),
    ],
    ids=["success-msg", "success-key", "status-line"],
)
def test_a_reply_that_echoes_the_signed_headers_never_shows_them(
    call: Callable[[Client], object], behaviour: hostile.Behaviour
) -> None:
    with hostile.serving(behaviour) as server:
        run = measured(lambda: call(client_for(server)))
        sent = server.requests[0].headers
    assert isinstance(run.error, InvalidReplyError | TransportError), run.error
    text = _all_text(run.error)
    for name in ("kc-api-passphrase", "kc-api-sign"):
        assert sent[name] not in text


def test_a_5xx_with_a_cut_off_compressed_body_is_a_retryable_server_error() -> None:
    body = hostile.gzipped(b'{"code":"500000","msg":"down"}')[:-6]
    behaviour = hostile.reply(body, status=503, headers={"Content-Encoding": "gzip"})
    run = run_against(behaviour, _sync)
    assert isinstance(run.error, ServerError) and isinstance(run.error, InvalidReplyError)
    assert "cut off" in str(run.error)


def test_the_deadline_follows_the_timeout() -> None:
    client = futures_client(
        throwaway_credentials(),
        base_url="http://127.0.0.1:1",
        timeout=httpx.Timeout(7.0, connect=3.0),
    )
    assert client.get_httpx_client().attempt_deadline_s == 10.0  # type: ignore[attr-defined]
    assert client.get_async_httpx_client().attempt_deadline_s == 10.0  # type: ignore[attr-defined]
