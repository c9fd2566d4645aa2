"""Contains all the data models used in inputs/outputs"""

from .batch_change_margin_mode_data import BatchChangeMarginModeData
from .batch_change_margin_mode_request import BatchChangeMarginModeRequest
from .batch_change_margin_mode_response import BatchChangeMarginModeResponse
from .change_cross_user_leverage_request import ChangeCrossUserLeverageRequest
from .change_cross_user_leverage_response import ChangeCrossUserLeverageResponse
from .change_margin_mode_request import ChangeMarginModeRequest
from .change_margin_mode_response import ChangeMarginModeResponse
from .error_response import ErrorResponse
from .get_cross_user_leverage_response import GetCrossUserLeverageResponse
from .get_margin_mode_response import GetMarginModeResponse
from .margin_mode import MarginMode
from .margin_mode_by_symbol import MarginModeBySymbol
from .server_time_response import ServerTimeResponse
from .symbol_cross_leverage import SymbolCrossLeverage
from .symbol_error import SymbolError
from .symbol_margin_mode import SymbolMarginMode

__all__ = (
    "BatchChangeMarginModeData",
    "BatchChangeMarginModeRequest",
    "BatchChangeMarginModeResponse",
    "ChangeCrossUserLeverageRequest",
    "ChangeCrossUserLeverageResponse",
    "ChangeMarginModeRequest",
    "ChangeMarginModeResponse",
    "ErrorResponse",
    "GetCrossUserLeverageResponse",
    "GetMarginModeResponse",
    "MarginMode",
    "MarginModeBySymbol",
    "ServerTimeResponse",
    "SymbolCrossLeverage",
    "SymbolError",
    "SymbolMarginMode",
)
