"""The mock set-up every schemathesis run of the test suite starts from."""

from __future__ import annotations

from kucoin_futures_mock import MockKucoin

# A run sends a few hundred requests; the default quota (2000 weight / 30 s) would turn the
# tail of a run into 429s, which tests the rate limiter instead of the contract.
RUN_QUOTA = 1_000_000
# Busy in every run, so replies with a per-symbol 50002 error are checked against the spec
# too (it is one of the documented example's symbols, which the examples phase sends).
BUSY_SYMBOL = "XBTUSDTM"


def fresh_mock() -> MockKucoin:
    mock = MockKucoin(quota=RUN_QUOTA)
    mock.set_busy(BUSY_SYMBOL)
    return mock
