"""Reading margin modes: one, many (sync and async), pacing by the quota, and `apply`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kucoin_futures import (
    AuthenticationError,
    DeadlineExceededError,
    InvalidInputError,
    InvalidParameterError,
    InvalidReplyError,
    MarginModeReadout,
    RateLimit,
    RateLimitError,
    Result,
    ServerError,
    aget_margin_mode,
    aget_margin_modes,
    apply_margin_modes,
    futures_client,
    get_margin_mode,
    get_margin_modes,
)
from kucoin_futures_client.models import MarginMode
from kucoin_futures_mock import MockKucoin, RunningMock, serve_in_thread

from .conftest import READ_PATH, answering


def mode_reply(symbol: str, mode: str) -> httpx.Response:
    body = {"code": "200000", "data": {"symbol": symbol, "marginMode": mode}}
    return httpx.Response(200, content=json.dumps(body).encode())


def reads(running: RunningMock) -> list[tuple[str, int, float]]:
    return [
        (r.path, r.status, r.received_at)
        for r in running.mock.recent_requests
        if r.path.startswith(READ_PATH)
    ]


# ---- one symbol ---------------------------------------------------------------------------


def test_known_modes_are_margin_modes_and_a_new_mode_stays_a_string() -> None:
    replies = {"XBTUSDTM": "ISOLATED", "ETHUSDTM": "PORTFOLIO"}
    client = answering(
        lambda r: mode_reply(r.url.params["symbol"], replies[r.url.params["symbol"]])
    )
    assert get_margin_mode(client, "XBTUSDTM") is MarginMode.ISOLATED
    assert get_margin_mode(client, "ETHUSDTM") == "PORTFOLIO"


def test_a_reply_for_another_symbol_is_an_invalid_reply() -> None:
    client = answering(lambda _r: mode_reply("ETHUSDTM", "CROSS"))
    with pytest.raises(InvalidReplyError, match="not the symbol asked for"):
        get_margin_mode(client, "XBTUSDTM")


@pytest.mark.parametrize(
    "body",
    [
        {"code": "200000"},
        {"code": "200000", "data": None},
        {"code": "200000", "data": {"symbol": "XBTUSDTM"}},
        {"code": "200000", "data": {"symbol": "XBTUSDTM", "marginMode": 3}},
        {"code": "200000", "data": {"symbol": ["XBTUSDTM"], "marginMode": "CROSS"}},
    ],
)
def test_a_wrong_shaped_success_is_an_invalid_reply_with_an_excerpt(body: object) -> None:
    # Checked below the generated call: a direct generated call gets it too.
    from kucoin_futures_client.api.positions import get_margin_mode as generated

    client = answering(lambda _r: httpx.Response(200, content=json.dumps(body).encode()))
    for call in (
        lambda: get_margin_mode(client, "XBTUSDTM"),
        lambda: generated.sync(client=client, symbol="XBTUSDTM"),
    ):
        with pytest.raises(InvalidReplyError) as info:
            call()
        assert '"code": "200000"' in info.value.excerpt


@pytest.mark.parametrize("symbol", ["", " XBTUSDTM", "XBTUSDTM\n", 7, None, "\ud800"])
def test_bad_symbols_are_refused_before_sending(symbol: object) -> None:
    client = answering(lambda r: pytest.fail(f"sent {r.url}"))
    with pytest.raises(InvalidInputError):
        get_margin_mode(client, symbol)  # type: ignore[arg-type]


@pytest.mark.parametrize("symbols", [[], "XBTUSDTM", ["XBTUSDTM", "XBTUSDTM"], ["A", 1]])
def test_bad_symbol_lists_are_refused_before_sending(symbols: object) -> None:
    client = answering(lambda r: pytest.fail(f"sent {r.url}"))
    with pytest.raises(InvalidInputError):
        get_margin_modes(client, symbols)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_the_async_read_matches_the_sync_one() -> None:
    async with answering(lambda r: mode_reply(r.url.params["symbol"], "CROSS")) as client:
        assert await aget_margin_mode(client, "XBTUSDTM") is MarginMode.CROSS


# ---- many symbols -------------------------------------------------------------------------


def test_every_symbol_asked_is_accounted_for(kucoin_mock: RunningMock) -> None:
    kucoin_mock.mock.set_mode("ETHUSDTM", "ISOLATED")
    kucoin_mock.mock.inject("http_500", count=4)  # the first symbol's four attempts
    with futures_client(kucoin_mock.credentials, base_url=kucoin_mock.base_url) as client:
        readout = get_margin_modes(client, ["SOLUSDTM", "ETHUSDTM", "NOPEUSDTM", "XBTUSDTM"])
    assert readout.requested == ("SOLUSDTM", "ETHUSDTM", "NOPEUSDTM", "XBTUSDTM")
    assert readout.modes == {"ETHUSDTM": MarginMode.ISOLATED, "XBTUSDTM": MarginMode.CROSS}
    assert list(readout.failed) == ["SOLUSDTM", "NOPEUSDTM"]
    assert isinstance(readout.failed["SOLUSDTM"], ServerError)
    assert isinstance(readout.failed["NOPEUSDTM"], InvalidParameterError)
    assert readout.failed["NOPEUSDTM"].code == "200003"
    assert not readout.all_read


def test_an_authentication_error_ends_the_whole_read() -> None:
    seen: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["symbol"])
        return httpx.Response(401, content=b'{"code":"400003","msg":"KC-API-KEY not exists"}')

    with pytest.raises(AuthenticationError):
        get_margin_modes(answering(refuse), ["XBTUSDTM", "ETHUSDTM"])
    assert seen == ["XBTUSDTM"]


@pytest.mark.anyio
async def test_async_reads_run_concurrently_with_a_bound(kucoin_mock: RunningMock) -> None:
    symbols = list(kucoin_mock.mock.symbols)
    kucoin_mock.mock.inject("latency", ms=50)
    async with futures_client(kucoin_mock.credentials, base_url=kucoin_mock.base_url) as client:
        readout = await aget_margin_modes(client, [*symbols, "NOPEUSDTM"], concurrency=4)
    assert readout.requested == (*symbols, "NOPEUSDTM")
    assert list(readout.modes) == symbols  # the request's order, whatever the finish order
    assert list(readout.failed) == ["NOPEUSDTM"]
    arrivals = sorted(t for _, _, t in reads(kucoin_mock))
    # With 50 ms per reply and 4 in flight, 13 reads take about 4 rounds, not 13.
    assert arrivals[-1] - arrivals[0] < 13 * 0.05


# ---- pacing -------------------------------------------------------------------------------


def quota_mock(*, reads_per_window: int, window_s: float) -> MockKucoin:
    return MockKucoin(quota=2 * reads_per_window, window_s=window_s, recent_limit=1000)


def test_a_long_read_waits_for_the_reset_instead_of_failing() -> None:
    mock = quota_mock(reads_per_window=4, window_s=0.5)
    symbols = list(mock.symbols[:10])
    with (
        serve_in_thread(mock) as running,
        futures_client(running.credentials, base_url=running.base_url) as client,
    ):
        readout = get_margin_modes(client, symbols)
    assert readout.all_read
    assert mock.status_counts.get(429, 0) == 0  # it paced itself: never refused
    times = [t for _, _, t in reads(running)]
    assert len(times) == 10
    # At most 4 reads per 0.5 s window: 10 reads span at least two resets.
    assert times[-1] - times[0] >= 2 * 0.5 * 0.9


def test_no_read_is_sent_between_a_429_and_its_reset() -> None:
    mock = MockKucoin(recent_limit=1000)
    mock.inject("burst_429", count=1, reset_ms=400)
    with (
        serve_in_thread(mock) as running,
        futures_client(running.credentials, base_url=running.base_url) as client,
    ):
        readout = get_margin_modes(client, list(mock.symbols[:3]))
    assert readout.all_read
    recorded = reads(running)
    assert [status for _, status, _ in recorded] == [429, 200, 200, 200]
    refused_at = recorded[0][2]
    assert all(t >= refused_at + 0.4 for _, _, t in recorded[1:])


@pytest.mark.anyio
async def test_a_429_on_one_concurrent_read_holds_back_the_others() -> None:
    mock = MockKucoin(recent_limit=1000)
    mock.inject("latency", ms=20)
    mock.inject("burst_429", count=1, reset_ms=500)
    with serve_in_thread(mock) as running:
        async with futures_client(running.credentials, base_url=running.base_url) as client:
            readout = await aget_margin_modes(client, list(mock.symbols), concurrency=4)
    assert readout.all_read  # held back, not failed
    recorded = reads(running)
    refused = [t for _, status, t in recorded if status == 429]
    assert len(refused) == 1
    # Reads already in flight when the 429 came may arrive just after it; none that the
    # client sent once it knew may arrive before the reset.
    late = [t for _, _, t in recorded if refused[0] + 0.1 < t < refused[0] + 0.5]
    assert late == []


def test_the_deadline_bounds_the_wait_and_fails_what_is_left() -> None:
    mock = quota_mock(reads_per_window=2, window_s=30)
    with (
        serve_in_thread(mock) as running,
        futures_client(running.credentials, base_url=running.base_url) as client,
    ):
        readout = get_margin_modes(client, list(mock.symbols[:4]), deadline_s=1.0)
    assert list(readout.modes) == list(mock.symbols[:2])
    assert list(readout.failed) == list(mock.symbols[2:4])
    for symbol, error in readout.failed.items():
        assert isinstance(error, DeadlineExceededError)
        assert str(error).startswith(f"{symbol}: not read: ")
        assert "deadline of 1 s" in str(error)
    assert len(reads(running)) == 2  # nothing was sent into the used-up quota


# ---- apply (property) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_mock() -> Iterator[RunningMock]:
    with serve_in_thread(MockKucoin(quota=1_000_000, recent_limit=0)) as running:
        yield running


MODES = st.sampled_from(["ISOLATED", "CROSS"])
SYMBOLS = MockKucoin().symbols


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.fixed_dictionaries({s: MODES for s in SYMBOLS}),
    busy=st.sets(st.sampled_from(SYMBOLS)),
    plan=st.dictionaries(st.sampled_from(SYMBOLS), MODES, min_size=1),
)
def test_apply_leaves_every_free_symbol_as_the_file_says(
    shared_mock: RunningMock, start: dict[str, str], busy: set[str], plan: dict[str, str]
) -> None:
    mock = shared_mock.mock
    for symbol, mode in start.items():
        mock.set_mode(symbol, mode)
        mock.set_busy(symbol, busy=symbol in busy)
    with futures_client(shared_mock.credentials, base_url=shared_mock.base_url) as client:
        report = apply_margin_modes(client, plan)
    results = {row.symbol: row for row in report.symbols}
    assert list(results) == list(plan)
    for symbol, target in plan.items():
        if symbol in busy and start[symbol] != target:
            assert results[symbol].result is Result.FAILED
            assert results[symbol].code == "50002"
            assert mock.mode_of(symbol) == start[symbol]
        else:
            assert mock.mode_of(symbol) == target
            expected = Result.UNCHANGED if start[symbol] == target else Result.SWITCHED
            assert results[symbol].result is expected
    assert report.all_as_asked == all(s not in busy or start[s] == t for s, t in plan.items())


def test_the_readout_json_has_the_batch_reply_shape() -> None:
    readout = MarginModeReadout(
        ("A", "B"),
        {"A": MarginMode.CROSS},
        {"B": InvalidParameterError("200003", "bad symbol", 200, RateLimit())},
    )
    assert readout.as_json() == {
        "marginMode": {"A": "CROSS"},
        "errors": [{"symbol": "B", "code": "200003", "msg": "bad symbol"}],
    }


# ---- hostile rate-limit headers and cancelled reads ------------------------------------


@pytest.mark.parametrize("value", ["9" * 5000, "-5", "1e9", "12x"])
def test_an_absurd_rate_limit_header_is_ignored_not_a_crash(value: str) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        response = mode_reply(request.url.params["symbol"], "CROSS")
        response.headers.update({"gw-ratelimit-remaining": value, "gw-ratelimit-reset": value})
        return response

    client = answering(reply)
    assert get_margin_modes(client, ["XBTUSDTM", "ETHUSDTM"]).all_read

    refused = answering(
        lambda _r: httpx.Response(
            429,
            content=b'{"code":"429000","msg":"Too Many Requests"}',
            headers={"gw-ratelimit-reset": value},
        ),
        retry=None,
    )
    with pytest.raises(RateLimitError) as info:
        get_margin_mode(refused, "XBTUSDTM")
    assert info.value.rate_limit.reset_ms is None


@pytest.mark.anyio
async def test_a_cancelled_read_leaves_no_request_counted_in_flight(
    kucoin_mock: RunningMock,
) -> None:
    import anyio

    kucoin_mock.mock.inject("latency", ms=2000)
    async with futures_client(kucoin_mock.credentials, base_url=kucoin_mock.base_url) as client:
        with anyio.move_on_after(0.2):
            await aget_margin_modes(client, list(kucoin_mock.mock.symbols[:4]), concurrency=4)
        pacer = client.get_async_httpx_client().pacer  # type: ignore[attr-defined]
        assert pacer._in_flight == {"Futures": 0}


@pytest.mark.parametrize(
    "body",
    [
        b'{"code":"200000","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["inside a success", "the whole reply"],
)
def test_json_nested_thousands_deep_is_an_invalid_reply(body: bytes) -> None:
    client = answering(lambda _r: httpx.Response(200, content=body), retry=None)
    with pytest.raises(InvalidReplyError):
        get_margin_mode(client, "XBTUSDTM")
