"""The console script's failures: one line on stderr and exit 2 for every bad argument and
for a missing `[mock]` extra, never a traceback or argparse's usage block."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from kucoin_futures_mock.__main__ import main

from .conftest import SPEC_FILE

ROOT = SPEC_FILE.parent


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--port", "99999"], "argument --port: must be 0-65535, got 99999"),
        (["--port", "-1"], "argument --port: must be 0-65535, got -1"),
        (["--port", "http"], "argument --port: expected an integer, got 'http'"),
        (["--port", "9" * 5000], "argument --port: expected an integer, got '9999"),
        (["--quota", "-5"], "argument --quota: must be >= 0, got -5"),
        (["--window", "0"], "argument --window: must be a finite number > 0"),
        (["--window", "nan"], "argument --window: must be a finite number > 0"),
        (["--window", "inf"], "argument --window: must be a finite number > 0"),
        (["--seed", "x"], "argument --seed: expected an integer"),
        (["--request-timeout", "0"], "argument --request-timeout: must be a finite number > 0"),
        (["--key-version", "7"], "argument --key-version: invalid choice"),
        (["--busy", "NOPEUSDTM"], "catalogue"),
        (["--fault", "meteor"], "unknown fault kind"),
        (["--fault", "latency:ms=1e99"], "ms must be an integer"),
        (["--api-key", "k"], "go together"),
        (["--mode", "XBTUSDTM=PORTFOLIO"], "SYMBOL=ISOLATED|CROSS"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--host", "no such host name.invalid"], "argument --host: cannot resolve"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("kucoin-futures-mock: error: "), captured.err
    assert error in captured.err
    assert len(captured.err) < 300, "a long argument is quoted in part only"


def test_a_bad_port_through_the_console_script_is_one_line() -> None:
    script = Path(sys.executable).with_name("kucoin-futures-mock")
    result = subprocess.run([script, "--port", "99999"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "kucoin-futures-mock: error: argument --port: must be 0-65535, got 99999 (see --help)\n"
    )


# Runs the entry point with one of the [mock] extra's libraries made unimportable, as on
# a runtime-only install (None in sys.modules makes `import` raise ModuleNotFoundError).
_WITHOUT = textwrap.dedent(
    """
    import sys
    sys.modules[{module!r}] = None
    from kucoin_futures_mock.__main__ import main
    sys.exit(main({argv!r}))
    """
)


def _install_hint() -> str:
    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    return f"install {name} with it, e.g. pip install '.[mock]' in a clone"


@pytest.mark.parametrize("module", ["starlette", "uvicorn", "jsonschema", "yaml"])
@pytest.mark.parametrize("argv", [["--help"], ["--port", "0"]], ids=["help", "serve"])
def test_without_the_mock_extra_the_script_names_the_extra(module: str, argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT.format(module=module, argv=argv)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"kucoin-futures-mock: needs the [mock] extra ({module!r} is not installed): "
        f"{_install_hint()}\n"
    )


def test_an_unrelated_missing_module_is_not_blamed_on_the_extra() -> None:
    # A bug of ours (a module of the package itself missing) must not pass for an
    # install problem: it stays a traceback.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _WITHOUT.format(module="kucoin_futures_mock._faults", argv=["--help"]),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "ModuleNotFoundError" in result.stderr
    assert "[mock] extra" not in result.stderr


def test_the_fixture_without_the_mock_extra_fails_with_the_same_hint(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import sys\nsys.modules['starlette'] = None\n", encoding="utf-8"
    )
    (tmp_path / "test_bot.py").write_text(
        "def test_bot(kucoin_mock):\n    pass\n", encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout
    expected = (
        "the kucoin_mock fixture: needs the [mock] extra ('starlette' is not installed): "
        f"{_install_hint()}"
    )
    assert expected in result.stdout
    assert "Traceback" not in result.stdout
    assert "During handling" not in result.stdout


def test_the_clock_skew_help_says_what_it_models(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "clock_skew a server clock off by ms for the next count SIGNED requests" in help_text
    assert "reports the skewed clock while it lasts, without using up the count" in help_text
