"""The fault matrix: every fault the mock can inject, through the real client over loopback.

A fault that strikes once ends in success after a retry that was signed afresh; a fault
that persists ends in the right typed error, after the bounded number of attempts. The
mock checks every signature, so a retried request it accepts was validly re-signed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kucoin_futures import (
    AuthenticationError,
    Clock,
    FuturesClient,
    InvalidParameterError,
    InvalidReplyError,
    KucoinError,
    MarginModeOutcome,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    aset_margin_mode,
    futures_client,
    get_margin_mode,
    set_margin_mode,
)
from kucoin_futures_mock import Fault, MockKucoin, RunningMock, serve_in_thread

from .conftest import BATCH_PATH as POST_PATH

SYMBOLS = ["XBTUSDTM", "ETHUSDTM"]
MAX_ATTEMPTS = 3
# Latency faults (1 s) outlast the short timeout used against them; other tests keep a
# generous one, so a slow moment on a busy machine is not mistaken for a fault.
SHORT_TIMEOUT_S = 0.3
TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def running() -> Iterator[RunningMock]:
    with serve_in_thread() as server:
        yield server


@pytest.fixture
def mock(running: RunningMock) -> Iterator[MockKucoin]:
    running.mock.clear_faults()
    running.mock.reset_rate_limits()
    for symbol in SYMBOLS:
        running.mock.set_mode(symbol, "CROSS")
    yield running.mock
    running.mock.clear_faults()


class Attempts:
    """What the client sent, per attempt (headers as signed), and how long it waited."""

    def __init__(self) -> None:
        self.signed: list[tuple[str, str]] = []
        self.sleeps: list[float] = []

    def record(self, request: httpx.Request) -> None:
        if request.url.path == POST_PATH:
            self.signed.append(
                (request.headers["kc-api-timestamp"], request.headers["kc-api-sign"])
            )

    async def arecord(self, request: httpx.Request) -> None:
        self.record(request)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def ticking_clock() -> Clock:
    """Real time, plus 1 ms more at every reading: retries a millisecond apart (the tiny
    test backoff) still get distinct timestamps, hence distinct signatures."""
    ticks = itertools.count()
    return Clock(time_fn=lambda: time.time() + next(ticks) / 1000)


def client_for(
    running: RunningMock, attempts: Attempts, *, asynchronous: bool, timeout_s: float = TIMEOUT_S
) -> FuturesClient:
    hook = attempts.arecord if asynchronous else attempts.record
    client = futures_client(
        running.credentials,
        base_url=running.base_url,
        clock=ticking_clock(),
        timeout=httpx.Timeout(timeout_s, connect=2.0),
        retry=RetryPolicy(max_attempts=MAX_ATTEMPTS, base_delay_s=0.001, max_delay_s=0.002),
        httpx_args={"event_hooks": {"request": [hook]}},
    )
    if asynchronous:
        client.get_async_httpx_client().sleep = attempts.asleep  # type: ignore[attr-defined]
    else:
        client.get_httpx_client().sleep = attempts.sleep  # type: ignore[attr-defined]
    return client


def switch(
    running: RunningMock, attempts: Attempts, *, asynchronous: bool, fault: str = ""
) -> MarginModeOutcome:
    timeout_s = SHORT_TIMEOUT_S if fault == "latency" else TIMEOUT_S
    client = client_for(running, attempts, asynchronous=asynchronous, timeout_s=timeout_s)
    if not asynchronous:
        with client:
            return set_margin_mode(client, "ISOLATED", SYMBOLS)

    async def call() -> MarginModeOutcome:
        async with client:
            return await aset_margin_mode(client, "ISOLATED", SYMBOLS)

    return asyncio.run(call())


ONCE: dict[str, dict[str, Any]] = {
    "latency": {"ms": 1000},
    "http_500": {},
    "http_503": {},
    "html_502": {},
    "reset": {},
    "truncated": {},
    "burst_429": {"reset_ms": 1500},
}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("fault", sorted(ONCE))
def test_a_passing_fault_ends_in_success_after_a_fresh_signature(
    running: RunningMock, mock: MockKucoin, fault: str, asynchronous: bool
) -> None:
    mock.inject(fault, count=1, **ONCE[fault])
    attempts = Attempts()
    outcome = switch(running, attempts, asynchronous=asynchronous, fault=fault)
    assert outcome.all_switched
    assert mock.mode_of("XBTUSDTM") == "ISOLATED"
    assert len(attempts.signed) == 2
    (first_ts, first_sign), (second_ts, second_sign) = attempts.signed
    assert first_sign != second_sign
    assert int(second_ts) > int(first_ts)
    assert len(attempts.sleeps) == 1
    if fault == "burst_429":
        assert 1.5 <= attempts.sleeps[0] < 1.51  # the gw-ratelimit-reset the reply gave


PERSISTENT: list[tuple[str, dict[str, Any], type[KucoinError]]] = [
    ("latency", {"ms": 1000}, TransportError),
    ("http_500", {}, ServerError),
    ("http_503", {}, ServerError),
    ("html_502", {}, ServerError),
    ("reset", {}, TransportError),
    ("truncated", {}, InvalidReplyError),
    ("burst_429", {"reset_ms": 5}, RateLimitError),
]


@pytest.mark.parametrize(("fault", "params", "expected"), PERSISTENT)
def test_a_lasting_fault_ends_in_the_right_typed_error(
    running: RunningMock,
    mock: MockKucoin,
    fault: str,
    params: dict[str, Any],
    expected: type[KucoinError],
) -> None:
    mock.inject(fault, **params)
    attempts = Attempts()
    with pytest.raises(expected) as info:
        switch(running, attempts, asynchronous=False, fault=fault)
    assert len(attempts.signed) == MAX_ATTEMPTS
    assert len({sign for _ts, sign in attempts.signed}) == MAX_ATTEMPTS
    if fault == "html_502":
        assert isinstance(info.value, InvalidReplyError)
        assert info.value.excerpt.lstrip().lower().startswith(("<!doctype html", "<html"))
    if fault in ("latency", "reset"):
        assert isinstance(info.value.__cause__, httpx.TransportError)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_clock_skew_is_measured_and_the_call_resigned(
    running: RunningMock, mock: MockKucoin, asynchronous: bool
) -> None:
    mock.inject("clock_skew", ms=30_000)
    attempts = Attempts()
    client = client_for(running, attempts, asynchronous=asynchronous)
    if asynchronous:

        async def call() -> MarginModeOutcome:
            async with client:
                return await aset_margin_mode(client, "ISOLATED", SYMBOLS)

        outcome = asyncio.run(call())
    else:
        with client:
            outcome = set_margin_mode(client, "ISOLATED", SYMBOLS)
    assert outcome.all_switched
    assert len(attempts.signed) == 2
    # The retry's timestamp is on the server's clock: about 30 s after the first one.
    assert 25_000 < int(attempts.signed[1][0]) - int(attempts.signed[0][0]) < 35_000
    assert attempts.sleeps == []


def test_clock_skew_without_clock_sync_is_an_authentication_error(
    running: RunningMock, mock: MockKucoin
) -> None:
    mock.inject("clock_skew", ms=-30_000)
    client = futures_client(running.credentials, base_url=running.base_url, clock_sync=False)
    with client, pytest.raises(AuthenticationError) as info:
        set_margin_mode(client, "ISOLATED", SYMBOLS)
    assert info.value.code == "400002"


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_business_error_is_typed_and_not_retried(
    running: RunningMock, mock: MockKucoin, asynchronous: bool
) -> None:
    mock.inject("business_error", count=1)
    attempts = Attempts()
    with pytest.raises(InvalidParameterError) as info:
        switch(running, attempts, asynchronous=asynchronous)
    assert (info.value.code, info.value.status) == ("300000", 200)
    assert len(attempts.signed) == 1
    assert mock.mode_of("XBTUSDTM") == "CROSS"


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_lost_switch_passes_for_a_success_until_read_back(
    running: RunningMock, mock: MockKucoin, asynchronous: bool
) -> None:
    # What the switch reply says is all a client sees: only a read-back can tell.
    mock.inject("lost_switch", count=1)
    attempts = Attempts()
    assert switch(running, attempts, asynchronous=asynchronous).all_switched
    assert mock.mode_of("XBTUSDTM") == "CROSS"
    with futures_client(running.credentials, base_url=running.base_url) as client:
        assert get_margin_mode(client, "XBTUSDTM") == "CROSS"


def test_every_fault_kind_is_covered() -> None:
    covered = set(ONCE) | {fault for fault, _params, _error in PERSISTENT}
    covered |= {"clock_skew", "business_error", "lost_switch"}
    assert covered == {str(kind) for kind in Fault}
