"""spec-diff: what regenerating from a changed openapi.yaml does to the generated public API."""

from __future__ import annotations

import ast
import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ._generated_api import public_api
from .spec_diff import main, run

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = ROOT / "openapi.yaml"
GENERATED = ROOT / "generated" / "kucoin_futures_client"
RELEASE_0_1_0 = "5564769"

Spec = dict[str, Any]


def current() -> Spec:
    spec: Spec = yaml.safe_load(SPEC_PATH.read_text())
    return copy.deepcopy(spec)


def diff(tmp_path: Path, old: Spec, new: Spec) -> tuple[int, str]:
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old, sort_keys=False))
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new, sort_keys=False))
    return run(base=None, base_file=tmp_path / "old.yaml", spec=tmp_path / "new.yaml")


def section(report: str, kind: str) -> list[str]:
    block = report.split(f"\n{kind} (", 1)[1]
    lines = block.splitlines()[1:]
    return [line.strip() for line in lines if line.startswith("  ")][: int(block.split(")")[0])]


def test_the_public_api_it_reads_is_the_generated_package() -> None:
    # What is read from a fresh generation, against what `make generate` wrote.
    api = public_api(current(), "openapi.yaml")
    init = ast.parse((GENERATED / "models" / "__init__.py").read_text())
    (exported,) = [
        node.value
        for node in init.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__"
    ]
    assert isinstance(exported, ast.Tuple | ast.List)
    names = {elt.value for elt in exported.elts if isinstance(elt, ast.Constant)}
    assert names == set(api.models) | set(api.enums)
    modules = {
        f"api.{p.parent.name}.{p.stem}"
        for p in (GENERATED / "api").glob("*/*.py")
        if p.stem != "__init__"
    }
    assert modules == set(api.operations)
    source = (GENERATED / "models" / "symbol_margin_mode.py").read_text()
    for field, member in api.models["SymbolMarginMode"].items():
        if field != "additional_properties":
            assert f"    {field}: {member.type}\n" in source


@pytest.mark.skipif(
    subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{RELEASE_0_1_0}^{{commit}}"],
        capture_output=True,
        check=False,
    ).returncode
    != 0,
    reason="needs the git history back to 0.1.0",
)
def test_since_0_1_0_the_margin_mode_family_only_adds() -> None:
    status, report = run(base=RELEASE_0_1_0, base_file=None, spec=SPEC_PATH)
    assert status == 0, report
    assert section(report, "breaking") == []
    added = section(report, "added")
    assert any(
        line.startswith("operation api.positions.change_margin_mode added") for line in added
    )
    assert any(line.startswith("operation api.positions.get_margin_mode added") for line in added)


def test_renaming_a_schema_component_is_breaking(tmp_path: Path) -> None:
    # A revision in a git repository of its own, then the rename on top of it.
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "openapi.yaml").write_text(SPEC_PATH.read_text())

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            capture_output=True,
            check=True,
            timeout=60,
        )

    git("init", "-q")
    git("add", "openapi.yaml")
    git("commit", "-q", "-m", "base")
    renamed = repo / "renamed.yaml"
    renamed.write_text(SPEC_PATH.read_text().replace("SymbolError", "SymbolFailure"))
    status, report = run(base="HEAD", base_file=None, spec=renamed, repo=repo)
    assert status == 1, report
    assert section(report, "breaking") == [
        "model SymbolError removed (renamed to SymbolFailure? same fields)",
        "model BatchChangeMarginModeData: field errors changed: list[SymbolError]"
        " -> list[SymbolFailure]",
    ]
    assert section(report, "added") == [
        "model SymbolFailure added (code: str | Unset (optional), msg: str | Unset (optional),"
        " symbol: str | Unset (optional), additional_properties: dict[str, Any] (optional))"
    ]
    assert section(report, "griffe check") == [
        "models.SymbolError: Public object was removed",
        "models.symbol_error: Public object was removed",
    ]
    assert report.endswith("(exit 1)")


def _schemas(spec: Spec) -> Spec:
    schemas: Spec = spec["components"]["schemas"]
    return schemas


def remove_field(spec: Spec) -> None:
    del _schemas(spec)["SymbolError"]["properties"]["msg"]


def change_type(spec: Spec) -> None:
    _schemas(spec)["ServerTimeResponse"]["properties"]["data"] = {"type": "string"}


def make_required(spec: Spec) -> None:
    _schemas(spec)["SymbolError"]["required"] = ["code"]


def remove_operation(spec: Spec) -> None:
    del spec["paths"]["/api/v1/timestamp"]


