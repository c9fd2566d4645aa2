"""The whole openapi.yaml, positively and negatively, against the mock: in-process and over
real HTTP on loopback. This is the contract suite CI runs."""

from __future__ import annotations

from xml.etree import ElementTree

from kucoin_futures_mock import serve_in_thread

from ._mocks import fresh_mock
from ._suite import STATEFUL_TEST, SuiteResult, run_suite
from .operations import operation_labels

CONFIGURED_CHECKS = frozenset(
    {
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "not_a_server_error",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "ignored_auth",
        "forged_credentials_rejected",
        "read_after_switch",
        "read_after_leverage_change",
        "not_rate_limited",
    }
)


def spec_operations() -> frozenset[str]:
    """Every operation openapi.yaml describes, as "METHOD /path" (the suite names none)."""
    return operation_labels()


MIN_PAIRS = 30  # [checks.read_after_switch] min_pairs
MIN_LEVERAGE_PAIRS = 10  # [checks.read_after_leverage_change] min_pairs


def test_mock_honours_the_contract_in_process_and_the_junit_report_says_so(
    in_process_run: SuiteResult,
) -> None:
    # One test for the run and its report: under pytest-xdist a second test of the session
    # fixture would make the whole run again on the other worker (pytest 9.2 ignores the
    # node ids xdist's --dist loadgroup rewrites, so the tests cannot be grouped).
    assert in_process_run.passed, in_process_run.summary()
    # Exactly the configured checks ran: none silently skipped, none extra.
    assert in_process_run.checks_run == CONFIGURED_CHECKS
    assert set(in_process_run.cases_by_phase) == {"examples", "coverage", "fuzzing", "stateful"}
    assert in_process_run.cases >= 600
    assert in_process_run.stateful_pairs >= MIN_PAIRS
    assert in_process_run.leverage_pairs >= MIN_LEVERAGE_PAIRS
    # Every operation of the spec was tested, none by a list kept here.
    assert in_process_run.operations == spec_operations()

    # The JUnit report covers every operation and the stateful phase.
    path = in_process_run.junit_path
    assert path is not None
    # The report this run just wrote, not untrusted input.
    report = ElementTree.parse(path).getroot()  # noqa: S314
    cases = list(report.iter("testcase"))
    names = {f"test_operation[{operation}]" for operation in spec_operations()}
    assert {case.get("name") for case in cases} == names | {STATEFUL_TEST}
    (suite,) = report.iter("testsuite")
    assert suite.get("failures") == "0"
    assert suite.get("errors") == "0"


def test_mock_honours_the_contract_over_http_loopback() -> None:
    with serve_in_thread(fresh_mock()) as running:
        result = run_suite(running.credentials, base_url=running.base_url)
    assert result.passed, result.summary()
    assert result.checks_run == CONFIGURED_CHECKS
    assert result.stateful_pairs >= MIN_PAIRS
    assert result.leverage_pairs >= MIN_LEVERAGE_PAIRS
