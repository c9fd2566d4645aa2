"""KuCoin request signing, credentials, retries and typed errors for the generated client.

Names are imported on first use, so that `import kucoin_futures_auth.cli` (and the
mock's `import kucoin_futures_auth.verify`) do not pay for httpx and the generated
client before they need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._signing import Clock, Credentials, kucoin_headers, signing_path
    from .auth import KucoinAuth
    from .client import acalibrate_clock, calibrate_clock, futures_client
    from .errors import (
        AuthenticationError,
        ConfigurationError,
        InvalidInputError,
        InvalidParameterError,
        InvalidReplyError,
        KucoinAPIError,
        KucoinError,
        PermissionDeniedError,
        RateLimit,
        RateLimitError,
        ServerError,
        TransportError,
    )
    from .margin import aset_margin_mode, margin_mode_request, set_margin_mode
    from .outcome import MarginModeOutcome, SymbolFailure, margin_mode_outcome
    from .retry import RetryPolicy

__all__ = [
    "AuthenticationError",
    "Clock",
    "ConfigurationError",
    "Credentials",
    "InvalidInputError",
    "InvalidParameterError",
    "InvalidReplyError",
    "KucoinAPIError",
    "KucoinAuth",
    "KucoinError",
    "MarginModeOutcome",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "SymbolFailure",
    "TransportError",
    "acalibrate_clock",
    "aset_margin_mode",
    "calibrate_clock",
    "futures_client",
    "kucoin_headers",
    "margin_mode_outcome",
    "margin_mode_request",
    "set_margin_mode",
    "signing_path",
]

_HOME: dict[str, str] = {
    **dict.fromkeys(("Clock", "Credentials", "kucoin_headers", "signing_path"), "_signing"),
    "KucoinAuth": "auth",
    **dict.fromkeys(("acalibrate_clock", "calibrate_clock", "futures_client"), "client"),
    **dict.fromkeys(
        (
            "AuthenticationError",
            "ConfigurationError",
            "InvalidInputError",
            "InvalidParameterError",
            "InvalidReplyError",
            "KucoinAPIError",
            "KucoinError",
            "PermissionDeniedError",
            "RateLimit",
            "RateLimitError",
            "ServerError",
            "TransportError",
        ),
        "errors",
    ),
    **dict.fromkeys(("aset_margin_mode", "margin_mode_request", "set_margin_mode"), "margin"),
    **dict.fromkeys(("MarginModeOutcome", "SymbolFailure", "margin_mode_outcome"), "outcome"),
    "RetryPolicy": "retry",
}

if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above

    def __getattr__(name: str) -> Any:
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
