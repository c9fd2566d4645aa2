"""What the library's tests share: one factory for a `futures_client` answered in memory."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx

from contract_tests.operations import BATCH_PATH, READ_PATH, SERVER_TIME_PATH, SWITCH_PATH
from kucoin_futures import Credentials, FuturesClient, futures_client

__all__ = ["BATCH_PATH", "READ_PATH", "SERVER_TIME_PATH", "SWITCH_PATH", "answering"]

Handler = Callable[[httpx.Request], httpx.Response]


def throwaway_credentials() -> Credentials:
    return Credentials("test-key", secrets.token_urlsafe(), secrets.token_urlsafe())


def answering(
    handler: Handler, *, credentials: Credentials | None = None, **options: Any
) -> FuturesClient:
    """A fresh `futures_client` whose every request `handler` answers (httpx.MockTransport).

    Fresh per call: clients keep a clock offset, which a shared one would carry from test
    to test. `options` go to `futures_client` (retry, clock, clock_sync, ...).
    """
    return futures_client(
        credentials if credentials is not None else throwaway_credentials(),
        base_url="https://kucoin.test",
        httpx_args={"transport": httpx.MockTransport(handler)},
        **options,
    )
