"""The generated operations' annotations name each type once (`A | B`, not `A | A | B`).

The generator joins the 200 reply's `oneOf` (success | ErrorResponse) with the error
statuses' ErrorResponse; the post-hook in openapi-python-client.yaml (ruff's PYI016) removes
the repeat. This reads the committed package, which `check-generated` keeps equal to a fresh
generation.
"""

from __future__ import annotations

import ast
from pathlib import Path

OPERATIONS = Path(__file__).resolve().parents[1] / "generated" / "kucoin_futures_client" / "api"


def _members(node: ast.expr) -> list[str]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _members(node.left) + _members(node.right)
    if isinstance(node, ast.Subscript):  # Response[A | B]
        return _members(node.slice)
    return [ast.unparse(node)]


def test_no_generated_annotation_names_a_type_twice() -> None:
    modules = sorted(OPERATIONS.glob("*/*.py"))
    assert [m for m in modules if m.name != "__init__.py"], "no generated operation found"
    repeated = []
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
                members = _members(node.returns)
                if len(members) != len(set(members)):
                    repeated.append(f"{module.name}:{node.lineno} {ast.unparse(node.returns)}")
    assert repeated == []
