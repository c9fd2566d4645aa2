"""Our client, called the way its documentation tells users to: `futures_client()` with
its defaults (signing, typed error mapping, retry policy armed, clock sync) and
`set_margin_mode` / `aset_margin_mode` (input validation, per-symbol outcome)."""

from __future__ import annotations

from collections.abc import Sequence

from kucoin_futures import (
    MarginModeOutcome,
    aset_margin_mode,
    futures_client,
    get_margin_mode,
    set_margin_mode,
)

from ._workload import BENCH_CREDENTIALS, READ_SYMBOL, TARGET_MODE

VARIANT = "futures_client() defaults + set_margin_mode / aset_margin_mode"


def _accounted(outcome: MarginModeOutcome) -> int:
    """Symbols the outcome places (a missing one is a reply that lost a symbol)."""
    return len(outcome.switched) + len(outcome.failed)


class SyncCall:
    def __init__(self, base_url: str, symbols: Sequence[str]) -> None:
        self._client = futures_client(BENCH_CREDENTIALS, base_url=base_url)
        self._symbols = list(symbols)

    def __call__(self) -> int:
        return _accounted(set_margin_mode(self._client, TARGET_MODE, self._symbols))

    def close(self) -> None:
        self._client.get_httpx_client().close()


class ReadCall:
    """`get_margin_mode` of one symbol with `futures_client()` defaults."""

    def __init__(self, base_url: str) -> None:
        self._client = futures_client(BENCH_CREDENTIALS, base_url=base_url)

    def __call__(self) -> int:
        get_margin_mode(self._client, READ_SYMBOL)
        return 1

    def close(self) -> None:
        self._client.get_httpx_client().close()


class AsyncCall:
    def __init__(self, base_url: str, symbols: Sequence[str]) -> None:
        self._client = futures_client(BENCH_CREDENTIALS, base_url=base_url)
        self._symbols = list(symbols)

    async def __call__(self) -> int:
        return _accounted(await aset_margin_mode(self._client, TARGET_MODE, self._symbols))

    async def aclose(self) -> None:
        await self._client.get_async_httpx_client().aclose()
