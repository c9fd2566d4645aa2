"""The README's Library quick start: its blocks are one session that type-checks (mypy
strict) and, run against the mock it describes, gives the results its comments show.

The longer session of the docs' Getting started page runs in contract_tests/test_docs.py;
here it is type-checked too, as the README's quick start was before it moved there."""

from __future__ import annotations

import ast
import io
import re
import textwrap
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Library quick start", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```python\n(.*?)```", SECTION, flags=re.DOTALL)
# What the section's shell block sets up: the mock's account and the busy symbol.
SETUP = re.search(r"```sh\n(.*?)```", SECTION, flags=re.DOTALL)
GETTING_STARTED = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
# The page's session: its python blocks but the bot tests and those marked not run.
PAGE_BLOCKS = [
    block
    for block in re.findall(r"(?<!-->\n)```python\n(.*?)```", GETTING_STARTED, flags=re.DOTALL)
    if "def test_" not in block
]


def test_the_quick_start_is_one_session() -> None:
    assert len(BLOCKS) == 1
    assert len(BLOCKS[0].strip().splitlines()) <= 12, "a quick start of about 10 lines"
    assert SETUP is not None
    assert "--busy XBTUSDTM" in SETUP.group(1)


@pytest.mark.parametrize(
    "blocks", [BLOCKS, PAGE_BLOCKS], ids=["README quick start", "docs getting-started.md"]
)
def test_the_session_type_checks(blocks: list[str], tmp_path: Path) -> None:
    from mypy import api

    assert blocks
    session = tmp_path / "session.py"
    session.write_text("\n".join(blocks), encoding="utf-8")
    out, err, status = api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(session)]
    )
    assert status == 0, out + err


def _shows(comment: str, shown: str) -> bool:
    """Does a comment show this repr? `...` in it stands for anything; else the repr may
    be followed by an explanation (`'CROSS' (busy: ...)`, `() - ...`)."""
    if "..." in comment:
        pattern = ".*".join(re.escape(part) for part in comment.split("..."))
        return re.fullmatch(pattern, shown) is not None
    return comment == shown or comment.startswith(shown + " ")


def _checked(block: str) -> str:
    """The block with each `expression  # value` line turned into a check of the value."""
    lines = []
    for line in block.splitlines():
        code, sep, comment = line.partition("  # ")
        stripped = code.strip()
        if sep and stripped and not stripped.startswith(("with ", "for ", "if ")):
            try:
                statement = ast.parse(stripped).body
            except SyntaxError:
                statement = []
            if len(statement) == 1 and isinstance(statement[0], ast.Expr):
                indent = code[: len(code) - len(code.lstrip())]
                expr = stripped
                call = statement[0].value
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "print":
                    expr = ast.unparse(call.args[0])
                lines.append(f"{indent}_check({expr}, {comment.strip()!r})")
                continue
        lines.append(line)
    return "\n".join(lines)


def test_the_quick_start_gives_the_results_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    from kucoin_futures_auth import Credentials
    from kucoin_futures_mock import Account, MockKucoin, serve_in_thread

    assert SETUP is not None
    flags = dict(re.findall(r"--(api-\w+) (\S+)", SETUP.group(1)))
    credentials = Credentials(flags["api-key"], flags["api-secret"], flags["api-passphrase"])
    mock = MockKucoin([Account(credentials)])
    mock.set_busy("XBTUSDTM")
    checks: list[tuple[str, str]] = []

    def check(value: Any, comment: str) -> None:
        checks.append((repr(value), comment))
        assert _shows(comment, repr(value)), (repr(value), comment)

    with serve_in_thread(mock) as running:
        monkeypatch.setenv("KUCOIN_FUTURES_BASE_URL", running.base_url)
        monkeypatch.setenv("KUCOIN_API_KEY", credentials.key)
        monkeypatch.setenv("KUCOIN_API_SECRET", credentials.secret)
        monkeypatch.setenv("KUCOIN_API_PASSPHRASE", credentials.passphrase)
        namespace: dict[str, Any] = {"_check": check}
        with redirect_stdout(io.StringIO()):
            for block in BLOCKS:
                exec(compile(textwrap.dedent(_checked(block)), "README.md", "exec"), namespace)  # noqa: S102
    assert len(checks) >= 4, checks  # every commented line was checked
