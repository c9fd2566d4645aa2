"""The margin modes this version knows, and how a reported mode is read."""

from __future__ import annotations

from typing import Final

from kucoin_futures_client.models import MarginMode

KNOWN_MODES: Final[dict[str, MarginMode]] = {mode.value: mode for mode in MarginMode}


def reported_mode(value: str) -> MarginMode | str:
    """A mode as a reply reports it: `MarginMode` when known, else the string itself (a
    mode KuCoin adds later stays readable rather than making the reply unreadable)."""
    return KNOWN_MODES.get(value, value)
