"""Shared fixtures of the contract suite."""

from __future__ import annotations

import pytest

from kucoin_futures_mock import DEMO_CREDENTIALS, create_app

from ._mocks import fresh_mock
from ._suite import SuiteResult, configured_junit_path, run_suite


@pytest.fixture(scope="session")
def in_process_run() -> SuiteResult:
    """The CI run: the whole openapi.yaml against the mock in-process, JUnit report included
    (one file per pytest-xdist worker that needs this run)."""
    return run_suite(
        DEMO_CREDENTIALS, app=create_app(fresh_mock()), junit_path=configured_junit_path()
    )
