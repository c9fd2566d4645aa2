"""`futures_client`: the generated client, wired with signing and safe defaults."""

from __future__ import annotations

from typing import Any

import httpx
from kucoin_futures_client import Client

from ._signing import Clock, Credentials
from .auth import KucoinAuth

PRODUCTION_BASE_URL = "https://api-futures.kucoin.com"
# Connect fast, read long enough for a batch of many symbols.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def futures_client(
    credentials: Credentials | None = None,
    *,
    base_url: str = PRODUCTION_BASE_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    clock: Clock | None = None,
    httpx_args: dict[str, Any] | None = None,
) -> Client:
    """The generated `kucoin_futures_client.Client`, every request signed.

    Credentials default to `Credentials.from_env()`. Redirects are never followed: a
    redirect would carry a signature to another URL.
    """
    creds = credentials if credentials is not None else Credentials.from_env()
    auth = KucoinAuth(creds, clock)
    return Client(
        base_url=base_url,
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        follow_redirects=False,
        raise_on_unexpected_status=True,
        httpx_args={**(httpx_args or {}), "auth": auth},
    )
