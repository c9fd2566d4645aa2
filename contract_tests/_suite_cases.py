"""The contract suite as pytest tests, collected by `run_suite` only (`_suite.py`).

The project's own test session never collects this file (its name is not test_*.py): it
runs inside the session `run_suite` starts, which provides the schema and the options.
Every operation of openapi.yaml gets the examples, coverage and fuzzing phases
(`schema.parametrize()`), and the links of openapi.yaml drive the stateful phase
(`schema.as_state_machine()`): nothing here names an operation.
"""

from __future__ import annotations

from typing import Any

from ._suite import active_run

RUN = active_run()

if RUN.unit_phases:

    @RUN.schema.parametrize()  # type: ignore[untyped-decorator]
    def test_operation(case: Any) -> None:
        RUN.test_case(case)


if RUN.stateful:

    def test_stateful() -> None:
        RUN.run_state_machine()
