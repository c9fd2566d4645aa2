"""`python -m contract_tests.live`, run against the mock over loopback so it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kucoin_futures_auth import Credentials
from kucoin_futures_auth.verify import VerificationFailure, Verified, verify_request
from kucoin_futures_mock import SYMBOLS, MockKucoin, serve_in_thread

from . import live
from ._mocks import RUN_QUOTA
from ._suite import PROJECT_ROOT

LISTED = ("SOLUSDTM", "ADAUSDTM")


def environment(credentials: Credentials, **extra: str) -> dict[str, str]:
    return {
        "KUCOIN_API_KEY": credentials.key,
        "KUCOIN_API_SECRET": credentials.secret,
        "KUCOIN_API_PASSPHRASE": credentials.passphrase,
        "KUCOIN_API_KEY_VERSION": str(credentials.key_version),
        **extra,
    }


class BodySpy:
    """The mock's real verifier, keeping the body of every request it accepts."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []

    def __call__(
        self,
        headers: Mapping[str, str],
        method: str,
        path_with_query: str,
        body: bytes,
        *,
        lookup: Callable[[str], Credentials | None],
        now_ms: int,
    ) -> Verified | VerificationFailure:
        verdict = verify_request(
            headers, method, path_with_query, body, lookup=lookup, now_ms=now_ms
        )
        if isinstance(verdict, Verified):
            self.accepted.append(body)
        return verdict


def test_live_run_passes_and_switches_only_the_listed_symbols(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "live-junit.xml"
    spy = BodySpy()
    mock = MockKucoin(quota=RUN_QUOTA)
    with serve_in_thread(mock, verify=spy) as running:
        env = environment(running.credentials, KUCOIN_CONTRACT_SYMBOLS=" SOLUSDTM,ADAUSDTM,")
        status = live.main(["--base-url", running.base_url, "--junit", str(junit)], environ=env)
    out = capsys.readouterr()

    assert status == live.EXIT_PASSED, out.out + out.err
    assert "CHANGES MARGIN MODES" in out.err
    assert "SOLUSDTM, ADAUSDTM" in out.err
    assert running.credentials.secret not in out.out + out.err
    report = ElementTree.parse(junit).getroot()  # noqa: S314 - written by this run
    assert report.get("failures") == "0"
    assert int(report.get("tests", "0")) == 2
    # Valid, signed requests only (positive mode), and none names a symbol not listed.
    requested = [json.loads(body)["symbols"] for body in spy.accepted]
    assert requested
    assert {symbol for symbols in requested for symbol in symbols} <= set(LISTED)
    assert all(mock.mode_of(s) == "CROSS" for s in SYMBOLS if s not in LISTED)


def test_live_run_fails_when_the_server_refuses_valid_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(MockKucoin(quota=RUN_QUOTA)) as running:
        wrong = Credentials(running.credentials.key, "not-the-secret", "not-the-passphrase")
        env = environment(wrong, KUCOIN_CONTRACT_SYMBOLS="SOLUSDTM")
        junit = tmp_path / "live-junit.xml"
        status = live.main(["--base-url", running.base_url, "--junit", str(junit)], environ=env)
    out = capsys.readouterr()

    assert status == live.EXIT_FAILED
    assert "FAILED" in out.out
    assert "not-the-secret" not in out.out + out.err
    report = ElementTree.parse(junit).getroot()  # noqa: S314 - written by this run
    assert report.get("failures") != "0"


def test_live_run_needs_the_symbol_list_for_a_remote_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    credentials = Credentials("key", "secret", "passphrase")
    status = live.main(
        ["--base-url", "https://api-futures.kucoin.com"], environ=environment(credentials)
    )
    err = capsys.readouterr().err
    assert status == live.EXIT_USAGE
    assert live.SYMBOLS_VARIABLE in err
    assert "CHANGES MARGIN MODES" not in err


def test_live_run_needs_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    status = live.main(
        ["--base-url", "https://api-futures.kucoin.com"],
        environ={"KUCOIN_API_KEY": "key", "KUCOIN_CONTRACT_SYMBOLS": "XBTUSDTM"},
    )
    assert status == live.EXIT_USAGE
    assert "KUCOIN_API_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.1.2.3", True),
        ("http://localhost:9", True),
        ("http://[::1]:8080", True),
        ("https://api-futures.kucoin.com", False),
        ("http://10.0.0.1", False),
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_only_this_machine_counts_as_loopback(url: str, loopback: bool) -> None:
    assert live.is_loopback_url(url) is loopback


def test_symbol_list_is_parsed_forgivingly() -> None:
    assert live.parse_symbols(" XBTUSDTM, ,ETHUSDTM,XBTUSDTM,") == ("XBTUSDTM", "ETHUSDTM")
    assert live.parse_symbols("") == ()


def test_make_contract_runs_the_module() -> None:
    # What `make contract` runs; an empty BASE_URL must stop it before anything is sent.
    result = subprocess.run(
        [sys.executable, "-m", "contract_tests.live", "--base-url", ""],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == live.EXIT_USAGE, result.stderr
    assert "--base-url is empty" in result.stderr
