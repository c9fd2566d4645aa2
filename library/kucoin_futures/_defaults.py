"""Defaults shared by the client factory and the CLI; importing this module costs nothing
(the CLI answers `--help` before httpx is loaded)."""

from __future__ import annotations

from typing import Final

PRODUCTION_BASE_URL: Final = "https://api-futures.kucoin.com"
# Connect fast, read long enough for a batch of many symbols.
DEFAULT_TIMEOUT_S: Final = 10.0
DEFAULT_CONNECT_TIMEOUT_S: Final = 5.0
# Every part of the timeout must be a number of seconds up to this: a call must end.
MAX_TIMEOUT_S: Final = 600.0
# The largest reply accepted, after decompression. A batch reply takes about 100 bytes a
# symbol, so 4 MiB holds tens of thousands; larger is a broken or hostile server.
DEFAULT_MAX_REPLY_BYTES: Final = 4 * 1024 * 1024
