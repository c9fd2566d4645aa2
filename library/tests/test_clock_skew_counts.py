"""`clock_skew` with a count: the server clock is off for that many signed requests.

The timestamp endpoint reports the skewed clock while the fault lasts without using it up,
so a client with clock sync calibrates once, to the clock its retry is judged by, and
succeeds whatever the count (a count of 2 once ended in 400002: the calibration itself
used up the second count, so the retry met an unskewed server with a skewed offset).
"""

from __future__ import annotations

import asyncio

import pytest

from kucoin_futures import aset_margin_mode, futures_client, set_margin_mode
from kucoin_futures_mock import MockKucoin, serve_in_thread

TIMESTAMP_PATH = "/api/v1/timestamp"
SYMBOLS = ["ETHUSDTM", "XBTUSDTM"]


@pytest.mark.parametrize("skew_ms", [30_000, -30_000])
@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_every_count_ends_in_success_after_one_calibration(
    count: int, skew_ms: int, asynchronous: bool
) -> None:
    mock = MockKucoin()
    mock.inject("clock_skew", count=count, ms=skew_ms)
    with serve_in_thread(mock) as running:
        client = futures_client(running.credentials, base_url=running.base_url, timeout=10.0)
        if asynchronous:

            async def call() -> bool:
                async with client:
                    return (await aset_margin_mode(client, "ISOLATED", SYMBOLS)).all_switched

            switched = asyncio.run(call())
        else:
            with client:
                switched = set_margin_mode(client, "ISOLATED", SYMBOLS).all_switched
    assert switched
    assert all(mock.mode_of(symbol) == "ISOLATED" for symbol in SYMBOLS)
    requests = mock.recent_requests
    calibrations = [r for r in requests if r.path == TIMESTAMP_PATH]
    signed = [r.status for r in requests if r.path != TIMESTAMP_PATH]
    assert len(calibrations) == 1, "one calibration"
    assert signed == [401, 200], "refused once for the timestamp, then accepted"
    left = [rule.count for rule in mock.active_faults]
    assert left == ([count - 2] if count > 2 else []), "only signed requests use up the count"
