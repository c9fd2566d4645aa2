"""Position settings: many-symbol leverage reads, `apply_position_settings` (margin mode and
cross-margin leverage together), and the CLI's `get --leverage`, `set-leverage` and
position-settings `apply` files. In-process against the mock; nothing here waits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest

import kucoin_futures._apply
from kucoin_futures import (
    AuthenticationError,
    CallResult,
    DeadlineExceededError,
    InvalidInputError,
    InvalidParameterError,
    LeverageReport,
    MarginMode,
    PositionSettings,
    RateLimit,
    Reason,
    Result,
    RetryPolicy,
    SymbolReport,
    aget_cross_leverages,
    apply_margin_modes,
    apply_position_settings,
    futures_client,
    get_cross_leverages,
    position_targets,
    set_cross_leverage,
)
from kucoin_futures._deadline import call_deadline
from kucoin_futures._http import KucoinAsyncHTTPClient
from kucoin_futures._reads import ReadTally
from kucoin_futures_client import Client
from kucoin_futures_mock import SYMBOLS, MockKucoin, RunningMock, serve_in_thread

from . import hostile
from .test_cli_exit_codes import STORM, STORM_HEADERS, FakeClock, run_with_clock
from .test_margin_cli import env_for, run, table

LEVERAGE_READ = "/api/v2/getCrossUserLeverage"
LEVERAGE_CHANGE = "/api/v2/changeCrossUserLeverage"
MODE_READ = "/api/v2/position/getMarginMode"
BATCH = "/api/v2/position/batchChangeMarginMode"
CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port
NO_LIMIT = RateLimit(None, None, None)
NO_KEY_NEEDED = {"KUCOIN_API_KEY": "k", "KUCOIN_API_SECRET": "s", "KUCOIN_API_PASSPHRASE": "p"}


def _client(running: RunningMock) -> Client:
    return futures_client(running.credentials, base_url=running.base_url)


def sent(running: RunningMock) -> list[tuple[str, str]]:
    return [(r.method, r.path.partition("?")[0]) for r in running.mock.recent_requests]


def rows_of(out: str) -> dict[tuple[str, str], tuple[str, str, str, str]]:
    return {
        (r["SYMBOL"], r["SETTING"]): (r["VALUE"], r["RESULT"], r["REASON"], r["CODE"])
        for r in table(out)
    }


# ---- many-symbol leverage reads ---------------------------------------------------------


def test_get_cross_leverages_accounts_for_every_symbol(kucoin_mock: RunningMock) -> None:
    kucoin_mock.mock.set_leverage("ETHUSDTM", "2.5")
    seen: list[tuple[int, int]] = []
    with _client(kucoin_mock) as client:
        readout = get_cross_leverages(
            client, ["ETHUSDTM", "NOPEUSDTM", "XBTUSDTM"], progress=lambda *p: seen.append(p)
        )
    assert readout.requested == ("ETHUSDTM", "NOPEUSDTM", "XBTUSDTM")
    assert readout.leverages == {"ETHUSDTM": Decimal("2.5"), "XBTUSDTM": Decimal(5)}
    assert list(readout.failed) == ["NOPEUSDTM"]
    failure = readout.failed["NOPEUSDTM"]
    assert isinstance(failure, InvalidParameterError) and failure.code == "200003"
    assert not readout.all_read
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_aget_cross_leverages_reads_concurrently_the_same(kucoin_mock: RunningMock) -> None:
    async def read() -> Any:
        async with _client(kucoin_mock) as client:
            return await aget_cross_leverages(client, list(SYMBOLS), concurrency=3)

    readout = anyio.run(read)
    assert list(readout.leverages) == list(SYMBOLS)
    assert set(readout.leverages.values()) == {Decimal(5)}
    assert readout.all_read


class _CallersOwn(Exception):
    pass


def test_an_async_read_raises_a_callers_exception_as_itself(kucoin_mock: RunningMock) -> None:
    # Raised in a worker outside its read (the progress callback): not an ExceptionGroup.
    def progress(done: int, total: int) -> None:
        raise _CallersOwn(f"{done} of {total}")

    async def read() -> Any:
        async with _client(kucoin_mock) as client:
            return await aget_cross_leverages(client, list(SYMBOLS), progress=progress)

    with pytest.raises(_CallersOwn, match="1 of"):
        anyio.run(read)


def test_an_async_read_raises_our_own_error_as_a_kucoin_error(kucoin_mock: RunningMock) -> None:
    # The sleep after a 429 raising (as a deadline would): still a KucoinError, as itself.
    async def refused_sleep(seconds: float) -> None:
        raise DeadlineExceededError("no time to wait", deadline_s=1.0)

    kucoin_mock.mock.inject("burst_429", count=1)
    no_retry = RetryPolicy(max_attempts=1)

    async def read() -> Any:
        running = kucoin_mock
        async with futures_client(
            running.credentials, base_url=running.base_url, retry=no_retry
        ) as client:
            http = client.get_async_httpx_client()
            assert isinstance(http, KucoinAsyncHTTPClient)
            http.sleep = refused_sleep
            return await aget_cross_leverages(client, ["XBTUSDTM"])

    with pytest.raises(DeadlineExceededError, match="no time to wait"):
        anyio.run(read)


def test_reads_finished_out_of_order_are_reported_in_the_requests_order() -> None:
    # Concurrent reads (aread_many) finish in any order; the readout keeps the caller's.
    with call_deadline(lambda: 0.0, 10.0, requests=2) as deadline:
        tally: ReadTally[int] = ReadTally(("A", "B"), deadline, lambda: 0.0, None)
    tally.read("B", 2)
    tally.read("A", 1)
    assert list(tally.result().values) == ["A", "B"]


def test_a_symbol_the_deadline_stopped_is_described_as_the_loop_says() -> None:
    now = [0.0]
    with call_deadline(lambda: now[0], 1.0, requests=1) as deadline:
        tally: ReadTally[int] = ReadTally(
            ("A",), deadline, lambda: now[0], None, not_done="not changed"
        )
    now[0] = 2.0
    assert not tally.may_send("A")
    assert str(tally.failed["A"]).startswith("A: not changed: the call's deadline of 1 s")


def test_many_leverage_reads_check_their_input_first(kucoin_mock: RunningMock) -> None:
    with _client(kucoin_mock) as client:
        for bad in ([], "XBTUSDTM", ["XBTUSDTM", "XBTUSDTM"], [" XBTUSDTM"]):
            with pytest.raises(InvalidInputError):
                get_cross_leverages(client, bad)
        with pytest.raises(InvalidInputError, match="deadline"):
            get_cross_leverages(client, ["XBTUSDTM"], deadline_s=-1)
    assert kucoin_mock.mock.requests_seen == 0


# ---- position targets: the check before anything is sent ---------------------------------


def test_position_targets_take_both_forms_mixed() -> None:
    assert position_targets(
        {
            "XBTUSDTM": "ISOLATED",
            "ETHUSDTM": {"marginMode": "CROSS", "leverage": 10},
            "SOLUSDTM": {"leverage": "2.50"},
            "DOGEUSDTM": {"marginMode": "ISOLATED"},
            "ADAUSDTM": PositionSettings(leverage="3"),
            "BNBUSDTM": {"leverage": Decimal("7.5")},
        }
    ) == {
        "XBTUSDTM": PositionSettings(margin_mode=MarginMode.ISOLATED),
        "ETHUSDTM": PositionSettings(MarginMode.CROSS, "10"),
        "SOLUSDTM": PositionSettings(leverage="2.5"),
        "DOGEUSDTM": PositionSettings(margin_mode=MarginMode.ISOLATED),
        "ADAUSDTM": PositionSettings(leverage="3"),
        "BNBUSDTM": PositionSettings(leverage="7.5"),
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"leverage": 0}, "ETHUSDTM: leverage must be at least 1, got 0"),
        ({"leverage": True}, "ETHUSDTM: leverage must be a number, got True"),
        ({"leverage": "2.555"}, "ETHUSDTM: leverage has at most two decimals, got '2.555'"),
        ({"leverage": None}, "ETHUSDTM: leverage must be a number or a numeric string"),
        ({"marginMode": "isolated"}, "ETHUSDTM: marginMode: margin mode must be ISOLATED or"),
        ({"marginMode": None, "leverage": 5}, "ETHUSDTM: marginMode: margin mode must be"),
        ({"lev": 5}, "ETHUSDTM: unknown key 'lev' (allowed: marginMode, leverage)"),
        ({}, "ETHUSDTM: give marginMode, leverage or both"),
        ("cross", "ETHUSDTM: margin mode must be ISOLATED or CROSS (upper case), got 'cross'"),
        (5, "ETHUSDTM: margin mode must be a string, or a map of marginMode and leverage, got"),
        (PositionSettings(leverage="0.5"), "ETHUSDTM: leverage must be at least 1"),
    ],
)
def test_a_bad_setting_is_named_by_symbol_and_key(value: object, problem: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        position_targets({"ETHUSDTM": value})
    assert str(raised.value).startswith(problem), str(raised.value)


# ---- apply_position_settings --------------------------------------------------------------


def test_apply_reads_first_switches_modes_before_leverages_and_reads_both_back(
    kucoin_mock: RunningMock,
) -> None:
    mock = kucoin_mock.mock
    mock.set_leverage("SOLUSDTM", 10)
    targets = {
        "XBTUSDTM": {"marginMode": "ISOLATED", "leverage": 20},
        "ETHUSDTM": "CROSS",
        "SOLUSDTM": {"leverage": 10.0},
    }
    with _client(kucoin_mock) as client:
        report = apply_position_settings(client, targets)
    assert [
        (r.symbol, r.SETTING, r.current, r.target, r.result, r.after) for r in report.symbols
    ] == [
        ("XBTUSDTM", "marginMode", "CROSS", "ISOLATED", Result.SWITCHED, "ISOLATED"),
        ("XBTUSDTM", "leverage", "5", "20", Result.CHANGED, "20"),
        ("ETHUSDTM", "marginMode", "CROSS", "CROSS", Result.UNCHANGED, None),
        ("SOLUSDTM", "leverage", "10", "10", Result.UNCHANGED, None),
    ]
    assert isinstance(report.symbols[0], SymbolReport)
    assert isinstance(report.symbols[1], LeverageReport)
    assert report.call_result is CallResult.AS_ASKED and report.error is None
    assert (mock.mode_of("XBTUSDTM"), mock.leverage_of("XBTUSDTM")) == ("ISOLATED", "20")
    assert sent(kucoin_mock) == [
        ("GET", MODE_READ),  # the reads: XBTUSDTM, ETHUSDTM; then the leverages
        ("GET", MODE_READ),
        ("GET", LEVERAGE_READ),
        ("GET", LEVERAGE_READ),
        ("POST", BATCH),  # the mode that differs, then its read-back
        ("GET", MODE_READ),
        ("POST", LEVERAGE_CHANGE),  # the leverage that differs, then its read-back
        ("GET", LEVERAGE_READ),
    ]


def test_a_dry_run_shows_both_and_sends_only_reads(kucoin_mock: RunningMock) -> None:
    with _client(kucoin_mock) as client:
        report = apply_position_settings(
            client, {"XBTUSDTM": {"marginMode": "ISOLATED", "leverage": "5"}}, dry_run=True
        )
        other = apply_position_settings(client, {"ETHUSDTM": {"leverage": 7}}, dry_run=True)
    assert [(r.SETTING, r.result) for r in report.symbols] == [
        ("marginMode", Result.WOULD_SWITCH),
        ("leverage", Result.UNCHANGED),
    ]
    assert [(r.current, r.target, r.result) for r in other.symbols] == [
        ("5", "7", Result.WOULD_CHANGE)
    ]
    # A dry run's rows agree with its report: what it would change is as it asked.
    assert report.all_as_asked and other.all_as_asked
    assert all(r.as_asked for r in (*report.symbols, *other.symbols))
    assert {method for method, _ in sent(kucoin_mock)} == {"GET"}


def test_apply_margin_modes_still_gives_mode_rows_only(kucoin_mock: RunningMock) -> None:
    with _client(kucoin_mock) as client:
        report = apply_margin_modes(client, {"XBTUSDTM": "ISOLATED"})
    assert [(r.SETTING, r.result) for r in report.symbols] == [("marginMode", Result.SWITCHED)]
    assert {path for _, path in sent(kucoin_mock)} == {MODE_READ, BATCH}


def test_an_error_that_ends_the_changes_keeps_every_row(
    kucoin_mock: RunningMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = set_cross_leverage
    calls: list[str] = []

    def key_revoked_after_one(client: Client, symbol: str, leverage: object) -> Decimal:
        calls.append(symbol)
        if len(calls) == 2:
            raise AuthenticationError("400003", "KC-API-KEY not exists", 401, NO_LIMIT)
        return real(client, symbol, leverage)

    monkeypatch.setattr(kucoin_futures._apply, "set_cross_leverage", key_revoked_after_one)
    targets = dict.fromkeys(["XBTUSDTM", "ETHUSDTM", "SOLUSDTM"], PositionSettings(leverage="9"))
    with _client(kucoin_mock) as client:
        report = apply_position_settings(client, targets, verify=False)
    assert [(r.symbol, r.result, r.reason) for r in report.symbols] == [
        ("XBTUSDTM", Result.CHANGED, None),  # it did change: said so
        ("ETHUSDTM", Result.FAILED, Reason.AUTHENTICATION),
        ("SOLUSDTM", Result.NOT_ATTEMPTED, Reason.NOT_ATTEMPTED),
    ]
    assert isinstance(report.error, AuthenticationError)
    assert report.call_result is CallResult.WHOLE_CALL_FAILED
    assert calls == ["XBTUSDTM", "ETHUSDTM"]  # nothing sent after the call ended
    assert kucoin_mock.mock.leverage_of("XBTUSDTM") == "9"


def test_a_leverage_read_that_ends_the_call_sends_no_change(
    kucoin_mock: RunningMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def key_revoked(*_args: object, **_kwargs: object) -> None:
        raise AuthenticationError("400003", "KC-API-KEY not exists", 401, NO_LIMIT)

    monkeypatch.setattr(kucoin_futures._apply, "get_cross_leverages", key_revoked)
    targets = {"XBTUSDTM": {"marginMode": "ISOLATED", "leverage": 10}, "ETHUSDTM": "CROSS"}
    with _client(kucoin_mock) as client:
        report = apply_position_settings(client, targets)
    assert [(r.symbol, r.SETTING, r.result, r.reason) for r in report.symbols] == [
        ("XBTUSDTM", "marginMode", Result.NOT_ATTEMPTED, Reason.NOT_ATTEMPTED),
        ("XBTUSDTM", "leverage", Result.UNREADABLE, Reason.AUTHENTICATION),
        ("ETHUSDTM", "marginMode", Result.UNCHANGED, None),
    ]
    assert isinstance(report.error, AuthenticationError)
    assert {method for method, _ in sent(kucoin_mock)} == {"GET"}


def test_a_wrong_key_gives_every_symbol_and_setting_its_row(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        '{"XBTUSDTM": {"marginMode": "ISOLATED", "leverage": 10}, "ETHUSDTM": {"leverage": 3}}'
    )
    env = env_for(kucoin_mock, KUCOIN_API_SECRET="not-the-secret")
    code, out, err = run(capsys, ["apply", str(path)], env)
    assert code == 3
    assert [(r["SYMBOL"], r["SETTING"], r["RESULT"], r["REASON"]) for r in table(out)] == [
        ("XBTUSDTM", "marginMode", "unreadable", "authentication"),
        ("XBTUSDTM", "leverage", "unreadable", "authentication"),
        ("ETHUSDTM", "leverage", "unreadable", "authentication"),
    ]
    assert "400004" in err
    assert len(sent(kucoin_mock)) == 1  # the first refusal ends the call


# ---- the CLI: apply -----------------------------------------------------------------------

THIRTY = (*SYMBOLS, *(f"X{i:02d}USDTM" for i in range(18)))


@pytest.fixture
def thirty_symbol_mock() -> Iterator[RunningMock]:
    with serve_in_thread(MockKucoin(symbols=THIRTY, recent_limit=1000)) as running:
        yield running


def test_a_bot_applies_thirty_symbols_twice_and_the_second_run_changes_nothing(
    thirty_symbol_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The "done when" of issue 24: one file, modes and leverages for 30 symbols, both forms.
    plan: dict[str, object] = {}
    for i, symbol in enumerate(THIRTY):
        mode = "ISOLATED" if i % 2 else "CROSS"
        leverage = [3, "4", 2.5, "12.25", 20][i % 5]
        plan[symbol] = mode if i % 7 == 0 else {"marginMode": mode, "leverage": leverage}
    plan[THIRTY[1]] = {"leverage": 8}  # leverage alone
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(plan, indent=2))
    env = env_for(thirty_symbol_mock)
    mock = thirty_symbol_mock.mock

    code, out, err = run(capsys, ["apply", str(path)], env)
    assert (code, err) == (0, "")
    rows = table(out)
    settings = sum(len(value) if isinstance(value, dict) else 1 for value in plan.values())
    assert len(rows) == settings
    assert {r["RESULT"] for r in rows} <= {"switched", "changed", "unchanged"}
    assert mock.mode_of(THIRTY[2]) == "CROSS" and mock.mode_of(THIRTY[3]) == "ISOLATED"
    assert mock.leverage_of(THIRTY[1]) == "8"
    assert mock.leverage_of(THIRTY[3]) == "12.25"
    assert mock.leverage_of(THIRTY[2]) == "2.5"

    mock.clear_recent_requests()
    code, out, err = run(capsys, ["apply", str(path)], env)
    assert (code, err) == (0, "")
    assert {r["RESULT"] for r in table(out)} == {"unchanged"}
    methods = [method for method, _ in sent(thirty_symbol_mock)]
    assert methods.count("POST") == 0  # no change request the second time
    assert len(methods) == settings  # one read per symbol and setting, nothing else


def test_an_apply_toml_file_mixes_the_forms(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'XBTUSDTM = "ISOLATED"\n'
        'ETHUSDTM = { marginMode = "ISOLATED", leverage = 10 }\n'
        "\n[SOLUSDTM]\n"
        'leverage = "2.50"\n'
    )
    code, out, err = run(capsys, ["apply", str(path), "--dry-run"], env_for(kucoin_mock))
    assert (code, err) == (0, "")
    assert rows_of(out) == {
        ("XBTUSDTM", "marginMode"): ("CROSS → ISOLATED", "would switch", "", ""),
        ("ETHUSDTM", "marginMode"): ("CROSS → ISOLATED", "would switch", "", ""),
        ("ETHUSDTM", "leverage"): ("5 → 10", "would change", "", ""),
        ("SOLUSDTM", "leverage"): ("5 → 2.5", "would change", "", ""),
    }
    assert {method for method, _ in sent(kucoin_mock)} == {"GET"}

    code, out, err = run(capsys, ["apply", str(path), "--json"], env_for(kucoin_mock))
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert [(r["symbol"], r["setting"], r["result"], r["after"]) for r in report["symbols"]] == [
        ("XBTUSDTM", "marginMode", "switched", "ISOLATED"),
        ("ETHUSDTM", "marginMode", "switched", "ISOLATED"),
        ("ETHUSDTM", "leverage", "changed", "10"),
        ("SOLUSDTM", "leverage", "changed", "2.5"),
    ]
    assert kucoin_mock.mock.leverage_of("SOLUSDTM") == "2.5"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("zero.json", '{"ETHUSDTM": {"leverage": 0}}', "ETHUSDTM: leverage must be at least 1"),
        ("bool.json", '{"ETHUSDTM": {"leverage": true}}', "ETHUSDTM: leverage must be a number"),
        ("cents.json", '{"ETHUSDTM": {"leverage": "2.555"}}', "ETHUSDTM: leverage has at most"),
        (
            "inf.json",
            '{"ETHUSDTM": {"leverage": 1e999}}',
            "ETHUSDTM: leverage must be at most 9999.99, got 1E+999",
        ),
        ("null.json", '{"ETHUSDTM": {"leverage": null}}', "ETHUSDTM: leverage must be a number or"),
        ("text.json", '{"ETHUSDTM": {"leverage": "ten"}}', "ETHUSDTM: leverage must be a number"),
        ("key.json", '{"ETHUSDTM": {"Leverage": 5}}', "ETHUSDTM: unknown key 'Leverage'"),
        ("mode.json", '{"ETHUSDTM": {"marginMode": "cross"}}', "ETHUSDTM: marginMode: margin mode"),
        ("empty.json", '{"ETHUSDTM": {}}', "ETHUSDTM: give marginMode, leverage or both"),
        ("list.json", '{"ETHUSDTM": [5]}', "ETHUSDTM: margin mode must be a string, or a map"),
        ("zero.toml", "[ETHUSDTM]\nleverage = 0\n", "ETHUSDTM: leverage must be at least 1"),
        ("nan.toml", "ETHUSDTM = { leverage = nan }\n", "ETHUSDTM: leverage must be a finite"),
        ("date.toml", "[ETHUSDTM]\nleverage = 2024-01-01\n", "ETHUSDTM: leverage must be a number"),
    ],
)
def test_a_bad_leverage_in_a_file_exits_2_naming_file_symbol_and_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text('{"XBTUSDTM": "CROSS", ' + text[1:] if name.endswith(".json") else text)
    code, out, err = run(capsys, ["apply", str(path), "--base-url", CLOSED], NO_KEY_NEEDED)
    assert (code, out) == (2, "")
    assert err.startswith(f"kucoin-margin: error: {path}: {message}"), err
    assert err.count("\n") == 1


def test_a_leverage_above_the_maximum_is_the_symbols_own_failure(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"DOGEUSDTM": {"leverage": 100}, "ETHUSDTM": {"leverage": 100}}')
    code, out, err = run(capsys, ["apply", str(path)], env_for(kucoin_mock))
    assert (code, err) == (1, "")
    assert rows_of(out) == {
        ("DOGEUSDTM", "leverage"): ("5 → 100", "failed", "refused", "100001"),  # maximum 75
        ("ETHUSDTM", "leverage"): ("5 → 100", "changed", "", ""),  # maximum 100
    }
    assert kucoin_mock.mock.leverage_of("DOGEUSDTM") == "5"

    code, out, _ = run(capsys, ["apply", str(path), "--json"], env_for(kucoin_mock))
    assert code == 1
    refused = json.loads(out)["symbols"][0]
    assert (refused["reason"], refused["code"]) == ("refused", "100001")
    assert "75" in refused["msg"]


def test_a_lost_leverage_change_is_caught_by_the_read_back(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kucoin_mock.mock.inject("lost_switch", count=1)
    path = tmp_path / "settings.json"
    path.write_text('{"XBTUSDTM": {"leverage": 10}, "ETHUSDTM": {"leverage": 10}}')
    code, out, err = run(capsys, ["apply", str(path), "--json"], env_for(kucoin_mock))
    assert (code, err) == (1, "")
    lost, kept = json.loads(out)["symbols"]
    assert (lost["result"], lost["reason"], lost["after"]) == ("unverified", "mismatch", "5")
    assert lost["msg"] == "reported changed to 10, but reads back 5"
    assert (kept["result"], kept["after"]) == ("changed", "10")


def test_a_batch_refused_as_a_whole_leaves_the_leverages_not_attempted(
    kucoin_mock: RunningMock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = kucoin_mock.mock
    read_leverage = mock._read_leverage
    reads: list[str] = []

    def refuse_what_follows_the_last_read(key: str, symbol: str) -> str | None:
        reads.append(symbol)
        if len(reads) == 2:  # the batch switch comes next
            mock.inject("business_error", count=1, code="400100", msg="params error")
        return read_leverage(key, symbol)

    monkeypatch.setattr(mock, "_read_leverage", refuse_what_follows_the_last_read)
    path = tmp_path / "settings.json"
    path.write_text(
        '{"XBTUSDTM": {"marginMode": "ISOLATED", "leverage": 10}, "ETHUSDTM": {"leverage": 5}}'
    )
    code, out, err = run(capsys, ["apply", str(path)], env_for(kucoin_mock))
    assert code == 3
    assert rows_of(out) == {
        ("XBTUSDTM", "marginMode"): ("CROSS → ISOLATED", "failed", "request_refused", "400100"),
        ("XBTUSDTM", "leverage"): ("5 → 10", "not attempted", "not_attempted", ""),
        ("ETHUSDTM", "leverage"): ("5", "unchanged", "", ""),
    }
    assert err == "kucoin-margin: error: KuCoin error 400100: params error (HTTP 200)\n"
    assert (LEVERAGE_CHANGE not in {path for _, path in sent(kucoin_mock)}) is True


# ---- the CLI: get --leverage, set-leverage -------------------------------------------------


def test_get_leverage_adds_a_row_beside_each_mode(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_leverage("ETHUSDTM", "12.5")
    code, out, err = run(
        capsys, ["get", "ETHUSDTM", "NOPEUSDTM", "--leverage"], env_for(kucoin_mock)
    )
    assert (code, err) == (1, "")
    assert rows_of(out) == {
        ("ETHUSDTM", "marginMode"): ("CROSS", "read", "", ""),
        ("ETHUSDTM", "leverage"): ("12.5", "read", "", ""),
        ("NOPEUSDTM", "marginMode"): ("-", "unreadable", "unknown_symbol", "200003"),
        ("NOPEUSDTM", "leverage"): ("-", "unreadable", "unknown_symbol", "200003"),
    }
    code, out, _ = run(capsys, ["get", "ETHUSDTM", "--leverage", "--json"], env_for(kucoin_mock))
    assert code == 0
    assert json.loads(out)["symbols"][1] == {
        "symbol": "ETHUSDTM",
        "setting": "leverage",
        "current": "12.5",
        "target": None,
        "result": "read",
        "after": None,
        "reason": None,
        "code": None,
        "msg": "",
    }


def test_the_whole_call_line_counts_symbols_not_rows(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two symbols, four rows (mode and leverage each), every read refused on its own.
    kucoin_mock.mock.inject("business_error", count=4, code="300000", msg="illegal")
    code, out, err = run(
        capsys, ["get", "XBTUSDTM", "ETHUSDTM", "--leverage"], env_for(kucoin_mock)
    )
    assert code == 3
    assert len(table(out)) == 4
    assert err == (
        "kucoin-margin: error: 2 of 2 symbols failed for a cause not their own; XBTUSDTM: illegal\n"
    )


def test_a_read_the_deadline_stopped_ends_the_call_naming_the_deadline(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each leverage read takes 1 s on the CLI's clock: the third is never sent.
    clock = FakeClock()
    mock = kucoin_mock.mock
    read_leverage = mock._read_leverage

    def one_second(key: str, symbol: str) -> str | None:
        clock.now += 1.0
        return read_leverage(key, symbol)

    monkeypatch.setattr(mock, "_read_leverage", one_second)
    argv = ["set-leverage", "10", "XBTUSDTM", "ETHUSDTM", "SOLUSDTM", "--dry-run"]
    code, out, err = run_with_clock(
        capsys, [*argv, "--deadline", "1.5"], env_for(kucoin_mock), clock
    )
    assert code == 3
    assert [(r["SYMBOL"], r["RESULT"], r["REASON"]) for r in table(out)] == [
        ("XBTUSDTM", "would change", ""),
        ("ETHUSDTM", "would change", ""),
        ("SOLUSDTM", "not attempted", "deadline"),
    ]
    assert err == (
        "kucoin-margin: error: SOLUSDTM: not read: the call's deadline of 1.5 s has passed\n"
    )


def test_the_whole_call_line_names_a_symbol_once() -> None:
    from kucoin_futures.cli import _not_their_own

    rows = [
        LeverageReport(
            "XBTUSDTM",
            None,
            None,
            Result.UNREADABLE,
            msg="XBTUSDTM: not read: gone",
            reason=Reason.TRANSPORT,
        ),
        LeverageReport("ETHUSDTM", None, "5", Result.READ),
    ]
    assert _not_their_own(rows) == (
        "1 of 2 symbols failed for a cause not their own; XBTUSDTM: not read: gone"
    )


def test_set_leverage_plain_verify_and_dry_run(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_for(kucoin_mock)
    code, out, err = run(capsys, ["set-leverage", "15", "XBTUSDTM", "ETHUSDTM", "--dry-run"], env)
    assert (code, err) == (0, "")
    assert [(r["VALUE"], r["RESULT"]) for r in table(out)] == [("5 → 15", "would change")] * 2
    assert {method for method, _ in sent(kucoin_mock)} == {"GET"}

    kucoin_mock.mock.clear_recent_requests()
    code, out, err = run(capsys, ["set-leverage", "15", "XBTUSDTM", "ETHUSDTM"], env)
    assert (code, err) == (0, "")
    assert [(r["SETTING"], r["VALUE"], r["RESULT"]) for r in table(out)] == [
        ("leverage", "? → 15", "changed")
    ] * 2
    assert sent(kucoin_mock) == [("POST", LEVERAGE_CHANGE)] * 2  # no read without --verify

    kucoin_mock.mock.clear_recent_requests()
    kucoin_mock.mock.inject("lost_switch", count=1)
    code, out, err = run(capsys, ["set-leverage", "2.5", "XBTUSDTM", "ETHUSDTM", "--verify"], env)
    assert (code, err) == (1, "")
    assert [(r["RESULT"], r["REASON"]) for r in table(out)] == [
        ("unverified", "mismatch"),
        ("changed", ""),
    ]
    assert sent(kucoin_mock) == [("POST", LEVERAGE_CHANGE)] * 2 + [("GET", LEVERAGE_READ)] * 2


@pytest.mark.parametrize(
    ("code", "msg"), [("404000", "Not Found"), ("400100", "params error"), ("300000", "illegal")]
)
def test_a_leverage_change_refused_as_a_request_is_the_whole_calls(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], code: str, msg: str
) -> None:
    # Only a refusal of the value (100001) is the symbol's own; a wrong endpoint or a
    # parameter error is the request's, and the CLI exits 3 as docs/cli.md says.
    kucoin_mock.mock.inject("business_error", count=1, code=code, msg=msg)
    exit_code, out, err = run(capsys, ["set-leverage", "15", "XBTUSDTM"], env_for(kucoin_mock))
    assert exit_code == 3
    assert [(r["RESULT"], r["REASON"], r["CODE"]) for r in table(out)] == [
        ("failed", "request_refused", code)
    ]
    assert err == (
        f"kucoin-margin: error: 1 of 1 symbols failed for a cause not their own; XBTUSDTM: {msg}\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["set-leverage", "0", "XBTUSDTM"], "leverage must be at least 1, got '0'"),
        (["set-leverage", "1e3", "XBTUSDTM"], "leverage must be a number such as 5 or 2.5"),
        (["set-leverage", "2.555", "XBTUSDTM"], "leverage has at most two decimals"),
        (["set-leverage", "5", "XBTUSDTM", "XBTUSDTM"], "symbols must be unique"),
        (["set-leverage", "5", "XBTUSDTM", "--dry-run", "--verify"], "not allowed with"),
    ],
)
def test_set_leverage_refuses_bad_input_before_sending(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, argv, env_for(kucoin_mock))
    assert (code, out) == (2, "")
    assert message in err
    assert kucoin_mock.mock.requests_seen == 0


# ---- the CLI's rules hold for the leverage commands ---------------------------------------

LEVERAGE_COMMANDS = [
    ["get", "ETHUSDTM", "SOLUSDTM", "--leverage"],
    ["set-leverage", "10", "ETHUSDTM", "SOLUSDTM"],
    ["set-leverage", "10", "ETHUSDTM", "SOLUSDTM", "--dry-run"],
    ["set-leverage", "10", "ETHUSDTM", "SOLUSDTM", "--verify"],
    ["apply", "PLAN"],
]
LEVERAGE_IDS = ["get --leverage", "set-leverage", "--dry-run", "--verify", "apply"]
PLAN = '{"ETHUSDTM": {"marginMode": "ISOLATED", "leverage": 10}, "SOLUSDTM": {"leverage": 10}}'


def _argv(argv: list[str], tmp_path: Path) -> list[str]:
    plan = tmp_path / "settings.json"
    plan.write_text(PLAN)
    return [str(plan) if arg == "PLAN" else arg for arg in argv]


def _expected_rows(argv: list[str]) -> list[tuple[str, str]]:
    if argv[0] == "apply":
        return [("ETHUSDTM", "marginMode"), ("ETHUSDTM", "leverage"), ("SOLUSDTM", "leverage")]
    if argv[0] == "get":
        return [(s, setting) for s in ("ETHUSDTM", "SOLUSDTM") for setting in SETTINGS]
    return [("ETHUSDTM", "leverage"), ("SOLUSDTM", "leverage")]


SETTINGS = ("marginMode", "leverage")


@pytest.mark.parametrize("argv", LEVERAGE_COMMANDS, ids=LEVERAGE_IDS)
def test_an_outage_exits_3_and_every_symbol_and_setting_has_a_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    argv = _argv(argv, tmp_path)
    for output in ([], ["--json"]):
        code, out, err = run_with_clock(
            capsys, [*argv, "--base-url", CLOSED, *output], NO_KEY_NEEDED, FakeClock()
        )
        assert code == 3, err
        if output:
            rows = [(r["symbol"], r["setting"], r["reason"]) for r in json.loads(out)["symbols"]]
        else:
            rows = [(r["SYMBOL"], r["SETTING"], r["REASON"]) for r in table(out)]
        assert [row[:2] for row in rows] == _expected_rows(argv)
        assert {row[2] for row in rows} <= {"transport", "not_attempted"}
        assert "ConnectError" in err


@pytest.mark.parametrize("argv", LEVERAGE_COMMANDS, ids=LEVERAGE_IDS)
def test_the_leverage_commands_print_the_same_json_shape(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    keys = ["symbol", "setting", "current", "target", "result", "after", "reason", "code", "msg"]
    code, out, _ = run(capsys, [*_argv(argv, tmp_path), "--json"], env_for(kucoin_mock))
    assert code == 0
    report = json.loads(out)
    assert list(report) == ["dryRun", "error", "symbols"]
    assert [list(row) for row in report["symbols"]] == [keys] * len(_expected_rows(argv))


@pytest.mark.parametrize("argv", LEVERAGE_COMMANDS, ids=LEVERAGE_IDS)
def test_a_429_storm_ends_within_the_deadline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    clock = FakeClock()
    with hostile.serving(hostile.reply(STORM, status=429, headers=STORM_HEADERS)) as server:
        env = {**NO_KEY_NEEDED, "KUCOIN_FUTURES_BASE_URL": server.base_url}
        code, out, _ = run_with_clock(
            capsys, [*_argv(argv, tmp_path), "--deadline", "5"], env, clock
        )
    assert code == 3
    rows = table(out)
    assert [(r["SYMBOL"], r["SETTING"]) for r in rows] == _expected_rows(argv)
    assert {r["REASON"] for r in rows} <= {"rate_limit", "deadline", "not_attempted"}
    assert clock.now <= 5.0
    if argv[0] == "set-leverage" and "--dry-run" not in argv:
        assert all("not read" not in r["MESSAGE"] for r in rows), rows
