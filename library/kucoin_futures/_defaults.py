"""Defaults shared by the client factory and the CLI; importing this module costs nothing
(the CLI answers `--help` before httpx is loaded)."""

from __future__ import annotations

from typing import Final

PRODUCTION_BASE_URL: Final = "https://api-futures.kucoin.com"
# Connect fast, read long enough for a batch of many symbols.
DEFAULT_TIMEOUT_S: Final = 10.0
DEFAULT_CONNECT_TIMEOUT_S: Final = 5.0
