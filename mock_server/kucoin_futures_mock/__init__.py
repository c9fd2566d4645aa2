"""A faithful local KuCoin Futures for demos, contract tests and your own tests.

It checks signatures like KuCoin's gateway (with `kucoin_futures_auth`'s verifier), keeps
per-account margin modes, fails busy symbols with `50002`, rate-limits, validates requests
against the packaged `openapi.yaml`, and can be told to misbehave.

    from kucoin_futures_mock import MockKucoin, serve_in_thread

    mock = MockKucoin()
    mock.set_busy("XBTUSDTM")
    mock.inject("http_503", count=1)
    with serve_in_thread(mock) as running:
        ...  # call running.base_url, signed with running.credentials

A running mock also serves an unsigned admin API under `/_mock/` (state, symbols, faults,
reset, recorded requests) for test suites in other languages; see `admin-openapi.yaml`.

The public names are imported on first use: the package also hosts the pytest plugin,
which every pytest run in the environment loads, and that must not pull in the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import create_app
    from ._faults import Fault
    from ._server import RunningMock, serve_in_thread
    from ._state import DEMO_CREDENTIALS, SYMBOLS, Account, MockKucoin

_HOMES = {
    "DEMO_CREDENTIALS": "._state",
    "SYMBOLS": "._state",
    "Account": "._state",
    "Fault": "._faults",
    "MockKucoin": "._state",
    "RunningMock": "._server",
    "create_app": "._app",
    "serve_in_thread": "._server",
}

__all__ = [
    "DEMO_CREDENTIALS",
    "SYMBOLS",
    "Account",
    "Fault",
    "MockKucoin",
    "RunningMock",
    "create_app",
    "serve_in_thread",
]


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
