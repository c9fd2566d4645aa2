"""Defaults shared by the client factory and the CLI; importing this module costs nothing
(the CLI answers `--help` before httpx is loaded)."""

from __future__ import annotations

from typing import Final

PRODUCTION_BASE_URL: Final = "https://api-futures.kucoin.com"
"""KuCoin Futures' base URL, used when neither `base_url=` nor `KUCOIN_FUTURES_BASE_URL` is
set (KuCoin has no sandbox)."""
# Connect fast, read long enough for a batch of many symbols.
DEFAULT_TIMEOUT_S: Final = 10.0
DEFAULT_CONNECT_TIMEOUT_S: Final = 5.0
# Every part of the timeout must be a number of seconds up to this: a call must end.
MAX_TIMEOUT_S: Final = 600.0
# The largest reply accepted, after decompression. A batch reply takes about 100 bytes a
# symbol, so 4 MiB holds tens of thousands; larger is a broken or hostile server.
DEFAULT_MAX_REPLY_BYTES: Final = 4 * 1024 * 1024

# The deadline of a many-symbol call, when the caller gives none: long enough that the
# rate limit alone never cuts it short. A read weighs 2 of the Futures quota's 2000 per
# 30 s, so a thousand reads wait out at most one window (0.03 s a read); each request is
# given a quarter second in all (its round trip and its share of the waits), and every
# call 60 s more (two windows' resets, and the retries of a bad moment).
DEFAULT_DEADLINE_BASE_S: Final = 60.0
DEFAULT_DEADLINE_PER_REQUEST_S: Final = 0.25
MAX_DEADLINE_S: Final = 24 * 3600.0


def default_deadline_s(requests: int) -> float:
    """The default `deadline_s` of a call that needs `requests` requests."""
    return min(MAX_DEADLINE_S, DEFAULT_DEADLINE_BASE_S + requests * DEFAULT_DEADLINE_PER_REQUEST_S)
