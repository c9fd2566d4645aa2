"""Shared fixtures of the contract suite."""

from __future__ import annotations

import pytest

from kucoin_futures_mock import DEMO_CREDENTIALS, create_app

from ._background import RUNS
from ._mocks import fresh_mock
from ._suite import SuiteResult, configured_junit_path, load_config, run_suite


@pytest.fixture(scope="session")
def in_process_run() -> SuiteResult:
    """The CI run: the whole openapi.yaml against the mock in-process, JUnit report included.

    Shared by the CI test and the harness self-tests, which compare broken variants of the
    mock with exactly this run.
    """
    return run_suite(
        DEMO_CREDENTIALS,
        app=create_app(fresh_mock()),
        junit_path=configured_junit_path(load_config()),
    )


def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Tests that wait for a background run go last, so the session works meanwhile."""
    waiting = [item for item in items if _background_name(item) is not None]
    if waiting:
        items[:] = [item for item in items if _background_name(item) is None] + waiting


def _background_name(item: pytest.Item) -> str | None:
    namer = getattr(getattr(item, "module", None), "background_run_name", None)
    return namer(item) if namer is not None else None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Hand the self-tests' independent runs to a worker process as soon as they are known.

    A test module opts in with `background_run_name(item)` and a picklable `unit_run`.
    """
    by_module: dict[object, list[str]] = {}
    for item in session.items:
        name = _background_name(item)
        if name is not None:
            by_module.setdefault(getattr(item, "module", None), []).append(name)
    for module, names in by_module.items():
        RUNS.start(module.unit_run, names)  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session) -> None:
    RUNS.shutdown()
