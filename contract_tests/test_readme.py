"""The README's layout table matches the tree, and the commands it and the docs name are
the Makefile's. (The README's bot-test example moved to docs/testing-your-bot.md, whose bot
tests test_docs.py runs under pytest with the installed plugin.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS_TEXT = "\n".join(page.read_text() for page in sorted((ROOT / "docs").rglob("*.md")))
MAX_README_LINES = 250


def layout_rows() -> list[str]:
    section = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (`[^|]+`) \|", section, flags=re.MULTILINE)


def test_every_path_in_the_layout_table_exists() -> None:
    named = [p for row in layout_rows() for p in re.findall(r"`([^`]+)`", row)]
    assert named, "no layout table found"
    missing = [p for p in named if not (ROOT / p).exists()]
    assert not missing, f"README layout names paths that do not exist: {missing}"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_every_tracked_top_level_entry_is_in_the_layout_table() -> None:
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    top = {path.split("/")[0] for path in tracked}
    named = {
        p.strip("/").split("/")[0] for row in layout_rows() for p in re.findall(r"`([^`]+)`", row)
    }
    self_evident = {"README.md", ".gitignore"}
    assert top - named - self_evident == set()


def test_the_module_files_the_layout_names_exist() -> None:
    # e.g. "`_signing.py` (...)" inside the auth_plugin row: each named module is real.
    for row in README.split("## Layout", 1)[1].split("\n## ", 1)[0].splitlines():
        folder = re.match(r"^\| `([^`]+/)` \|", row)
        if folder:
            for module in re.findall(r"`([\w.]+\.(?:py|yaml|toml))`", row.split("|")[2]):
                assert (ROOT / folder.group(1) / module).exists(), (folder.group(1), module)


def test_the_readme_is_short() -> None:
    # The details live in the docs; the README says what this is and where to read on.
    assert len(README.splitlines()) <= MAX_README_LINES


def test_the_two_commands_and_every_documented_target_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    in_readme = set(re.findall(r"`make ([a-z-]+)", README))
    documented = in_readme | set(re.findall(r"`make ([a-z-]+)", DOCS_TEXT))
    assert {"demo", "test"} <= in_readme
    assert documented <= targets, documented - targets


def test_the_readme_links_into_the_docs_pages_that_exist() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)", README)
    assert links, "the README links into no docs page"
    assert [link for link in links if not (ROOT / link).is_file()] == []
