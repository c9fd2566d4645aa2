"""openapi.yaml is valid, linted, and the generated package is exactly what it generates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = ROOT / "openapi.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
OPERATIONS = [
    (path, method, op)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if method in {"get", "post", "put", "delete", "patch"}
]
DOCUMENTED_REPLY = {
    "code": "200000",
    "data": {
        "marginMode": {"ETHUSDTM": "ISOLATED", "XBTUSDTM": "CROSS"},
        "errors": [{"code": "50002", "msg": "exist.order.or.position", "symbol": "XBTUSDTM"}],
    },
}


def deref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (one level at a time) to the node it names."""
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_validator(schema: dict[str, Any]) -> Draft202012Validator:
    # OpenAPI 3.1 schemas are JSON Schema 2020-12 whose `$ref`s ("#/components/...") point
    # into the whole document: validate with the document as the root resource and the
    # schema's keywords on top (the document's own keys are not JSON Schema keywords).
    return Draft202012Validator({**SPEC, **schema})


# --- validation ----------------------------------------------------------------------------


def test_spec_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


# --- lint: the house rules of this spec ----------------------------------------------------


def test_operations_are_fully_described() -> None:
    declared_tags = {tag["name"] for tag in SPEC["tags"]}
    for path, method, op in OPERATIONS:
        where = f"{method.upper()} {path}"
        assert op.get("operationId"), where
        assert op.get("summary") and op.get("description"), where
        assert set(op.get("tags", [])) <= declared_tags and op["tags"], where
        assert "x-rate-limit" in op and {"pool", "weight"} <= set(op["x-rate-limit"]), where
        assert "default" not in op["responses"], f"{where}: 'default' hides undocumented statuses"
        statuses = set(op["responses"])
        assert "200" in statuses and "429" in statuses, where
        assert any(s.startswith("5") for s in statuses), where
        private = op.get("security", SPEC["security"]) != []
        if private:
            assert op.get("x-api-permission"), where
            assert "401" in statuses, where


def test_the_batch_operation_is_as_the_facts_say() -> None:
    op = SPEC["paths"]["/api/v2/position/batchChangeMarginMode"]["post"]
    assert op["operationId"] == "batchChangeMarginMode"
    assert op["tags"] == ["positions"]
    assert op["x-rate-limit"] == {"pool": "Futures", "weight": 2}
    assert op["x-api-permission"] == "Futures"
    assert SPEC["servers"][0]["url"] == "https://api-futures.kucoin.com"
    assert set(op["responses"]) >= {"200", "400", "401", "429", "500", "503"}
    schemes = SPEC["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {
        "KC-API-KEY",
        "KC-API-SIGN",
        "KC-API-TIMESTAMP",
        "KC-API-PASSPHRASE",
        "KC-API-KEY-VERSION",
    }
    assert SPEC["security"] == [{name: [] for name in schemes}]


def test_schemas_are_named_components_never_inline() -> None:
    def bodies(op: dict[str, Any]) -> list[dict[str, Any]]:
        found = [op["requestBody"]] if "requestBody" in op else []
        found += [deref(r) for r in op["responses"].values()]
        return [m["schema"] for b in found for m in b.get("content", {}).values()]

    for path, method, op in OPERATIONS:
        for schema in bodies(op):
            refs = schema.get("oneOf", [schema])
            assert all(set(r) == {"$ref"} for r in refs), f"{method.upper()} {path}: inline schema"
    names = set(SPEC["components"]["schemas"])
    assert names >= {
        "MarginMode",
        "BatchChangeMarginModeRequest",
        "BatchChangeMarginModeResponse",
        "BatchChangeMarginModeData",
        "MarginModeBySymbol",
        "SymbolError",
        "ErrorResponse",
    }
    text = SPEC_PATH.read_text()
    unused = [n for n in names if f"#/components/schemas/{n}'" not in text]
    assert not unused, f"unused component schemas: {unused}"


def test_rate_limit_headers_are_documented_where_kucoin_sends_them() -> None:
    for path, method, op in OPERATIONS:
        for status, response in op["responses"].items():
            if status.startswith("5"):
                continue  # not promised: a CDN's or a maintenance page's 5xx lacks them
            headers = deref(response).get("headers", {})
            assert {"gw-ratelimit-limit", "gw-ratelimit-remaining", "gw-ratelimit-reset"} <= set(
                headers
            ), f"{method.upper()} {path} {status}"


