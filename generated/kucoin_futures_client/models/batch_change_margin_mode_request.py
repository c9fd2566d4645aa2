from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.margin_mode import MarginMode

T = TypeVar("T", bound="BatchChangeMarginModeRequest")


@_attrs_define
class BatchChangeMarginModeRequest:
    """
    Attributes:
        margin_mode (MarginMode): A margin mode that can be requested.
        symbols (list[str]): Contract symbols, e.g. XBTUSDTM. **Choice:** at least one, at most 1000
            (KuCoin documents no limit; its whole contract catalogue is smaller), no
            blanks, no duplicates.
    """

    margin_mode: MarginMode
    symbols: list[str]

    def to_dict(self) -> dict[str, Any]:
        margin_mode = self.margin_mode.value

        symbols = self.symbols

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "marginMode": margin_mode,
                "symbols": symbols,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        margin_mode = MarginMode(d.pop("marginMode"))

        symbols = cast(list[str], d.pop("symbols"))

        batch_change_margin_mode_request = cls(
            margin_mode=margin_mode,
            symbols=symbols,
        )

        return batch_change_margin_mode_request
