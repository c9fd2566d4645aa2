"""`[warnings] fail-on` of schemathesis.toml, enforced on the suite's own route as checks.

`schemathesis run` turns its warnings into failures by that setting; the suite's runs go
through schemathesis' pytest route, where warnings are not reported, so each warning the
file names has a check that fails the run for the same reason (`WARNING_CHECKS`;
`run_suite` refuses a warning without one):

- `missing_auth` (valid requests answered 401/403: the signing is broken) is
  `positive_data_acceptance`, which the file makes accept only 200. It is stricter than
  the warning: one 401 to a valid request fails the run.
- `rate_limited` (429 replies: the quota is too low for the run) is `not_rate_limited`
  below: any 429 fails the run, whatever the case, since a rate-limited reply tested the
  gateway's quota, not the contract.
"""

from __future__ import annotations

from typing import Any, Final

import schemathesis

CHECK_NAME: Final = "not_rate_limited"
WARNING_CHECKS: Final = {
    "missing_auth": "positive_data_acceptance",
    "rate_limited": CHECK_NAME,
}


@schemathesis.check
def not_rate_limited(ctx: Any, response: Any, case: Any) -> bool | None:
    """No reply of the run is a 429: the run tests the contract, not the quota."""
    if response.status_code == 429:
        raise AssertionError(
            f"{case.operation.label} was answered 429 (rate limited): the server's quota is "
            "too low for the run, which then tests the gateway instead of the contract"
        )
    return None
