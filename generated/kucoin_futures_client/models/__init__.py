"""Contains all the data models used in inputs/outputs"""

from .batch_change_margin_mode_data import BatchChangeMarginModeData
from .batch_change_margin_mode_request import BatchChangeMarginModeRequest
from .batch_change_margin_mode_response import BatchChangeMarginModeResponse
from .error_response import ErrorResponse
from .margin_mode import MarginMode
from .margin_mode_by_symbol import MarginModeBySymbol
from .server_time_response import ServerTimeResponse
from .symbol_error import SymbolError

__all__ = (
    "BatchChangeMarginModeData",
    "BatchChangeMarginModeRequest",
    "BatchChangeMarginModeResponse",
    "ErrorResponse",
    "MarginMode",
    "MarginModeBySymbol",
    "ServerTimeResponse",
    "SymbolError",
)
