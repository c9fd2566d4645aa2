"""`deadline_s` bounds the whole call: every symbol, every retry, every pause.

The server is a 429 storm (every request refused, no usable `gw-ratelimit-reset`).
Time is a fake clock that only the client's sleeps move, so the tests wait for nothing
and the bounds are exact: once the deadline has passed nothing more is sent, and every
symbol is accounted for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

from kucoin_futures import (
    DeadlineExceededError,
    FuturesClient,
    RateLimitError,
    Reason,
    Result,
    aget_margin_modes,
    apply_margin_modes,
    apply_position_settings,
    aset_margin_mode,
    get_margin_modes,
    set_margin_mode,
)
from kucoin_futures._defaults import default_deadline_s
from kucoin_futures._http import KucoinAsyncHTTPClient, KucoinHTTPClient

from .conftest import answering

SYMBOLS = [f"S{n}USDTM" for n in range(10)]


@attrs.define
class FakeTime:
    now: float = 0.0
    sent_at: list[float] = attrs.field(factory=list)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def monotonic(self) -> float:
        return self.now


def storm(time: FakeTime, reset: str | None) -> FuturesClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        time.sent_at.append(time.now)
        headers = {} if reset is None else {"gw-ratelimit-reset": reset}
        return httpx.Response(429, headers=headers, json={"code": "429000", "msg": "busy"})

    client = answering(refuse)
    sync_http, async_http = client.get_httpx_client(), client.get_async_httpx_client()
    assert isinstance(sync_http, KucoinHTTPClient)
    assert isinstance(async_http, KucoinAsyncHTTPClient)
    sync_http.monotonic = async_http.monotonic = time.monotonic
    sync_http.sleep, async_http.sleep = time.sleep, time.asleep
    return client


def read_sync(client: FuturesClient, deadline_s: float | None) -> Any:
    return get_margin_modes(client, SYMBOLS, deadline_s=deadline_s)


def read_async(client: FuturesClient, deadline_s: float | None) -> Any:
    return asyncio.run(aget_margin_modes(client, SYMBOLS, deadline_s=deadline_s))


READS = pytest.mark.parametrize("read", [read_sync, read_async], ids=["sync", "async"])
RESETS = pytest.mark.parametrize("reset", [None, "-5"], ids=["no-reset", "reset=-5"])


@READS
@RESETS
def test_a_429_storm_read_ends_at_the_deadline_with_every_symbol_failed(
    read: Callable[[FuturesClient, float | None], Any], reset: str | None
) -> None:
    time = FakeTime()
    readout = read(storm(time, reset), 5.0)
    assert readout.modes == {}
    assert list(readout.failed) == SYMBOLS
    assert time.now <= 5.0  # no pause ran past the deadline
    assert time.sent_at and max(time.sent_at) < 5.0  # nothing sent once it had passed
    assert len(time.sent_at) <= 10  # backed off: about one request a second
    never_sent = [e for e in readout.failed.values() if not isinstance(e, RateLimitError)]
    assert never_sent, "the deadline should have cut the storm short"
    for symbol, error in readout.failed.items():
        assert isinstance(error, DeadlineExceededError | RateLimitError)
        if isinstance(error, DeadlineExceededError):
            assert "not read" in str(error) or "not sent" in str(error)
            assert "deadline of 5 s" in str(error)
            assert symbol in str(error)


@READS
def test_the_default_deadline_scales_with_the_symbols(
    read: Callable[[FuturesClient, float | None], Any],
) -> None:
    time = FakeTime()
    readout = read(storm(time, None), None)
    assert list(readout.failed) == SYMBOLS
    assert default_deadline_s(10) == 62.5
    assert 5.0 < time.now <= 62.5
    assert max(time.sent_at) < 62.5


def test_the_default_deadline_leaves_room_for_a_paced_thousand() -> None:
    # 1000 reads of weight 2 against 2000 per 30 s: one window's wait, and round trips.
    assert default_deadline_s(1000) >= 30 + 1000 * 0.2


@pytest.mark.parametrize("switch", ["sync", "async"])
def test_a_switch_stops_at_the_deadline_not_at_the_retry_budget(switch: str) -> None:
    time = FakeTime()
    client = storm(time, None)

    def call() -> object:
        if switch == "sync":
            return set_margin_mode(client, "CROSS", SYMBOLS, deadline_s=2.0)
        return asyncio.run(aset_margin_mode(client, "CROSS", SYMBOLS, deadline_s=2.0))

    with pytest.raises(DeadlineExceededError) as caught:
        call()
    assert "not sent again after RateLimitError" in str(caught.value)
    assert isinstance(caught.value.last_error, RateLimitError)
    assert caught.value.__cause__ is caught.value.last_error
    assert time.now <= 2.0
    assert max(time.sent_at) < 2.0


def test_apply_stops_at_its_deadline_and_reports_every_symbol() -> None:
    time = FakeTime()
    client = storm(time, None)
    report = apply_margin_modes(client, dict.fromkeys(SYMBOLS, "CROSS"), deadline_s=3.0)
    assert [s.symbol for s in report.symbols] == SYMBOLS
    # Read and refused, or (once the deadline passed) never sent: not attempted, and the
    # deadline is the call's error.
    assert {str(s.result) for s in report.symbols} == {"unreadable", "not attempted"}
    assert isinstance(report.error, DeadlineExceededError)
    assert {s.reason for s in report.symbols if s.result is Result.NOT_ATTEMPTED} == {
        Reason.DEADLINE
    }
    assert time.now <= 3.0
    assert max(time.sent_at) < 3.0


def test_a_nested_call_keeps_the_enclosing_deadline() -> None:
    time = FakeTime()
    client = storm(time, None)
    # apply's reads run with apply's 3 s, not get_margin_modes' own default of 62.5 s.
    apply_margin_modes(client, {"XBTUSDTM": "CROSS"}, deadline_s=3.0)
    assert time.now <= 3.0


@pytest.mark.parametrize("deadline_s", [0, 0.0])
def test_a_zero_deadline_sends_nothing(deadline_s: float) -> None:
    time = FakeTime()
    readout = get_margin_modes(storm(time, None), SYMBOLS, deadline_s=deadline_s)
    assert time.sent_at == []
    assert all(isinstance(e, DeadlineExceededError) for e in readout.failed.values())


THREE = ["XBTUSDTM", "ETHUSDTM", "SOLUSDTM"]


def one_second_a_request(time: FakeTime) -> FuturesClient:
    """A KuCoin that answers every request at once, on a clock that moves 1 s a request:
    modes CROSS, leverages 5, every change accepted."""

    def answer(request: httpx.Request) -> httpx.Response:
        time.sent_at.append(time.now)
        time.now += 1.0
        symbol = request.url.params.get("symbol", "")
        if request.url.path.endswith("getMarginMode"):
            data: object = {"symbol": symbol, "marginMode": "CROSS"}
        elif request.url.path.endswith("getCrossUserLeverage"):
            data = {"symbol": symbol, "leverage": "5"}
        elif request.url.path.endswith("batchChangeMarginMode"):
            asked = json.loads(request.content)
            data = {
                "marginMode": dict.fromkeys(asked["symbols"], asked["marginMode"]),
                "errors": [],
            }
        else:
            data = True
        return httpx.Response(200, json={"code": "200000", "data": data})

    client = answering(answer)
    http = client.get_httpx_client()
    assert isinstance(http, KucoinHTTPClient)
    http.monotonic, http.sleep = time.monotonic, time.sleep
    return client


@pytest.mark.parametrize("setting", [{"leverage": 10}, {"marginMode": "ISOLATED"}])
def test_what_the_deadline_kept_from_being_sent_is_not_attempted(setting: dict[str, Any]) -> None:
    # Reads at 0 s and 1 s; at 2 s the 1.5 s deadline has passed: the third read is never
    # sent, nothing is changed, and the deadline is the report's error.
    time = FakeTime()
    client = one_second_a_request(time)
    report = apply_position_settings(client, dict.fromkeys(THREE, setting), deadline_s=1.5)
    assert time.sent_at == [0.0, 1.0]
    assert isinstance(report.error, DeadlineExceededError)
    assert "deadline of 1.5 s" in str(report.error)
    assert [(r.symbol, r.result, r.reason) for r in report.symbols] == [
        (symbol, Result.NOT_ATTEMPTED, Reason.DEADLINE) for symbol in THREE
    ]


def test_changes_the_deadline_kept_from_being_sent_are_not_attempted() -> None:
    # Three reads (0, 1, 2 s) within 2.5 s; the first change at 3 s is never sent.
    time = FakeTime()
    client = one_second_a_request(time)
    report = apply_position_settings(client, {s: {"leverage": 10} for s in THREE}, deadline_s=2.5)
    assert time.sent_at == [0.0, 1.0, 2.0]
    assert isinstance(report.error, DeadlineExceededError)
    assert [(r.current, r.result, r.reason) for r in report.symbols] == [
        ("5", Result.NOT_ATTEMPTED, Reason.DEADLINE)
    ] * 3
    assert all("not changed: the call's deadline of 2.5 s" in r.msg for r in report.symbols)


def test_a_mode_batch_the_deadline_kept_from_being_sent_is_not_attempted() -> None:
    time = FakeTime()
    client = one_second_a_request(time)
    report = apply_position_settings(
        client, {s: {"marginMode": "ISOLATED"} for s in THREE}, deadline_s=2.5
    )
    assert time.sent_at == [0.0, 1.0, 2.0]
    assert isinstance(report.error, DeadlineExceededError)
    assert [(r.current, r.result, r.reason) for r in report.symbols] == [
        ("CROSS", Result.NOT_ATTEMPTED, Reason.DEADLINE)
    ] * 3
