from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.margin_mode import MarginMode

T = TypeVar("T", bound="ChangeMarginModeRequest")


@_attrs_define
class ChangeMarginModeRequest:
    """
    Attributes:
        symbol (str): A contract symbol, e.g. XBTUSDTM. **Choice:** not empty, not blank.
        margin_mode (MarginMode): A margin mode that can be requested.
    """

    symbol: str
    margin_mode: MarginMode

    def to_dict(self) -> dict[str, Any]:
        symbol = self.symbol

        margin_mode = self.margin_mode.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "symbol": symbol,
                "marginMode": margin_mode,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        symbol = d.pop("symbol")

        margin_mode = MarginMode(d.pop("marginMode"))

        change_margin_mode_request = cls(
            symbol=symbol,
            margin_mode=margin_mode,
        )

        return change_margin_mode_request
