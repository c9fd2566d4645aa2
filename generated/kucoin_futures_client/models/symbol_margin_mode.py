from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SymbolMarginMode")


@_attrs_define
class SymbolMarginMode:
    """One symbol and the margin mode it has (after a switch, or now).

    Attributes:
        symbol (str):
        margin_mode (str): A margin mode as a reply reports it. Typed as an upper-case string rather than
            as `MarginMode`: a generated client raises on an enum value it does not know, so
            a mode KuCoin adds later would make a whole, otherwise good reply unreadable.
            Today's values are those of `MarginMode`; the hand-written layer turns them
            into `MarginMode` and keeps unknown ones as strings.
    """

    symbol: str
    margin_mode: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        symbol = self.symbol

        margin_mode = self.margin_mode

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
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

        margin_mode = d.pop("marginMode")

        symbol_margin_mode = cls(
            symbol=symbol,
            margin_mode=margin_mode,
        )

        symbol_margin_mode.additional_properties = d
        return symbol_margin_mode

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
