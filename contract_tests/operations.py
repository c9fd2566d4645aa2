"""The operation paths every test and benchmark uses, read from openapi.yaml by
operationId: the one place they come from (the runtime code never names one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

SPEC_FILE: Final = Path(__file__).resolve().parents[1] / "openapi.yaml"


def _paths_by_operation_id() -> dict[str, str]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return {
        operation["operationId"]: path
        for path, item in spec["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def operation_labels(spec_file: Path = SPEC_FILE) -> frozenset[str]:
    """Every operation of the spec as schemathesis labels it: "METHOD /path"."""
    spec: dict[str, Any] = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    return frozenset(
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    )


_PATHS: Final = _paths_by_operation_id()
BATCH_PATH: Final = _PATHS["batchChangeMarginMode"]
SWITCH_PATH: Final = _PATHS["changeMarginMode"]
READ_PATH: Final = _PATHS["getMarginMode"]
LEVERAGE_CHANGE_PATH: Final = _PATHS["changeCrossUserLeverage"]
LEVERAGE_READ_PATH: Final = _PATHS["getCrossUserLeverage"]
SERVER_TIME_PATH: Final = _PATHS["getServerTime"]
