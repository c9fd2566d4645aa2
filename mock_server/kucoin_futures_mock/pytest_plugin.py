"""pytest plugin: the `kucoin_mock` fixture, a local KuCoin Futures for your own tests.

Installed with the package (entry point `pytest11`), so the fixture is available in any
test suite of the environment without imports. The mock itself is imported only when a
test asks for the fixture, so other test runs pay nothing for it.

Example: a bot's test against the mock, with one busy symbol::

    from kucoin_futures import futures_client
    from kucoin_futures_client.api.positions import batch_change_margin_mode
    from kucoin_futures_client.models import BatchChangeMarginModeRequest, MarginMode

    def test_bot_switches_to_isolated(kucoin_mock):
        kucoin_mock.mock.set_busy("XBTUSDTM")
        body = BatchChangeMarginModeRequest(
            margin_mode=MarginMode.ISOLATED, symbols=["ETHUSDTM", "XBTUSDTM"]
        )
        with futures_client(kucoin_mock.credentials, base_url=kucoin_mock.base_url) as client:
            batch_change_margin_mode.sync(client=client, body=body)
        assert kucoin_mock.mock.mode_of("ETHUSDTM") == "ISOLATED"
        assert kucoin_mock.mock.mode_of("XBTUSDTM") == "CROSS"  # busy: kept its mode

`kucoin_mock` is a `kucoin_futures_mock.RunningMock`: `.base_url`, `.credentials` (the
demo account) and `.mock` (a `MockKucoin`: `set_busy`, `set_mode`, `mode_of`, `modes`,
`set_leverage`, `leverage_of`, `leverages`, `max_leverage` (the cross-margin leverage,
"5" at the start), `inject` (e.g. `lost_switch`, to test a bot's read-back
verification), `clear_faults`, `reset_rate_limits`, `add_account`, counters, and
`recent_requests`, each with its arrival time on the mock's clock; `recent_limit` sets
how many are kept, 100 by default;
`snapshot()` and `reset()`, what the admin API's `GET /_mock/state` and
`POST /_mock/reset` call, which the fixture's server also serves). The
three margin-mode operations (read, switch, batch switch) share the account's modes, the
two leverage operations (read, change) its leverages. Each test gets a fresh server on a
free port.

A bot's leverage test::

    from kucoin_futures import futures_client, set_cross_leverage

    def test_bot_sets_its_leverage(kucoin_mock):
        with futures_client(kucoin_mock.credentials, base_url=kucoin_mock.base_url) as client:
            set_cross_leverage(client, "XBTUSDTM", 10)
        assert kucoin_mock.mock.leverage_of("XBTUSDTM") == "10"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._extra import missing_extra_line, missing_mock_module

if TYPE_CHECKING:
    from kucoin_futures_mock import RunningMock


@pytest.fixture
def kucoin_mock() -> Iterator[RunningMock]:
    """A fresh mock KuCoin Futures on a free port, served in a thread for one test."""
    try:
        from kucoin_futures_mock import serve_in_thread
    except ModuleNotFoundError as exc:  # the package is installed without its `mock` extra
        module = missing_mock_module(exc)
        if module is None:
            raise
    else:
        module = None
    if module is not None:  # failed outside the except block: no chained traceback shown
        pytest.fail(missing_extra_line("the kucoin_mock fixture", module), pytrace=False)
    with serve_in_thread() as running:
        yield running