def test_every_example_validates_against_its_schema() -> None:
    checked = 0
    for _path, _method, op in OPERATIONS:
        media = [op["requestBody"]["content"]] if "requestBody" in op else []
        media += [deref(r).get("content", {}) for r in op["responses"].values()]
        for content in media:
            for body in content.values():
                validator = schema_validator(body["schema"])
                for example in body.get("examples", {}).values():
                    validator.validate(example["value"])
                    checked += 1
    assert checked >= 8


def test_future_margin_modes_keep_a_reply_readable_but_lowercase_does_not() -> None:
    validator = schema_validator({"$ref": "#/components/schemas/BatchChangeMarginModeResponse"})
    future = json.loads(json.dumps(DOCUMENTED_REPLY))
    future["data"]["marginMode"]["SOLUSDTM"] = "PORTFOLIO"
    validator.validate(future)
    lower = json.loads(json.dumps(DOCUMENTED_REPLY))
    lower["data"]["marginMode"]["SOLUSDTM"] = "isolated"
    assert not validator.is_valid(lower)
    versioned = json.loads(json.dumps(DOCUMENTED_REPLY))
    versioned["data"]["marginMode"]["SOLUSDTM"] = "ISOLATED_V2"
    validator.validate(versioned)


def test_an_http_200_business_error_is_an_error_response_only() -> None:
    op = SPEC["paths"]["/api/v2/position/batchChangeMarginMode"]["post"]
    validator = schema_validator(op["responses"]["200"]["content"]["application/json"]["schema"])
    validator.validate({"code": "300000", "msg": "request parameter illegal"})
    validator.validate(DOCUMENTED_REPLY)
    assert not validator.is_valid({"code": "200000", "msg": "no data"})
    assert not validator.is_valid({"code": 200000, "data": DOCUMENTED_REPLY["data"]})


# --- the generated package -----------------------------------------------------------------


def test_generated_models_read_the_documented_reply() -> None:
    from kucoin_futures_client.models import BatchChangeMarginModeResponse, MarginMode

    reply = BatchChangeMarginModeResponse.from_dict(DOCUMENTED_REPLY)
    modes = reply.data.margin_mode
    assert MarginMode(modes["ETHUSDTM"]) is MarginMode.ISOLATED
    assert MarginMode(modes["XBTUSDTM"]) is MarginMode.CROSS
    assert [(e.code, e.msg, e.symbol) for e in reply.data.errors] == [
        ("50002", "exist.order.or.position", "XBTUSDTM")
    ]


def test_the_public_generated_api_imports() -> None:
    from kucoin_futures_client.api.positions import batch_change_margin_mode
    from kucoin_futures_client.models import BatchChangeMarginModeRequest, MarginMode

    body = BatchChangeMarginModeRequest(margin_mode=MarginMode.ISOLATED, symbols=["XBTUSDTM"])
    assert batch_change_margin_mode._get_kwargs(body=body)["json"] == {
        "marginMode": "ISOLATED",
        "symbols": ["XBTUSDTM"],
    }


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_generated_code_matches_the_spec_and_a_one_character_edit_is_caught(
    tmp_path: Path,
) -> None:
    # Generated once; the tampered copies are compared with that same regeneration.
    regenerated = f"REGENERATED_DIR={tmp_path / 'regenerated'}"
    result = make("check-generated", regenerated)
    assert result.returncode == 0, result.stdout + result.stderr

    tampered = tmp_path / "kucoin_futures_client"
    shutil.copytree(
        ROOT / "generated" / "kucoin_futures_client",
        tampered,
        ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"),
    )
    target = tampered / "models" / "margin_mode.py"
    text = target.read_text()
    target.write_text(text.replace("CROSS", "CROSs", 1))
    result = make("check-generated", f"GENERATED_DIR={tampered}", regenerated)
    assert result.returncode != 0
    assert "differs from what openapi.yaml generates" in result.stderr
    # committed -> regenerated: the tampered committed line is the `-` one.
    assert '-    CROSs = "CROSS"' in result.stdout, result.stdout
    assert '+    CROSS = "CROSS"' in result.stdout, result.stdout

    table = tmp_path / "_operations.json"
    original = (ROOT / "library" / "kucoin_futures" / "_operations.json").read_text()
    table.write_text(original.replace('"weight": 2', '"weight": 3', 1))
    result = make("check-generated", f"OPERATIONS_FILE={table}", regenerated)
    assert result.returncode != 0
    assert "differs from what openapi.yaml generates" in result.stderr
    assert '-   "weight": 3' in result.stdout and '+   "weight": 2' in result.stdout


