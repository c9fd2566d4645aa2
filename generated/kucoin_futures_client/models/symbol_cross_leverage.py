from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SymbolCrossLeverage")


@_attrs_define
class SymbolCrossLeverage:
    """One symbol and the cross-margin leverage it has now.

    Attributes:
        symbol (str):
        leverage (str): The leverage as KuCoin's string, e.g. `"3"`. Not held to `Leverage`'s
            pattern: a reply stays readable if KuCoin formats it differently; the
            library reads it as a decimal number.
    """

    symbol: str
    leverage: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        symbol = self.symbol

        leverage = self.leverage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
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

        symbol_cross_leverage = cls(
            symbol=symbol,
            leverage=leverage,
        )

        symbol_cross_leverage.additional_properties = d
        return symbol_cross_leverage

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
