"""Fault injection: each kind, by count and by rate, seeded so runs repeat."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kucoin_futures_mock import Fault, MockKucoin, serve_in_thread
from kucoin_futures_mock._faults import parse_fault_spec

from .conftest import BATCH, RATE_LIMIT_HEADERS, Caller


def fresh(make_caller: Callable[..., Caller], **options: Any) -> tuple[MockKucoin, Caller]:
    mock = MockKucoin(**options)
    return mock, make_caller(mock)


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("http_500", 500, "500000"),
        ("http_503", 503, "503000"),
        ("burst_429", 429, "429000"),
        ("business_error", 200, "300000"),
    ],
)
def test_replacing_faults_fire_for_the_next_count_requests_then_stop(
    make_caller: Callable[..., Caller], kind: str, status: int, code: str
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject(kind, count=2)
    faulty = [caller.switch("ISOLATED", ["ETHUSDTM"]) for _ in range(2)]
    assert [(r.status_code, r.json()["code"]) for r in faulty] == [(status, code)] * 2
    assert mock.mode_of("ETHUSDTM") == "CROSS", "a replaced reply changes nothing"
    assert caller.switch("ISOLATED", ["ETHUSDTM"]).json()["code"] == "200000"
    assert mock.mode_of("ETHUSDTM") == "ISOLATED"
    assert mock.active_faults == ()


def test_burst_429_reports_its_reset_and_charges_nothing(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject(Fault.BURST_429, count=1, reset_ms=250)
    response = caller.switch("ISOLATED", ["ETHUSDTM"])
    assert response.status_code == 429
    assert [response.headers[h] for h in RATE_LIMIT_HEADERS] == ["2000", "0", "250"]
    assert mock.quota_remaining() == 2000


def test_business_error_takes_its_code_and_message(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("business_error", count=1, code="100001", msg="invalid parameters")
    response = caller.switch("ISOLATED", ["ETHUSDTM"])
    assert (response.status_code, response.json()) == (
        200,
        {"code": "100001", "msg": "invalid parameters"},
    )


def test_backend_faults_come_after_authentication(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("http_500", count=1)
    bad_signature = caller.switch("ISOLATED", ["ETHUSDTM"], headers={"KC-API-SIGN": "x"})
    assert bad_signature.status_code == 401


def test_html_502_is_a_cdn_page_outside_the_spec(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("html_502", count=1)
    response = caller.switch("ISOLATED", ["ETHUSDTM"], check=False)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert b"502 Bad Gateway" in response.content
    assert "gw-ratelimit-limit" not in response.headers
    assert caller.switch("ISOLATED", ["ETHUSDTM"]).status_code == 200


def test_truncated_cuts_the_json_but_not_the_framing(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("truncated", count=1)
    response = caller.switch("ISOLATED", ["ETHUSDTM", "XBTUSDTM"], check=False)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content.startswith(b'{"code":"200000"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert mock.mode_of("ETHUSDTM") == "ISOLATED", "the request itself was processed"


def test_outcomes_queue_in_injection_order(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("http_503", count=2)
    mock.inject("business_error", count=1)
    codes = [caller.switch("CROSS", ["ETHUSDTM"]).json()["code"] for _ in range(4)]
    assert codes == ["503000", "503000", "300000", "200000"]


def test_rate_based_faults_repeat_with_the_same_seed(make_caller: Callable[..., Caller]) -> None:
    def run(seed: int) -> list[int]:
        mock, caller = fresh(make_caller, seed=seed)
        mock.inject("http_503", rate=0.5)
        return [caller.switch("CROSS", ["ETHUSDTM"]).status_code for _ in range(16)]

    first = run(seed=7)
    assert set(first) == {200, 503}
    assert run(seed=7) == first
    assert run(seed=8) != first


@pytest.mark.parametrize(("rate", "expected"), [(0.0, {200}), (1.0, {500})])
def test_rate_zero_never_fires_and_rate_one_always_does(
    make_caller: Callable[..., Caller], rate: float, expected: set[int]
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("http_500", rate=rate)
    assert {caller.switch("CROSS", ["ETHUSDTM"]).status_code for _ in range(5)} == expected


def test_a_fault_without_count_or_rate_lasts_until_cleared(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("http_503")
    assert [caller.switch("CROSS", ["ETHUSDTM"]).status_code for _ in range(3)] == [503] * 3
    mock.clear_faults()
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 200


def test_reply_faults_leave_the_public_timestamp_endpoint_alone(
    make_caller: Callable[..., Caller],
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("http_503", count=1)
    assert caller.server_time().status_code == 200
    assert caller.switch("CROSS", ["ETHUSDTM"]).status_code == 503


def test_clock_skew_moves_server_time_and_the_signature_window(
    make_caller: Callable[..., Caller],
) -> None:
    frozen_s = 1_700_000_000.0
    mock, caller = fresh(make_caller, clock=lambda: frozen_s)
    mock.inject("clock_skew", ms=10_000)
    server_ms = caller.server_time().json()["data"]
    assert server_ms == int(frozen_s * 1000) + 10_000
    local = caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=int(frozen_s * 1000))
    assert (local.status_code, local.json()["code"]) == (401, "400002")
    synced = caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=server_ms)
    assert synced.status_code == 200


def test_clock_skew_by_count_lasts_that_many_signed_requests(
    make_caller: Callable[..., Caller],
) -> None:
    frozen_s = 1_700_000_000.0
    frozen_ms = int(frozen_s * 1000)
    mock, caller = fresh(make_caller, clock=lambda: frozen_s)
    mock.inject("clock_skew", count=2, ms=-8000)
    # The timestamp endpoint shows the skewed clock as often as asked, using up nothing.
    assert [caller.server_time().json()["data"] for _ in range(3)] == [frozen_ms - 8000] * 3
    signed = [caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=frozen_ms - 8000)]
    assert caller.server_time().json()["data"] == frozen_ms - 8000, "one signed request left"
    signed.append(caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=frozen_ms - 8000))
    assert [r.status_code for r in signed] == [200, 200], "judged by the skewed clock"
    assert mock.active_faults == ()
    assert caller.server_time().json()["data"] == frozen_ms
    late = caller.switch("ISOLATED", ["ETHUSDTM"], timestamp_ms=frozen_ms - 8000)
    assert (late.status_code, late.json()["code"]) == (401, "400002"), "the clock is back"


def test_clock_skew_by_rate_on_the_timestamp_endpoint_uses_the_seeded_draw(
    make_caller: Callable[..., Caller],
) -> None:
    frozen_s = 1_700_000_000.0
    mock, caller = fresh(make_caller, clock=lambda: frozen_s, seed=3)
    mock.inject("clock_skew", rate=0.5, ms=1000)
    times = {caller.server_time().json()["data"] - int(frozen_s * 1000) for _ in range(40)}
    assert times == {0, 1000}
    assert len(mock.active_faults) == 1


def test_latency_delays_the_reply(make_caller: Callable[..., Caller]) -> None:
    mock, caller = fresh(make_caller)
    mock.inject("latency", count=1, ms=80)
    started = time.monotonic()
    response = caller.switch("CROSS", ["ETHUSDTM"])
    assert time.monotonic() - started >= 0.07  # a lower bound only, with slack
    assert response.status_code == 200
    assert mock.active_faults == ()


def test_reset_drops_the_connection_mid_reply_over_real_http(
    http_client: Callable[..., httpx.Client], caplog: pytest.LogCaptureFixture
) -> None:
    mock = MockKucoin()
    mock.inject("reset", count=1)
    with serve_in_thread(mock) as running, caplog.at_level(logging.INFO):
        client = http_client(running.base_url)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post(BATCH, json={"marginMode": "ISOLATED", "symbols": ["ETHUSDTM"]})
        assert mock.mode_of("ETHUSDTM") == "ISOLATED", "the request itself was processed"
        after = client.post(BATCH, json={"marginMode": "CROSS", "symbols": ["ETHUSDTM"]})
        assert after.status_code == 200
    assert mock.status_counts == {200: 2}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "reset logged as error"


def test_rate_based_reset_over_real_http(http_client: Callable[..., httpx.Client]) -> None:
    mock = MockKucoin(seed=3)
    mock.inject("reset", rate=0.5)
    outcomes: list[str] = []
    with serve_in_thread(mock) as running:
        client = http_client(running.base_url)
        for _ in range(8):
            try:
                client.post(BATCH, json={"marginMode": "CROSS", "symbols": ["ETHUSDTM"]})
                outcomes.append("reply")
            except (httpx.RemoteProtocolError, httpx.ReadError):
                outcomes.append("reset")
    assert set(outcomes) == {"reply", "reset"}
    assert mock.status_counts == {200: 8}, "every request was processed, some replies lost"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.inject("meteor"), "unknown fault kind"),
        (lambda m: m.inject("http_500", count=1, rate=0.5), "not both"),
        (lambda m: m.inject("http_500", count=0), "count"),
        (lambda m: m.inject("http_500", rate=1.5), "rate"),
        (lambda m: m.inject("http_500", ms=3), "unknown parameter"),
        (lambda m: m.inject("latency", ms=-1), "between 0 and 86400000"),
        (lambda m: m.inject("latency", ms=10**12), "between 0 and 86400000"),
        (lambda m: m.inject("burst_429", reset_ms=-5), "reset_ms must be between 0"),
        (lambda m: m.inject("clock_skew", ms=-(10**12)), "between -86400000 and 86400000"),
        (lambda m: m.inject("latency", ms="soon"), "integer"),
        (lambda m: m.inject("latency", ms=2.5), "ms must be an integer"),
        (lambda m: m.inject("latency", ms=True), "ms must be an integer"),
        (lambda m: m.inject("business_error", msg=["x"]), "msg must be a string"),
        (lambda m: m.inject("http_500", count=1.5), "count must be an integer"),
        (lambda m: m.inject("http_500", count=True), "count must be an integer"),
        (lambda m: m.inject("http_500", rate="0.5"), "rate must be a number"),
        (lambda m: m.inject("http_500", rate=float("nan")), "rate must be a number"),
        (lambda m: m.inject("business_error", code="200000"), "code"),
        (lambda m: m.inject("business_error", code="E1"), "code"),
    ],
)
def test_bad_fault_arguments_are_refused(call: Callable[[MockKucoin], None], message: str) -> None:
    mock = MockKucoin()
    with pytest.raises(ValueError, match=message):
        call(mock)
    assert mock.active_faults == ()


def test_active_faults_show_what_is_left() -> None:
    mock = MockKucoin()
    mock.inject("latency", count=3, ms="20")
    (rule,) = mock.active_faults
    assert (rule.kind, rule.count, rule.rate, rule.params) == (Fault.LATENCY, 3, None, {"ms": 20})


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("http_503", ("http_503", None, None, {})),
        ("http_503:count=2", ("http_503", 2, None, {})),
        ("latency:rate=0.25,ms=300", ("latency", None, 0.25, {"ms": "300"})),
        ("clock_skew,ms=-8000", ("clock_skew", None, None, {"ms": "-8000"})),
        (
            "business_error:count=1,code=300000,msg=request parameter illegal",
            ("business_error", 1, None, {"code": "300000", "msg": "request parameter illegal"}),
        ),
    ],
)
def test_fault_specs_parse(spec: str, parsed: tuple[object, ...]) -> None:
    assert parse_fault_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["", ":count=1", "reset:count", "reset:count=many", "reset:=3"])
def test_bad_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        parse_fault_spec(spec)


def _fired(kind: str, response: httpx.Response) -> bool:
    if kind == "truncated":
        try:
            json.loads(response.content)
        except json.JSONDecodeError:
            return True
        return False
    if kind == "clock_skew":  # the client signs with its own clock, 10 s behind the server's
        return response.status_code == 401 and response.json()["code"] == "400002"
    if kind == "business_error":
        return bool(response.json()["code"] == "300000")
    statuses = {"http_500": 500, "http_503": 503, "html_502": 502, "burst_429": 429}
    return response.status_code == statuses[kind]


@pytest.mark.parametrize(
    "kind",
    ["http_500", "http_503", "html_502", "truncated", "burst_429", "business_error", "clock_skew"],
)
@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_every_kind_fires_by_rate(
    make_caller: Callable[..., Caller], kind: str, rate: float
) -> None:
    mock, caller = fresh(make_caller)
    mock.inject(kind, rate=rate)
    in_spec = kind not in ("html_502", "truncated")
    replies = [caller.switch("CROSS", ["ETHUSDTM"], check=in_spec) for _ in range(3)]
    assert [_fired(kind, reply) for reply in replies] == [rate == 1.0] * 3
    assert len(mock.active_faults) == 1, "a rate-based rule stays armed"


def test_counters_record_what_was_answered(caller: Caller) -> None:
    mock: MockKucoin = caller.app.state.mock
    caller.switch("CROSS", ["ETHUSDTM"])
    caller.server_time()
    caller.request("GET", "/nowhere?x=1", credentials=None)
    assert mock.requests_seen == 3
    assert mock.status_counts == {200: 2, 404: 1}
    first, _, last = mock.recent_requests
    assert (first.method, first.path, first.status) == ("POST", BATCH, 200)
    assert first.body == b'{"marginMode":"CROSS","symbols":["ETHUSDTM"]}'
    assert first.headers["kc-api-key"] == mock.default_account.key
    assert (last.method, last.path, last.status) == ("GET", "/nowhere?x=1", 404)