def test_the_wheel_carries_the_spec_and_type_markers(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = (
        "kucoin_futures_client",
        "kucoin_futures_auth",
        "kucoin_futures",
        "kucoin_futures_mock",
    )
    for package in packages:
        assert f"{package}/py.typed" in names
    assert "kucoin_futures/_operations.json" in names
    spec_in_wheel = zipfile.ZipFile(wheel).read("kucoin_futures_mock/openapi.yaml")
    assert spec_in_wheel == SPEC_PATH.read_bytes()
    assert not any(
        n.startswith(("contract_tests/", "benchmarks/")) or "/tests/" in n for n in names
    )
    # No test-only module in the runtime wheel: nothing imports requests or schemathesis.
    modules = [n for n in names if n.endswith(".py")]
    for name in modules:
        text = zipfile.ZipFile(wheel).read(name).decode()
        assert "import requests" not in text and "import schemathesis" not in text, name
    assert "library/derive_operations.py" not in names and "derive_operations.py" not in names


# --- the spec, not the code, knows the operations ------------------------------------------

RUNTIME_PACKAGES = (
    ROOT / "library" / "kucoin_futures",
    ROOT / "auth_plugin" / "kucoin_futures_auth",
)


def test_no_string_in_the_runtime_packages_names_an_operation_path() -> None:
    import ast

    paths = {path for path, _method, _op in OPERATIONS}
    found = []
    for package in RUNTIME_PACKAGES:
        for module in package.glob("*.py"):
            for node in ast.walk(ast.parse(module.read_text(), str(module))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found += [(module.name, p) for p in paths if p in node.value]
    assert found == []


def test_the_operations_table_is_what_the_spec_says() -> None:
    from kucoin_futures._operations import OPERATIONS as TABLE
    from kucoin_futures._operations import find_operation

    assert {(op.method, op.path) for op in TABLE} == {
        (method.upper(), path) for path, method, _op in OPERATIONS
    }
    for path, method, op in OPERATIONS:
        entry = find_operation(method.upper(), path)
        assert entry is not None
        assert entry.signed == (op.get("security", SPEC["security"]) != [])
        assert (entry.pool, entry.weight) == (
            op["x-rate-limit"]["pool"],
            op["x-rate-limit"]["weight"],
        )


def test_the_library_batch_limit_is_the_spec_s_max_items() -> None:
    from kucoin_futures import BATCH_MAX_SYMBOLS

    schema = SPEC["components"]["schemas"]["BatchChangeMarginModeRequest"]
    assert schema["properties"]["symbols"]["maxItems"] == BATCH_MAX_SYMBOLS


# --- the margin-mode family ----------------------------------------------------------------


def operation(operation_id: str) -> dict[str, Any]:
    (found,) = [op for _path, _method, op in OPERATIONS if op["operationId"] == operation_id]
    assert isinstance(found, dict)
    return found


def test_the_family_shares_pool_weight_and_permission() -> None:
    for operation_id in ("batchChangeMarginMode", "changeMarginMode", "getMarginMode"):
        op = operation(operation_id)
        assert op["x-rate-limit"] == {"pool": "Futures", "weight": 2}
        assert op["x-api-permission"] == "Futures"
        assert set(op["responses"]) == {"200", "400", "401", "429", "500", "503"}
        assert "**Choice:**" in op["description"]


def test_each_switch_links_to_the_read() -> None:
    single = operation("changeMarginMode")["responses"]["200"]["links"]
    batch = operation("batchChangeMarginMode")["responses"]["200"]["links"]
    assert [(link["operationId"], link["parameters"]) for link in single.values()] == [
        ("getMarginMode", {"symbol": "$response.body#/data/symbol"})
    ]
    assert [(link["operationId"], link["parameters"]) for link in batch.values()] == [
        ("getMarginMode", {"symbol": "$request.body#/symbols/0"})
    ]


def test_a_read_reply_with_a_future_mode_stays_valid() -> None:
    validator = schema_validator({"$ref": "#/components/schemas/GetMarginModeResponse"})
    validator.validate(
        {"code": "200000", "data": {"symbol": "XBTUSDTM", "marginMode": "PORTFOLIO"}}
    )
    assert not validator.is_valid({"code": "200000", "data": {"symbol": "XBTUSDTM"}})


def test_gateway_errors_with_http_400_are_documented() -> None:
    examples = SPEC["components"]["responses"]["ParameterError"]["content"]["application/json"]
    assert "400001" in {e["value"]["code"] for e in examples["examples"].values()}
