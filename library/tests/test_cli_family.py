"""`kucoin-margin get`, `set --dry-run`, `set --verify` and `apply`, against the real mock.

Each test runs `main(argv)` in-process against a fresh mock (the `kucoin_mock` fixture),
with `XBTUSDTM` busy where the test says so, and reads what the mock recorded.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import kucoin_futures._apply
from kucoin_futures.cli import _Progress, main

from .conftest import BATCH_PATH, READ_PATH
from .test_margin_cli import env_for, run, table

if TYPE_CHECKING:
    from kucoin_futures_mock import RunningMock


def sent(running: RunningMock) -> list[tuple[str, str]]:
    return [(r.method, r.path.partition("?")[0]) for r in running.mock.recent_requests]


# ---- get ----------------------------------------------------------------------------------


def read_row(symbol: str, mode: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "setting": "marginMode",
        "current": mode,
        "target": None,
        "result": "read",
        "after": None,
        "reason": None,
        "code": None,
        "msg": "",
    }


def test_get_json_prints_one_row_per_symbol_in_the_report_shape(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    kucoin_mock.mock.set_mode("ETHUSDTM", "ISOLATED")
    code, out, err = run(capsys, ["get", "ETHUSDTM", "XBTUSDTM", "--json"], env_for(kucoin_mock))
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "dryRun": False,
        "error": None,
        "symbols": [read_row("ETHUSDTM", "ISOLATED"), read_row("XBTUSDTM", "CROSS")],
    }
    assert sent(kucoin_mock) == [("GET", READ_PATH)] * 2


def test_get_gives_an_unknown_symbol_its_own_row_and_exits_1(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, ["get", "ETHUSDTM", "NOPEUSDTM"], env_for(kucoin_mock))
    assert code == 1
    rows = [list(row.values()) for row in table(out)]
    assert rows[0] == ["ETHUSDTM", "marginMode", "CROSS", "read", "", "", ""]
    assert rows[1] == [
        "NOPEUSDTM",
        "marginMode",
        "-",
        "unreadable",
        "unknown_symbol",
        "200003",
        "The symbol parameter is invalid",
    ]

    code, out, _ = run(capsys, ["get", "ETHUSDTM", "NOPEUSDTM", "--json"], env_for(kucoin_mock))
    assert code == 1
    assert json.loads(out)["symbols"][1] == {
        **read_row("NOPEUSDTM", "-"),
        "current": None,
        "result": "unreadable",
        "reason": "unknown_symbol",
        "code": "200003",
        "msg": "The symbol parameter is invalid",
    }


def test_get_exits_3_when_the_call_as_a_whole_fails(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_for(kucoin_mock, KUCOIN_API_SECRET="not-the-secret")
    code, out, err = run(capsys, ["get", "ETHUSDTM", "SOLUSDTM"], env)
    assert code == 3
    # Both symbols are still accounted for, with the reason.
    assert [(r["SYMBOL"], r["RESULT"], r["REASON"]) for r in table(out)] == [
        ("ETHUSDTM", "unreadable", "authentication"),
        ("SOLUSDTM", "unreadable", "authentication"),
    ]
    assert "400004" in err  # the passphrase is signed with the secret, so it fails first
    assert len(sent(kucoin_mock)) == 1  # the first refusal ends the call


# ---- set --dry-run / --verify -------------------------------------------------------------


def test_dry_run_shows_current_to_target_and_sends_only_reads(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    kucoin_mock.mock.set_mode("SOLUSDTM", "ISOLATED")
    argv = ["set", "ISOLATED", "ETHUSDTM", "SOLUSDTM", "XBTUSDTM", "--dry-run"]
    code, out, err = run(capsys, argv, env_for(kucoin_mock))
    assert (code, err) == (0, "")
    rows = {r["SYMBOL"]: (r["VALUE"], r["RESULT"]) for r in table(out)}
    assert rows["ETHUSDTM"] == ("CROSS → ISOLATED", "would switch")
    assert rows["SOLUSDTM"] == ("ISOLATED", "unchanged")
    assert rows["XBTUSDTM"] == ("CROSS → ISOLATED", "would switch")
    assert sent(kucoin_mock) == [("GET", READ_PATH)] * 3
    assert kucoin_mock.mock.mode_of("ETHUSDTM") == "CROSS"

    code, out, _ = run(capsys, [*argv, "--json"], env_for(kucoin_mock))
    report = json.loads(out)
    assert report["dryRun"] is True
    assert report["symbols"][0] == {
        "symbol": "ETHUSDTM",
        "setting": "marginMode",
        "current": "CROSS",
        "target": "ISOLATED",
        "result": "would switch",
        "after": None,
        "reason": None,
        "code": None,
        "msg": "",
    }
    assert list(report) == ["dryRun", "error", "symbols"]


def test_verify_reads_back_every_switched_symbol(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    argv = ["set", "ISOLATED", "ETHUSDTM", "XBTUSDTM", "--verify"]
    code, out, _ = run(capsys, argv, env_for(kucoin_mock))
    assert code == 1  # XBTUSDTM is busy
    rows = {r["SYMBOL"]: [r["VALUE"], r["RESULT"], r["REASON"], r["CODE"]] for r in table(out)}
    assert rows["ETHUSDTM"] == ["? → ISOLATED", "switched", "", ""]
    # The same failed-row format as apply's: the mode it kept, the target, the reason.
    assert rows["XBTUSDTM"] == ["CROSS → ISOLATED", "failed", "busy", "50002"]
    # One batch, then a read of the one symbol it reported switched.
    assert sent(kucoin_mock) == [("POST", BATCH_PATH), ("GET", READ_PATH)]


def test_verify_catches_a_lost_switch_naming_both_modes(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    kucoin_mock.mock.inject("lost_switch")
    code, out, _ = run(capsys, ["set", "ISOLATED", "ETHUSDTM", "--verify"], env_for(kucoin_mock))
    assert code == 1
    (row,) = table(out)
    assert (row["RESULT"], row["REASON"]) == ("unverified", "mismatch")
    assert "reported switched to ISOLATED, but reads back CROSS" in row["MESSAGE"]

    # Without --verify the same lost switch passes for a success: why --verify exists.
    code, out, _ = run(capsys, ["set", "ISOLATED", "ETHUSDTM"], env_for(kucoin_mock))
    assert code == 0
    assert kucoin_mock.mock.mode_of("ETHUSDTM") == "CROSS"


def test_verify_names_a_symbol_whose_read_back_fails(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # KuCoin answers 503 from the moment the switch is applied: every attempt of the
    # read-back (four, with the default retries) fails.
    mock = kucoin_mock.mock
    apply_switch = mock._switch

    def switch_then_fail(*args: Any, **kwargs: Any) -> Any:
        applied = apply_switch(*args, **kwargs)
        mock.inject("http_503")
        return applied

    monkeypatch.setattr(mock, "_switch", switch_then_fail)
    code, out, _ = run(capsys, ["set", "ISOLATED", "ETHUSDTM", "--verify"], env_for(kucoin_mock))
    assert code == 3  # a 5xx after retries is the whole call's failure, not the symbol's
    (row,) = table(out)
    assert (row["RESULT"], row["REASON"], row["CODE"]) == ("unverified", "server_error", "503000")
    assert "the read-back failed" in row["MESSAGE"]
    assert sent(kucoin_mock) == [("POST", BATCH_PATH), *[("GET", READ_PATH)] * 4]
    assert mock.mode_of("ETHUSDTM") == "ISOLATED"


def test_dry_run_and_verify_exclude_each_other(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["set", "ISOLATED", "ETHUSDTM", "--dry-run", "--verify"]
    code, out, err = run(capsys, argv, env_for(kucoin_mock))
    assert (code, out) == (2, "")
    assert "not allowed with" in err
    assert sent(kucoin_mock) == []


# ---- apply --------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_apply_switches_only_what_differs_and_twice_switches_nothing(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mock = kucoin_mock.mock
    mock.set_mode("SOLUSDTM", "ISOLATED")
    plan = {"ETHUSDTM": "ISOLATED", "SOLUSDTM": "ISOLATED", "XRPUSDTM": "CROSS"}
    plan["DOGEUSDTM"] = "ISOLATED"
    file = write(tmp_path, "modes.json", json.dumps(plan))

    code, out, err = run(capsys, ["apply", file], env_for(kucoin_mock))
    assert (code, err) == (0, "")
    results = {r["SYMBOL"]: r["RESULT"] for r in table(out)}
    assert results == {
        "ETHUSDTM": "switched",
        "SOLUSDTM": "unchanged",
        "XRPUSDTM": "unchanged",
        "DOGEUSDTM": "switched",
    }
    posts = [r for r in mock.recent_requests if r.method == "POST"]
    assert len(posts) == 1  # one batch for the one target mode that needs switching
    assert json.loads(posts[0].body)["symbols"] == ["ETHUSDTM", "DOGEUSDTM"]
    assert {s: mock.mode_of(s) for s in plan} == plan

    seen = mock.requests_seen
    code, out, _ = run(capsys, ["apply", file, "--json"], env_for(kucoin_mock))
    assert code == 0
    assert [s["result"] for s in json.loads(out)["symbols"]] == ["unchanged"] * 4
    assert [r.method for r in mock.recent_requests][-(mock.requests_seen - seen) :] == ["GET"] * 4


def test_apply_reports_busy_symbols_and_exits_1(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    file = write(tmp_path, "modes.toml", 'XBTUSDTM = "ISOLATED"\nETHUSDTM = "ISOLATED"\n')
    code, out, _ = run(capsys, ["apply", file], env_for(kucoin_mock))
    assert code == 1
    rows = {r["SYMBOL"]: list(r.values())[2:] for r in table(out)}
    assert rows["XBTUSDTM"] == [
        "CROSS → ISOLATED",
        "failed",
        "busy",
        "50002",
        "exist.order.or.position",
    ]
    assert rows["ETHUSDTM"] == ["CROSS → ISOLATED", "switched", "", "", ""]


def test_apply_dry_run_sends_only_reads(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = write(tmp_path, "modes.json", '{"ETHUSDTM": "ISOLATED"}')
    code, out, _ = run(capsys, ["apply", file, "--dry-run"], env_for(kucoin_mock))
    assert code == 0
    assert [(r["VALUE"], r["RESULT"]) for r in table(out)] == [("CROSS → ISOLATED", "would switch")]
    assert sent(kucoin_mock) == [("GET", READ_PATH)]


def test_apply_splits_at_the_batch_maximum(
    kucoin_mock: RunningMock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kucoin_futures._apply, "BATCH_MAX_SYMBOLS", 2)
    symbols = kucoin_mock.mock.symbols[:5]
    file = write(tmp_path, "modes.json", json.dumps(dict.fromkeys(symbols, "ISOLATED")))
    code, _, _ = run(capsys, ["apply", file], env_for(kucoin_mock))
    assert code == 0
    posts = [json.loads(r.body)["symbols"] for r in kucoin_mock.mock.recent_requests if r.body]
    assert posts == [list(symbols[0:2]), list(symbols[2:4]), list(symbols[4:5])]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '{"ETHUSDTM": "ISOLATED",\n "XBTUSDTM" "CROSS"}', "line 2: not JSON"),
        ("bad.toml", 'ETHUSDTM = "ISOLATED"\nXBTUSDTM = \n', "not TOML"),
        ("mode.json", '{"ETHUSDTM": "isolated"}', "ETHUSDTM: margin mode must be ISOLATED"),
        ("twice.json", '{"ETHUSDTM": "CROSS", "ETHUSDTM": "CROSS"}',
         "twice.json: ETHUSDTM is listed twice"),
        ("twice.toml", 'ETHUSDTM = "CROSS"\nETHUSDTM = "CROSS"\n', "line 2"),
        ("list.json", '["ETHUSDTM"]', "expected a non-empty map"),
        ("empty.json", "{}", "expected a non-empty map"),
        # A table is the settings form: its keys are marginMode and leverage.
        ("nested.toml", '[ETHUSDTM]\nmode = "CROSS"\n', "ETHUSDTM: unknown key 'mode'"),
        ("number.json", '{"ETHUSDTM": 5}', "ETHUSDTM: margin mode must be a string"),
        ("blank.json", '{" ETHUSDTM": "CROSS"}', "blank.json: a key must be a contract symbol"),
        ("inner.json", '{"ETH USDTM": "CROSS"}', "inner.json: a key must be a contract symbol"),
        ("nokey.json", '{"": "CROSS"}', "nokey.json: a key must be a contract symbol"),
        # Read as written, never through a float: neither becomes 1 or 2.55.
        ("below.json", '{"ETHUSDTM": {"leverage": 0.99999999999999999}}',
         "ETHUSDTM: leverage must be at least 1, got 0.99999999999999999"),
        ("cents.toml", "ETHUSDTM = { leverage = 2.5500000000000001 }\n",
         "at most two decimals, got 2.5500000000000001"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ],
)  # fmt: skip
def test_a_bad_apply_file_exits_2_before_anything_is_sent(
    kucoin_mock: RunningMock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
    message: str,
) -> None:
    file = write(tmp_path, name, text)
    code, out, err = run(capsys, ["apply", file], env_for(kucoin_mock))
    assert (code, out) == (2, "")
    assert message in err, err
    assert len(err.splitlines()) == 1
    assert kucoin_mock.mock.requests_seen == 0


def test_a_missing_apply_file_exits_2(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, ["apply", str(tmp_path / "nope.json")], env_for(kucoin_mock))
    assert code == 2
    assert "cannot read" in err


# ---- progress -----------------------------------------------------------------------------


def test_progress_is_silent_when_stderr_is_not_a_terminal(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    symbols = list(kucoin_mock.mock.symbols)
    code, _, err = run(capsys, ["get", *symbols], env_for(kucoin_mock))
    assert (code, err) == (0, "")


def test_progress_on_a_terminal_counts_and_clears_its_line() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with _Progress(stream) as progress:
        progress.reading(1, 2)
        progress.stage("switch", 1, 1)
    assert stream.getvalue() == "\rread 1/2\033[K\rswitch 1/1\033[K\r\033[K"


def test_every_command_has_help() -> None:
    for command in ("get", "set", "apply"):
        assert main([command, "--help"]) == 0
