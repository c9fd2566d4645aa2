from __future__ import annotations

from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ChangeCrossUserLeverageResponse")


@_attrs_define
class ChangeCrossUserLeverageResponse:
    """
    Attributes:
        code (Literal['200000']):
        data (bool): `true`: the leverage is set.
    """

    code: Literal["200000"]
    data: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["200000"], d.pop("code"))
        if code != "200000":
            raise ValueError(f"code must match const '200000', got '{code}'")

        data = d.pop("data")

        change_cross_user_leverage_response = cls(
            code=code,
            data=data,
        )

        change_cross_user_leverage_response.additional_properties = d
        return change_cross_user_leverage_response

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
