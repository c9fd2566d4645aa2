"""`python -m contract_tests.live`, run against the mock over loopback so it cannot rot."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from kucoin_futures_auth import Credentials
from kucoin_futures_auth.verify import VerificationFailure, Verified, verify_request
from kucoin_futures_mock import SYMBOLS, MockKucoin, serve_in_thread

from . import _suite, live
from ._mocks import RUN_QUOTA
from ._suite import PROJECT_ROOT
from .operations import operation_labels

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
    mock.set_mode("SOLUSDTM", "ISOLATED")
    mock.set_leverage("SOLUSDTM", "7.5")
    default_leverages = MockKucoin().leverages()
    with serve_in_thread(mock, verify=spy) as running:
        env = environment(running.credentials, KUCOIN_CONTRACT_SYMBOLS=" SOLUSDTM,ADAUSDTM,")
        status = live.main(["--base-url", running.base_url, "--junit", str(junit)], environ=env)
    out = capsys.readouterr()

    assert status == live.EXIT_PASSED, out.out + out.err
    assert "CHANGES MARGIN MODES" in out.err
    assert "SOLUSDTM, ADAUSDTM" in out.err
    assert running.credentials.secret not in out.out + out.err
    report = ElementTree.parse(junit).getroot()  # noqa: S314 - written by this run
    (suite,) = report.iter("testsuite")
    assert suite.get("failures") == "0"
    # Every operation of the spec, and the stateful phase.
    assert int(suite.get("tests", "0")) == len(operation_labels()) + 1
    # Valid, signed requests only (positive mode), and no switch or leverage change names a
    # symbol not listed.
    changes = [json.loads(body) for body in spy.accepted if body]
    named = [s for body in changes for s in body.get("symbols", [body.get("symbol")])]
    switches = [body for body in changes if "marginMode" in body]
    assert {"symbols" in body for body in switches} == {True, False}, "batch and single"
    assert any("leverage" in body for body in changes), "leverage changes"
    assert named
    assert set(named) <= set(LISTED)
    assert all(mock.mode_of(s) == "CROSS" for s in SYMBOLS if s not in LISTED)
    assert all(mock.leverage_of(s) == default_leverages[s] for s in SYMBOLS if s not in LISTED)
    # The listed symbols are back where they were, and the run says so.
    assert (mock.mode_of("SOLUSDTM"), mock.mode_of("ADAUSDTM")) == ("ISOLATED", "CROSS")
    assert (mock.leverage_of("SOLUSDTM"), mock.leverage_of("ADAUSDTM")) == (
        "7.5",
        default_leverages["ADAUSDTM"],
    )
    assert "modes before the run: SOLUSDTM ISOLATED, ADAUSDTM CROSS" in out.err
    assert f"leverages before the run: SOLUSDTM 7.5, ADAUSDTM {mock.leverage_of('ADAUSDTM')}" in (
        out.err
    )
    assert "restored the modes of SOLUSDTM, ADAUSDTM" in out.out
    assert "restored the leverages of SOLUSDTM, ADAUSDTM" in out.out
    assert "read-after-switch pairs" in out.out
    assert "read-after-leverage-change pairs" in out.out


PASSED_RUN = _suite.SuiteResult(
    failures=(), errors=(), checks_run=frozenset(), cases=0, requests=0, exit_code=0
)


def test_live_run_names_the_symbols_it_could_not_restore_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What happens after a run is under test, not the run: a stand-in leaves the state.
    mock = MockKucoin(quota=RUN_QUOTA)

    def run_then_open_a_position(*args: Any, **kwargs: Any) -> Any:
        mock.set_mode("SOLUSDTM", "ISOLATED")  # left switched, and now it cannot go back
        mock.set_busy("SOLUSDTM")
        return PASSED_RUN

    monkeypatch.setattr(live, "run_suite", run_then_open_a_position)
    with serve_in_thread(mock) as running:
        env = environment(running.credentials, KUCOIN_CONTRACT_SYMBOLS="SOLUSDTM,ADAUSDTM")
        junit = tmp_path / "live-junit.xml"
        status = live.main(["--base-url", running.base_url, "--junit", str(junit)], environ=env)
    out = capsys.readouterr()
    assert status == live.EXIT_NOT_RESTORED, out.out + out.err
    assert "NOT RESTORED: SOLUSDTM should be CROSS (HTTP 200 code 50002)" in out.err
    assert "ADAUSDTM" not in out.err.split("NOT RESTORED", 1)[1]
    assert mock.mode_of("ADAUSDTM") == "CROSS"
    # A busy symbol keeps accepting leverage changes (openapi.yaml): that part is restored.
    assert "restored the leverages of SOLUSDTM, ADAUSDTM" in out.out


def test_live_run_names_a_leverage_it_could_not_restore_and_exits_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mock = MockKucoin(quota=RUN_QUOTA)
    before = mock.leverage_of("ADAUSDTM")

    def run_then_lose_every_change(*args: Any, **kwargs: Any) -> Any:
        mock.set_leverage("ADAUSDTM", "9")  # left changed, and changes are now lost
        mock.set_leverage("SOLUSDTM", "3")
        mock.inject("lost_switch")
        return PASSED_RUN

    monkeypatch.setattr(live, "run_suite", run_then_lose_every_change)
    with serve_in_thread(mock) as running:
        env = environment(running.credentials, KUCOIN_CONTRACT_SYMBOLS="SOLUSDTM,ADAUSDTM")
        status = live.main(["--base-url", running.base_url], environ=env)
    out = capsys.readouterr()
    assert status == live.EXIT_NOT_RESTORED, out.out + out.err
    assert f"NOT RESTORED: ADAUSDTM leverage should be {before} (it is 9)" in out.err
    assert f"NOT RESTORED: SOLUSDTM leverage should be {before} (it is 3)" in out.err
    assert "restored the modes of SOLUSDTM, ADAUSDTM" in out.out
    assert "restored the leverages" not in out.out


def test_restoring_a_leverage_compares_numbers_and_changes_only_what_differs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str]] = []

    class Client:
        def read_leverage(self, symbol: str) -> tuple[str | None, str]:
            return {"SOLUSDTM": "2.5", "ADAUSDTM": "4"}[symbol], ""

        def change_leverage(self, symbol: str, leverage: str) -> tuple[str | None, str]:
            calls.append((symbol, leverage))
            return None, "HTTP 200 code 100001"

    before = {"SOLUSDTM": "2.50", "ADAUSDTM": "5"}
    not_restored = live.restore_leverages(Client(), before)  # type: ignore[arg-type]
    assert calls == [("ADAUSDTM", "5")]
    assert not_restored == {"ADAUSDTM": "HTTP 200 code 100001"}


def test_live_run_does_not_start_when_a_listed_mode_cannot_be_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    mock = MockKucoin(quota=RUN_QUOTA)
    with serve_in_thread(mock) as running:
        env = environment(running.credentials, KUCOIN_CONTRACT_SYMBOLS="SOLUSDTM,NOPEUSDTM")
        status = live.main(["--base-url", running.base_url], environ=env)
        seen = mock.requests_seen
    err = capsys.readouterr().err
    assert status == live.EXIT_USAGE
    assert "cannot read the margin mode of NOPEUSDTM" in err
    assert "code 200003" in err
    assert seen == 3, "three reads (SOLUSDTM's mode and leverage, NOPEUSDTM's mode), nothing else"


def test_live_run_fails_when_the_server_refuses_valid_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(MockKucoin(quota=RUN_QUOTA)) as running:
        wrong = Credentials(running.credentials.key, "not-the-secret", "not-the-passphrase")
        # No symbol list (allowed on loopback): nothing to read first, the run itself fails.
        env = environment(wrong)
        junit = tmp_path / "live-junit.xml"
        status = live.main(["--base-url", running.base_url, "--junit", str(junit)], environ=env)
    out = capsys.readouterr()

    assert status == live.EXIT_FAILED
    assert "FAILED" in out.out
    # The failures' "Reproduce with: curl ..." lines are there, without a credential.
    assert "curl -X POST -H 'KC-API-KEY: [redacted]'" in out.out
    written = junit.read_text()
    assert "KC-API-PASSPHRASE: [redacted]" in written
    for shown in (out.out + out.err, written):
        for value in (*wrong.secret_values(), wrong.key):
            assert value not in shown
        assert re.search(r"KC-API-SIGN['\"]?:\s*['\"]?[A-Za-z0-9+/]{43}=", shown) is None
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
    assert result.stderr.endswith(
        "contract_tests.live: exit 2: the run could not start (nothing was switched)\n"
    )


def test_make_contract_ends_with_the_runners_code_and_its_meaning() -> None:
    # GNU make reports any failed recipe as its own exit 2; the runner's line says which.
    result = subprocess.run(
        ["make", "--no-print-directory", "contract", "BASE_URL=http://mock:8080"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    # make's own "make: *** ... Error 2" (make[1] when the tests run under make) follows.
    lines = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: ", line)]
    assert (
        lines[-1] == "contract_tests.live: exit 2: the run could not start (nothing was switched)"
    )
    assert "KUCOIN_FUTURES_ALLOW_HTTP=1" in result.stderr  # plain http beyond loopback


@pytest.mark.parametrize("code", sorted(live.EXIT_MEANINGS))
def test_every_exit_code_has_a_meaning_and_the_docs_list_it(code: int) -> None:
    harness_page = (PROJECT_ROOT / "docs" / "harness.md").read_text()
    assert f"| {code} | {live.EXIT_MEANINGS[code]}" in harness_page


def test_a_proxy_from_the_environment_stops_a_plain_http_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    credentials = Credentials("key", "secret", "passphrase")
    status = live.main(["--base-url", "http://127.0.0.1:9"], environ=environment(credentials))
    assert status == live.EXIT_USAGE
    assert "NO_PROXY" in capsys.readouterr().err
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    live._refuse_a_proxy_for_plain_http("http://127.0.0.1:9", allow_http=False)  # no raise
