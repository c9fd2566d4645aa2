"""Contract tests of openapi.yaml.

- schemathesis over the whole spec, positive and negative, against the mock (CI, in-process
  and over loopback) or against any server (`python -m contract_tests.live`);
- consumer tests: every request the generated client sends, checked against the spec;
- self-tests: deliberately broken mocks the suite must catch, each by its own check.

`run_suite` is the one entry point of a schemathesis run; its configuration is the
committed `schemathesis.toml` beside this file.
"""

from ._suite import CheckFailure, SuiteResult, run_suite

__all__ = ["CheckFailure", "SuiteResult", "run_suite"]
