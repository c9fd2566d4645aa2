"""A spec-first client for KuCoin Futures' margin mode.

    from kucoin_futures import futures_client, set_margin_mode

    with futures_client() as client:  # credentials from KUCOIN_API_*
        outcome = set_margin_mode(client, "ISOLATED", ["XBTUSDTM", "ETHUSDTM"])

`futures_client()` returns the generated `kucoin_futures_client.Client`, every request
signed (`kucoin_futures_auth`), every refusal a typed error, retries bounded: the
generated operations in `kucoin_futures_client.api` are directly usable with it too.

Names are imported on first use, so that `kucoin-margin --help` answers before httpx and
the generated client are loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kucoin_futures_auth import Clock, Credentials, KucoinAuth
    from kucoin_futures_client.models import BatchChangeMarginModeData, MarginMode

    from ._apply import (
        ApplyReport,
        LeverageReport,
        PositionSettings,
        Result,
        SymbolReport,
        apply_margin_modes,
        apply_position_settings,
        position_targets,
    )
    from ._cause import CallResult, Reason, failure_reason
    from ._client import FuturesClient, acalibrate_clock, calibrate_clock, futures_client
    from ._defaults import PRODUCTION_BASE_URL
    from ._errors import (
        AuthenticationError,
        ConfigurationError,
        DeadlineExceededError,
        InvalidInputError,
        InvalidParameterError,
        InvalidReplyError,
        KucoinAPIError,
        KucoinError,
        PermissionDeniedError,
        QuotaWaitError,
        RateLimit,
        RateLimitError,
        ServerError,
        TransportError,
    )
    from ._leverage import (
        CrossLeverageReadout,
        aget_cross_leverage,
        aget_cross_leverages,
        aset_cross_leverage,
        cross_leverage_request,
        get_cross_leverage,
        get_cross_leverages,
        leverage_value,
        set_cross_leverage,
    )
    from ._margin import BATCH_MAX_SYMBOLS, aset_margin_mode, margin_mode_request, set_margin_mode
    from ._outcome import MarginModeOutcome, SymbolFailure, margin_mode_outcome
    from ._reads import (
        MarginModeReadout,
        aget_margin_mode,
        aget_margin_modes,
        get_margin_mode,
        get_margin_modes,
    )
    from ._retry import RetryPolicy

# Written out, not read from the installed metadata: importlib.metadata alone took 37 ms of
# a 49 ms import. test_packaging keeps it equal to pyproject.toml's version.
__version__ = "0.3.0"
"""This distribution's version (kucoin-futures-client)."""

_HOME: dict[str, str] = {
    **dict.fromkeys(("Clock", "Credentials", "KucoinAuth"), "kucoin_futures_auth"),
    **dict.fromkeys(("BatchChangeMarginModeData", "MarginMode"), "kucoin_futures_client.models"),
    **dict.fromkeys(("CallResult", "Reason", "failure_reason"), "._cause"),
    **dict.fromkeys(
        ("FuturesClient", "acalibrate_clock", "calibrate_clock", "futures_client"), "._client"
    ),
    "PRODUCTION_BASE_URL": "._defaults",
    **dict.fromkeys(
        (
            "AuthenticationError",
            "ConfigurationError",
            "DeadlineExceededError",
            "InvalidInputError",
            "InvalidParameterError",
            "InvalidReplyError",
            "KucoinAPIError",
            "KucoinError",
            "PermissionDeniedError",
            "QuotaWaitError",
            "RateLimit",
            "RateLimitError",
            "ServerError",
            "TransportError",
        ),
        "._errors",
    ),
    **dict.fromkeys(
        ("BATCH_MAX_SYMBOLS", "aset_margin_mode", "margin_mode_request", "set_margin_mode"),
        "._margin",
    ),
    **dict.fromkeys(("MarginModeOutcome", "SymbolFailure", "margin_mode_outcome"), "._outcome"),
    "RetryPolicy": "._retry",
    **dict.fromkeys(
        (
            "CrossLeverageReadout",
            "aget_cross_leverage",
            "aget_cross_leverages",
            "aset_cross_leverage",
            "cross_leverage_request",
            "get_cross_leverage",
            "get_cross_leverages",
            "leverage_value",
            "set_cross_leverage",
        ),
        "._leverage",
    ),
    **dict.fromkeys(
        (
            "ApplyReport",
            "LeverageReport",
            "PositionSettings",
            "Result",
            "SymbolReport",
            "apply_margin_modes",
            "apply_position_settings",
            "position_targets",
        ),
        "._apply",
    ),
    **dict.fromkeys(
        (
            "MarginModeReadout",
            "aget_margin_mode",
            "aget_margin_modes",
            "get_margin_mode",
            "get_margin_modes",
        ),
        "._reads",
    ),
}

__all__ = [
    "BATCH_MAX_SYMBOLS",
    "PRODUCTION_BASE_URL",
    "ApplyReport",
    "AuthenticationError",
    "BatchChangeMarginModeData",
    "CallResult",
    "Clock",
    "ConfigurationError",
    "Credentials",
    "CrossLeverageReadout",
    "DeadlineExceededError",
    "FuturesClient",
    "InvalidInputError",
    "InvalidParameterError",
    "InvalidReplyError",
    "KucoinAPIError",
    "KucoinAuth",
    "KucoinError",
    "LeverageReport",
    "MarginMode",
    "MarginModeOutcome",
    "MarginModeReadout",
    "PermissionDeniedError",
    "PositionSettings",
    "QuotaWaitError",
    "RateLimit",
    "RateLimitError",
    "Reason",
    "Result",
    "RetryPolicy",
    "ServerError",
    "SymbolFailure",
    "SymbolReport",
    "TransportError",
    "__version__",
    "acalibrate_clock",
    "aget_cross_leverage",
    "aget_cross_leverages",
    "aget_margin_mode",
    "aget_margin_modes",
    "apply_margin_modes",
    "apply_position_settings",
    "aset_cross_leverage",
    "aset_margin_mode",
    "calibrate_clock",
    "cross_leverage_request",
    "failure_reason",
    "futures_client",
    "get_cross_leverage",
    "get_cross_leverages",
    "get_margin_mode",
    "get_margin_modes",
    "leverage_value",
    "margin_mode_outcome",
    "margin_mode_request",
    "position_targets",
    "set_cross_leverage",
    "set_margin_mode",
]

if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above

    def __getattr__(name: str) -> Any:
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
