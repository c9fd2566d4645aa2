"""Derive the table of operations the HTTP layer needs from openapi.yaml.

    python library/derive_operations.py openapi.yaml > library/kucoin_futures/_operations.json

`make generate` runs it after the generator, and `make check-generated` diffs its output
like the generated package: the hand-written runtime never spells out an operation. Per
operation the table holds its method and path template, whether it is signed (its
`security`), its rate-limit pool and weight (`x-rate-limit`), and the shape of its
success reply: the types, required members and enum values the generated parser relies
on, nothing it does not (no patterns, no consts).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "patch")
SUCCESS_CODE = "200000"


def derive(spec: dict[str, Any]) -> dict[str, Any]:
    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def shape(schema: dict[str, Any]) -> dict[str, Any]:
        schema = resolve(schema)
        out: dict[str, Any] = {}
        for keyword in ("type", "enum", "required"):
            if keyword in schema:
                out[keyword] = schema[keyword]
        if "properties" in schema:
            out["properties"] = {name: shape(sub) for name, sub in schema["properties"].items()}
        if "items" in schema:
            out["items"] = shape(schema["items"])
        if isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = shape(schema["additionalProperties"])
        return out

    def is_success(schema: dict[str, Any]) -> bool:
        code = resolve(schema).get("properties", {}).get("code", {})
        return bool(resolve(code).get("const") == SUCCESS_CODE)

    operations = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            reply = resolve(op["responses"]["200"])
            schema = reply["content"]["application/json"]["schema"]
            successes = [branch for branch in schema.get("oneOf", [schema]) if is_success(branch)]
            if len(successes) != 1:
                raise SystemExit(f"{method.upper()} {path}: expected one success reply schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "signed": op.get("security", spec.get("security", [])) != [],
                    "pool": op["x-rate-limit"]["pool"],
                    "weight": op["x-rate-limit"]["weight"],
                    "success": shape(successes[0]),
                }
            )
    return {"source": "openapi.yaml (make generate; never edit by hand)", "operations": operations}


def main(argv: list[str]) -> int:
    spec = yaml.safe_load(Path(argv[1]).read_text(encoding="utf-8"))
    sys.stdout.write(json.dumps(derive(spec), indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
