from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ChangeCrossUserLeverageRequest")


@_attrs_define
class ChangeCrossUserLeverageRequest:
    """
    Attributes:
        symbol (str): A contract symbol, e.g. XBTUSDTM. **Choice:** not empty, not blank.
        leverage (str): A cross-margin leverage as KuCoin's string: a decimal number, e.g. `"5"` or
            `"2.5"`. **Choice:** at most four whole digits and two decimals (KuCoin's spec
            says only "string"); whether it is in the contract's range is a business check.
    """

    symbol: str
    leverage: str

    def to_dict(self) -> dict[str, Any]:
        symbol = self.symbol

        leverage = self.leverage

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "symbol": symbol,
                "leverage": leverage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        symbol = d.pop("symbol")

        leverage = d.pop("leverage")

        change_cross_user_leverage_request = cls(
            symbol=symbol,
            leverage=leverage,
        )

        return change_cross_user_leverage_request
