"""The errors the signing plugin raises itself: the base of every KuCoin error, and bad
credentials or settings. `kucoin_futures` builds the rest of the hierarchy on this base."""

from __future__ import annotations


class KucoinError(Exception):
    """Base of every error raised by kucoin_futures and kucoin_futures_auth."""


class ConfigurationError(KucoinError, ValueError):
    """Bad credentials or settings, found before any request is sent."""
