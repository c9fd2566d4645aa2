"""Every exception this package raises. (Filled out by the errors issue.)"""

from __future__ import annotations


class KucoinError(Exception):
    """Base of every error raised by kucoin_futures_auth."""


class ConfigurationError(KucoinError, ValueError):
    """Bad credentials or settings, found before any request is sent."""