def remove_enum_member(spec: Spec) -> None:
    _schemas(spec)["MarginMode"]["enum"] = ["ISOLATED"]


def add_enum_member(spec: Spec) -> None:
    _schemas(spec)["MarginMode"]["enum"].append("PORTFOLIO")


def add_optional_field(spec: Spec) -> None:
    _schemas(spec)["SymbolError"]["properties"]["detail"] = {"type": "string"}


def add_required_field(spec: Spec) -> None:
    request = _schemas(spec)["ChangeMarginModeRequest"]
    request["properties"]["leverage"] = {"type": "integer"}
    request["required"].append("leverage")


def add_required_argument(spec: Spec) -> None:
    operation = spec["paths"]["/api/v1/timestamp"]["get"]
    parameter = {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
    operation.setdefault("parameters", []).append(parameter)


CHANGES: dict[str, tuple[Callable[[Spec], None], int, str]] = {
    "field removed": (remove_field, 1, "model SymbolError: field msg removed (was str | Unset"),
    "type changed": (
        change_type,
        1,
        "model ServerTimeResponse: field data changed: int -> str",
    ),
    "field became required": (
        make_required,
        1,
        "model SymbolError: field code changed: str | Unset (optional) -> str",
    ),
    "operation removed": (remove_operation, 1, "operation api.public.get_server_time removed"),
    "enum member removed": (remove_enum_member, 1, "enum MarginMode: member CROSS removed"),
    "new required field": (
        add_required_field,
        1,
        "model ChangeMarginModeRequest: field leverage added: int, a new required field",
    ),
    "new required argument": (
        add_required_argument,
        1,
        "operation api.public.get_server_time: argument region added: str, a new required argument",
    ),
    "enum member added": (add_enum_member, 0, "enum MarginMode: member PORTFOLIO added"),
    "optional field added": (
        add_optional_field,
        0,
        "model SymbolError: field detail added: str | Unset (optional)",
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_change_is_classified(tmp_path: Path, name: str) -> None:
    change, expected_status, expected_line = CHANGES[name]
    new = current()
    change(new)
    status, report = diff(tmp_path, current(), new)
    assert status == expected_status, report
    kind = "breaking" if expected_status else "added"
    assert any(line.startswith(expected_line) for line in section(report, kind)), report


def test_an_unchanged_spec_reports_no_change(tmp_path: Path) -> None:
    status, report = diff(tmp_path, current(), current())
    assert status == 0
    assert section(report, "breaking") == [] and section(report, "added") == []
    assert section(report, "griffe check") == []
    assert report.endswith("Result: no change: the generated public API is the same (exit 0)")


def test_unreadable_specs_exit_2_with_one_line(tmp_path: Path) -> None:
    status, text = run(base="no-such-revision", base_file=None, spec=SPEC_PATH)
    assert status == 2 and len(text.splitlines()) == 1 and "no-such-revision" in text, text
    (tmp_path / "bad.yaml").write_text("openapi: [unclosed")
    status, text = run(base=None, base_file=tmp_path / "bad.yaml", spec=SPEC_PATH)
    assert status == 2 and len(text.splitlines()) == 1 and "not YAML" in text, text
    status, text = run(base="--help", base_file=None, spec=SPEC_PATH)
    assert status == 2 and "not a git revision" in text


def test_what_the_generator_refuses_exits_2_with_one_readable_line(tmp_path: Path) -> None:
    (tmp_path / "bare.yaml").write_text('openapi: "3.0.3"\n')
    status, text = run(base=None, base_file=tmp_path / "bare.yaml", spec=SPEC_PATH)
    assert status == 2 and len(text.splitlines()) == 1, text
    assert text.endswith(
        "2 validation errors for OpenAPI; info: Field required; paths: Field required"
    )
    broken = current()
    broken["paths"]["/api/v1/timestamp"]["get"]["responses"]["200"] = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}},
    }
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken))
    status, text = run(base=None, base_file=tmp_path / "broken.yaml", spec=SPEC_PATH)
    assert status == 2 and len(text.splitlines()) == 1, text
    assert "Could not find reference" in text and " object at 0x" not in text, text


def test_the_new_spec_is_the_projects_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no openapi.yaml here
    assert main(["--base-file", str(SPEC_PATH)]) == 0


def test_the_command_line(tmp_path: Path) -> None:
    new = current()
    remove_operation(new)
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "contract_tests.spec_diff",
            "--base-file",
            str(SPEC_PATH),
            "--spec",
            str(tmp_path / "new.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr
    assert "operation api.public.get_server_time removed" in done.stdout
