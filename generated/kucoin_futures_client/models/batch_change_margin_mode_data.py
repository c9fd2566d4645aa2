from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.margin_mode_by_symbol import MarginModeBySymbol
    from ..models.symbol_error import SymbolError


T = TypeVar("T", bound="BatchChangeMarginModeData")


@_attrs_define
class BatchChangeMarginModeData:
    """
    Attributes:
        margin_mode (MarginModeBySymbol): Symbol -> the margin mode the symbol has after the call (failed symbols keep
            their old mode). Values are `ReportedMarginMode`s, so that a mode KuCoin adds
            later keeps the reply readable.
        errors (list[SymbolError]): The symbols whose switch failed.
    """

    margin_mode: MarginModeBySymbol
    errors: list[SymbolError]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        margin_mode = self.margin_mode.to_dict()

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "marginMode": margin_mode,
                "errors": errors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.margin_mode_by_symbol import MarginModeBySymbol  # noqa: PLC0415
        from ..models.symbol_error import SymbolError  # noqa: PLC0415

        d = dict(src_dict)
        margin_mode = MarginModeBySymbol.from_dict(d.pop("marginMode"))

        errors = []
        _errors = d.pop("errors")
        for errors_item_data in _errors:
            errors_item = SymbolError.from_dict(errors_item_data)

            errors.append(errors_item)

        batch_change_margin_mode_data = cls(
            margin_mode=margin_mode,
            errors=errors,
        )

        batch_change_margin_mode_data.additional_properties = d
        return batch_change_margin_mode_data

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
