"""`kucoin-margin`: exit codes, the table, `--json`, one-line errors, a fast `--help`.

Runs `main(argv)` in-process against the mock (the `kucoin_mock` fixture), plus one
subprocess for `--help`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from kucoin_futures.cli import main

if TYPE_CHECKING:
    from kucoin_futures_mock import RunningMock


def env_for(running: RunningMock, **overrides: str) -> dict[str, str]:
    credentials = running.credentials
    env = {
        "KUCOIN_API_KEY": credentials.key,
        "KUCOIN_API_SECRET": credentials.secret,
        "KUCOIN_API_PASSPHRASE": credentials.passphrase,
        "KUCOIN_API_KEY_VERSION": str(credentials.key_version),
        "KUCOIN_FUTURES_BASE_URL": running.base_url,
    }
    env.update(overrides)
    return env


def table(out: str) -> list[dict[str, str]]:
    """The CLI's table as one dict per row, cells cut at the header's column starts."""
    header, *lines = out.splitlines()
    starts = [match.start() for match in re.finditer(r"\S+", header)]
    names = header.split()
    assert names == ["SYMBOL", "SETTING", "VALUE", "RESULT", "REASON", "CODE", "MESSAGE"]
    bounds = [*starts[1:], None]
    return [
        {
            name: line[start:end].strip()
            for name, start, end in zip(names, starts, bounds, strict=True)
        }
        for line in lines
    ]


def run(
    capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str]
) -> tuple[int, str, str]:
    code = main(argv, environ=env)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_all_switched_exits_0_with_one_row_per_symbol(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, ["set", "ISOLATED", "XBTUSDTM", "ETHUSDTM"], env_for(kucoin_mock))
    assert (code, err) == (0, "")
    assert [(r["SYMBOL"], r["VALUE"], r["RESULT"], r["REASON"]) for r in table(out)] == [
        ("XBTUSDTM", "? \u2192 ISOLATED", "switched", ""),
        ("ETHUSDTM", "? \u2192 ISOLATED", "switched", ""),
    ]
    assert kucoin_mock.mock.mode_of("XBTUSDTM") == "ISOLATED"


def test_some_failed_exits_1_and_names_why(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    code, out, err = run(
        capsys,
        ["set", "ISOLATED", "XBTUSDTM", "ETHUSDTM", "NOSUCHUSDTM"],
        env_for(kucoin_mock),
    )
    assert (code, err) == (1, "")
    rows = {row["SYMBOL"]: row for row in table(out)}
    assert rows["XBTUSDTM"] == {
        "SYMBOL": "XBTUSDTM",
        "SETTING": "marginMode",
        "VALUE": "CROSS \u2192 ISOLATED",  # the mode the refused symbol kept
        "RESULT": "failed",
        "REASON": "busy",
        "CODE": "50002",
        "MESSAGE": "exist.order.or.position",
    }
    assert (rows["ETHUSDTM"]["RESULT"], rows["ETHUSDTM"]["REASON"]) == ("switched", "")
    assert (rows["NOSUCHUSDTM"]["RESULT"], rows["NOSUCHUSDTM"]["REASON"]) == (
        "failed",
        "unknown_symbol",
    )
    assert rows["NOSUCHUSDTM"]["CODE"] == "200003"


def test_raw_reply_prints_the_reply_data_as_received(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.set_busy("XBTUSDTM")
    code, out, err = run(
        capsys,
        [
            "set",
            "ISOLATED",
            "ETHUSDTM",
            "XBTUSDTM",
            "--raw-reply",
            "--base-url",
            kucoin_mock.base_url,
        ],
        env_for(kucoin_mock, KUCOIN_FUTURES_BASE_URL="http://127.0.0.1:9"),
    )
    assert (code, err) == (1, "")
    assert out.endswith("\n")
    assert out.count("\n") == 1
    assert " " not in out.replace("exist.order.or.position", "")  # compact
    data = json.loads(out)
    assert data == {
        "marginMode": {"ETHUSDTM": "ISOLATED", "XBTUSDTM": "CROSS"},
        "errors": [{"code": "50002", "msg": "exist.order.or.position", "symbol": "XBTUSDTM"}],
    }
    reply = kucoin_mock.mock.recent_requests[-1]
    assert reply.path == "/api/v2/position/batchChangeMarginMode"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["set"], "required: MODE, SYMBOL"),
        (["set", "ISOLATED"], "required: SYMBOL"),
        (["set", "isolated", "XBTUSDTM"], "ISOLATED or CROSS"),
        (["set", "CROSS", "XBTUSDTM", "XBTUSDTM"], "repeated: XBTUSDTM"),
        (["set", "CROSS", "XBTUSDTM", "--timeout", "0"], "seconds above 0"),
        (["set", "CROSS", "XBTUSDTM", "--timeout", "soon"], "seconds above 0"),
        (["set", "CROSS", "XBTUSDTM", "--timeout", "1e10"], "at most 600: 1e10"),
        (["get", "XBTUSDTM", "--timeout", "nan"], "at most 600: nan"),
        (["get", "XBTUSDTM", "--timeout", "inf"], "at most 600: inf"),
        (["get", "XBTUSDTM", "--timeout", "\x1b[2J"], "at most 600: \\x1b[2J"),
        (["set", "CROSS", "XBTUSDTM", "--base-url", "kucoin.example"], "absolute http"),
        (["switch", "CROSS", "XBTUSDTM"], "invalid choice: 'switch'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    # Nothing listens on port 9: had anything been sent, the exit code would be 3.
    env = {
        "KUCOIN_API_KEY": "k",
        "KUCOIN_API_SECRET": "s",
        "KUCOIN_API_PASSPHRASE": "p",
        "KUCOIN_FUTURES_BASE_URL": "http://127.0.0.1:9",
    }
    code, out, err = run(capsys, argv, env)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("kucoin-margin: error: ")
    assert message in err


@pytest.mark.parametrize(
    "missing", ["KUCOIN_API_KEY", "KUCOIN_API_SECRET", "KUCOIN_API_PASSPHRASE"]
)
def test_missing_credentials_exit_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    env = {
        "KUCOIN_API_KEY": "k",
        "KUCOIN_API_SECRET": "s",
        "KUCOIN_API_PASSPHRASE": "p",
        "KUCOIN_FUTURES_BASE_URL": "http://127.0.0.1:9",
    }
    del env[missing]
    code, out, err = run(capsys, ["set", "CROSS", "XBTUSDTM"], env)
    assert (code, out) == (2, "")
    assert err == f"kucoin-margin: error: environment variable {missing} is not set or empty\n"


def test_api_error_exits_3(kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_for(kucoin_mock, KUCOIN_API_KEY="unknown-key")
    code, out, err = run(capsys, ["set", "CROSS", "XBTUSDTM"], env)
    assert code == 3
    assert [(r["RESULT"], r["REASON"], r["CODE"]) for r in table(out)] == [
        ("failed", "authentication", "400003")
    ]
    assert err == "kucoin-margin: error: KuCoin error 400003: KC-API-KEY not exists (HTTP 401)\n"


def test_a_wrong_secret_gets_a_hint_with_the_passphrase_error(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    # KuCoin checks the passphrase first, and it travels signed with the secret.
    env = env_for(kucoin_mock, KUCOIN_API_SECRET="not-the-secret")
    code, out, err = run(capsys, ["set", "CROSS", "XBTUSDTM"], env)
    assert code == 3
    assert "not-the-secret" not in out
    assert err.startswith("kucoin-margin: error: KuCoin error 400004: ")
    assert err.endswith("(a wrong KUCOIN_API_SECRET shows up as a wrong passphrase too)\n")
    assert "not-the-secret" not in err


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    import kucoin_futures

    code, out, _err = run(capsys, ["--version"], {})
    assert code == 0
    assert out == f"kucoin-margin {version('kucoin-futures-client')}\n"
    assert kucoin_futures.__version__ == version("kucoin-futures-client")


def test_business_error_exits_3(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.inject("business_error", count=1)
    code, out, err = run(capsys, ["set", "CROSS", "XBTUSDTM"], env_for(kucoin_mock))
    assert code == 3
    assert [(r["RESULT"], r["REASON"]) for r in table(out)] == [("failed", "request_refused")]
    assert "KuCoin error 300000" in err


def test_network_error_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"KUCOIN_API_KEY": "k", "KUCOIN_API_SECRET": "s", "KUCOIN_API_PASSPHRASE": "p"}
    # Port 9 (discard) is closed on loopback: the connection is refused at once.
    code, out, err = run(
        capsys,
        ["set", "CROSS", "XBTUSDTM", "--base-url", "http://127.0.0.1:9", "--timeout", "1"],
        env,
    )
    assert code == 3
    assert [(r["RESULT"], r["REASON"]) for r in table(out)] == [("failed", "transport")]
    assert err.startswith("kucoin-margin: error: ConnectError on POST ")
    assert err.count("\n") == 1


def test_verbose_logs_each_attempt_to_stderr(
    kucoin_mock: RunningMock, capsys: pytest.CaptureFixture[str]
) -> None:
    kucoin_mock.mock.inject("http_503", count=1)
    code, _out, err = run(capsys, ["set", "CROSS", "XBTUSDTM", "-v"], env_for(kucoin_mock))
    assert code == 0
    assert "POST /api/v2/position/batchChangeMarginMode -> 503 (attempt 1," in err
    assert "POST /api/v2/position/batchChangeMarginMode -> 200 (attempt 2," in err


def test_help_runs_without_importing_httpx() -> None:
    probe = (
        "import sys\n"
        "from kucoin_futures.cli import main\n"
        "code = main(['set', '--help'])\n"
        "heavy = [m for m in ('attrs', 'httpx', 'kucoin_futures_client') if m in sys.modules]\n"
        "print('loaded:', heavy, 'exit:', code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60,
    )
    assert "usage: kucoin-margin set [-h]" in result.stdout
    assert "KUCOIN_API_KEY" in result.stdout
    assert result.stdout.rstrip().endswith("loaded: [] exit: 0")


def test_console_script_points_at_main() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="kucoin-margin")
    assert script.load() is main
