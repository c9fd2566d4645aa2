"""The `lost_switch` fault, and what the mock records about each request (time included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kucoin_futures_mock import Fault, MockKucoin, serve_in_thread
from kucoin_futures_mock._cli import build_mock, build_parser
from kucoin_futures_mock._faults import parse_fault_spec

from .conftest import BATCH, READ, SWITCH, Caller, read_target, switch_body

BUSY = b'{"code":"50002","msg":"exist.order.or.position"}'


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)


def fresh(make_caller: Callable[..., Caller], **options: Any) -> tuple[MockKucoin, Caller]:
    mock = MockKucoin(**options)
    return mock, make_caller(mock)


# ---- lost_switch -----------------------------------------------------------------------------


def test_a_lost_batch_switch_replies_as_a_real_one_and_changes_nothing(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.set_busy("XBTUSDTM")
    symbols = ["ETHUSDTM", "XBTUSDTM", "NOPEUSDTM", "SOLUSDTM"]
    real_mock, real_caller = fresh(make_caller)
    real_mock.set_busy("XBTUSDTM")
    real = real_caller.switch("ISOLATED", symbols)

    mock.inject(Fault.LOST_SWITCH, count=1)
    lost = caller.switch("ISOLATED", symbols)

    assert lost.content == real.content
    assert lost.json()["data"]["marginMode"] == {
        "ETHUSDTM": "ISOLATED",
        "SOLUSDTM": "ISOLATED",
        "XBTUSDTM": "CROSS",
    }
    assert [e["code"] for e in lost.json()["data"]["errors"]] == ["50002", "200003"]
    assert set(mock.modes().values()) == {"CROSS"}, "nothing switched"
    assert set(real_mock.modes().values()) == {"CROSS", "ISOLATED"}
    assert mock.active_faults == ()
    caller.switch("ISOLATED", ["ETHUSDTM"])
    assert mock.mode_of("ETHUSDTM") == "ISOLATED", "the next switch is real"


def test_a_lost_single_switch_reports_the_target_and_changes_nothing(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("lost_switch", count=1)
    response = caller.switch_one("ETHUSDTM", "ISOLATED")
    assert response.json() == {
        "code": "200000",
        "data": {"symbol": "ETHUSDTM", "marginMode": "ISOLATED"},
    }
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    assert caller.read("ETHUSDTM").json()["data"]["marginMode"] == "CROSS", "a read shows it"
    caller.switch_one("ETHUSDTM", "ISOLATED")
    assert mock.mode_of("ETHUSDTM") == "ISOLATED"


def test_a_lost_single_switch_still_fails_busy_and_unknown_symbols(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.set_busy("XBTUSDTM")
    mock.inject("lost_switch")
    assert caller.switch_one("XBTUSDTM", "ISOLATED").content == BUSY
    assert caller.switch_one("NOPEUSDTM", "ISOLATED").json()["code"] == "200003"


def test_reads_and_refused_switches_never_consume_lost_switch(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("lost_switch", count=1)
    caller.read("ETHUSDTM")
    caller.read("NOPEUSDTM")
    caller.request("POST", SWITCH, b'{"symbol":"ETHUSDTM","marginMode":"cross"}')  # 400
    caller.switch_one("ETHUSDTM", "ISOLATED", headers={"KC-API-SIGN": "forged"})  # 401
    caller.server_time()
    (rule,) = mock.active_faults
    assert rule.count == 1
    caller.switch_one("ETHUSDTM", "ISOLATED")
    assert mock.mode_of("ETHUSDTM") == "CROSS", "the first valid switch was the lost one"
    assert mock.active_faults == ()


def test_lost_switch_takes_turns_with_outcomes_without_spending_its_count(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("lost_switch", count=1)
    mock.inject("http_503", count=1)
    assert caller.switch_one("ETHUSDTM", "ISOLATED").status_code == 503
    assert caller.switch_one("ETHUSDTM", "ISOLATED").status_code == 200
    assert mock.mode_of("ETHUSDTM") == "CROSS"
    assert caller.switch_one("ETHUSDTM", "ISOLATED").status_code == 200
    assert mock.mode_of("ETHUSDTM") == "ISOLATED"


def test_lost_switch_by_rate_repeats_with_the_seed(make_caller: Callable[..., Caller]) -> None:
    def run(seed: int) -> list[str]:
        mock, caller = fresh(make_caller, seed=seed)
        mock.inject("lost_switch", rate=0.5)
        seen = []
        for _ in range(12):
            mock.set_mode("ETHUSDTM", "CROSS")
            caller.switch_one("ETHUSDTM", "ISOLATED")
            seen.append(mock.mode_of("ETHUSDTM"))
        return seen

    first = run(seed=5)
    assert set(first) == {"CROSS", "ISOLATED"}
    assert run(seed=5) == first


def test_lost_switch_from_the_command_line() -> None:
    parser = build_parser()
    assert parse_fault_spec("lost_switch:count=2") == ("lost_switch", 2, None, {})
    mock = build_mock(parser.parse_args(["--fault", "lost_switch:count=2"]), parser)
    (rule,) = mock.active_faults
    assert (rule.kind, rule.count) == (Fault.LOST_SWITCH, 2)
    with pytest.raises(ValueError, match="unknown parameter"):
        mock.inject("lost_switch", ms=3)


def test_lost_switch_over_real_http_with_the_fixture(kucoin_mock: Any) -> None:
    kucoin_mock.mock.inject("lost_switch", count=1)
    from kucoin_futures_auth import KucoinAuth

    with httpx.Client(base_url=kucoin_mock.base_url, auth=KucoinAuth(kucoin_mock.credentials)) as c:
        reply = c.post(BATCH, content=switch_body("ISOLATED", ["ETHUSDTM"]), headers=_JSON)
        assert reply.json()["data"]["marginMode"] == {"ETHUSDTM": "ISOLATED"}
        read = c.get(READ, params={"symbol": "ETHUSDTM"})
        assert read.json()["data"]["marginMode"] == "CROSS"
    assert kucoin_mock.mock.mode_of("ETHUSDTM") == "CROSS"
    kucoin_mock.mock.set_mode("ETHUSDTM", "ISOLATED")
    assert kucoin_mock.mock.mode_of("ETHUSDTM") == "ISOLATED"


_JSON = {"Content-Type": "application/json"}


# ---- recorded requests -------------------------------------------------------------------------


def test_each_recorded_request_carries_its_arrival_time_on_the_mock_clock(
    make_caller: Callable[..., Caller],
) -> None:
    clock = FakeClock()
    mock, caller = fresh(make_caller, clock=clock, quota=4)
    arrivals = []
    for step in (0.0, 0.25, 1.5):
        clock.now += step
        arrivals.append(clock.now)
        caller.read("ETHUSDTM", timestamp_ms=clock.ms())
    clock.now += 0.001
    refused = caller.switch_one("ETHUSDTM", "ISOLATED", timestamp_ms=clock.ms())
    assert refused.status_code == 429

    records = mock.recent_requests
    assert [r.received_at for r in records[:3]] == arrivals
    assert [r.received_ms for r in records] == [int(t * 1000) for t in (*arrivals, clock.now)]
    assert [r.path for r in records[:3]] == [read_target("ETHUSDTM")] * 3
    assert [r.status for r in records] == [200, 200, 429, 429]
    last = records[-1]
    assert last.rate_limit_reset_ms == int(refused.headers["gw-ratelimit-reset"])
    assert last.reply["gw-ratelimit-remaining"] == "0"
    assert last.reply["content-type"] == "application/json"
    # What a pacing test compares: a 429's arrival plus its reset is when the pool opens
    # again (reset rounds up, arrival down: never early, at most 1 ms late).
    window_end_ms = int((arrivals[0] + 30.0) * 1000)
    assert 0 <= last.received_ms + last.rate_limit_reset_ms - window_end_ms <= 1


def test_the_arrival_time_is_taken_before_injected_latency(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("latency", count=1, ms=60)
    before = mock.clock()
    caller.read("ETHUSDTM")
    (record,) = mock.recent_requests
    assert before <= record.received_at < before + 0.05


def test_a_reply_without_rate_limit_headers_records_no_reset(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("html_502", count=1)
    caller.read("ETHUSDTM", check=False)
    (record,) = mock.recent_requests
    assert record.status == 502
    assert record.rate_limit_reset_ms is None


def test_how_many_recent_requests_are_kept_is_configurable(
    make_caller: Callable[..., Caller],
) -> None:
    assert MockKucoin().recent_limit == 100
    mock, caller = fresh(make_caller, recent_limit=1200, quota=10_000)
    symbols = [f"S{i:04d}USDTM" for i in range(1100)]
    for symbol in symbols[:3]:
        caller.read(symbol)
    assert len(mock.recent_requests) == 3
    mock.recent_limit = 2
    assert [r.path for r in mock.recent_requests] == [read_target(s) for s in symbols[1:3]]
    mock.recent_limit = 1500
    mock.clear_recent_requests()
    assert not mock.recent_requests
    assert mock.requests_seen == 3


def test_a_thousand_reads_are_all_kept_when_asked(kucoin_mock: Any) -> None:
    from kucoin_futures_auth import KucoinAuth

    mock: MockKucoin = kucoin_mock.mock
    mock.recent_limit = 1100
    mock.reset_rate_limits()
    auth = KucoinAuth(kucoin_mock.credentials)
    symbols = [*mock.symbols] * 90  # 1080 reads
    with httpx.Client(base_url=kucoin_mock.base_url, auth=auth) as client:
        # The Futures pool allows 1000 calls per window; the mock's reset makes room.
        for index, symbol in enumerate(symbols):
            if index == 900:
                mock.reset_rate_limits()
            assert client.get(READ, params={"symbol": symbol}).status_code == 200
    records = mock.recent_requests
    assert len(records) == len(symbols)
    assert [r.received_at for r in records] == sorted(r.received_at for r in records)


@pytest.mark.parametrize("limit", [-1, 1.5, True, "100"])
def test_a_bad_recent_limit_is_refused(limit: Any) -> None:
    with pytest.raises(ValueError, match="recent_limit"):
        MockKucoin(recent_limit=limit)
    mock = MockKucoin()
    with pytest.raises(ValueError, match="recent_limit"):
        mock.recent_limit = limit
    assert mock.recent_limit == 100


def test_serve_in_thread_records_over_real_http() -> None:
    mock = MockKucoin(recent_limit=5)
    with serve_in_thread(mock) as running, httpx.Client(base_url=running.base_url) as client:
        client.get("/api/v1/timestamp")
    (record,) = mock.recent_requests
    assert record.method == "GET"
    assert record.received_at <= mock.clock()
