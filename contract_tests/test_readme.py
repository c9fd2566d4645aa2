"""The README's layout table matches the tree, and its commands are the Makefile's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


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


def test_the_two_commands_and_every_documented_target_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    documented = set(re.findall(r"`make ([a-z-]+)", README))
    assert {"demo", "test"} <= documented
    assert documented <= targets, documented - targets


class _Outcomes:
    """A pytest plugin counting a session's test outcomes."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.append(report.outcome)


def test_the_readme_pytest_plugin_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The example a bot author copies, run as they would (`pytest` in its folder, the plugin
    # found through its entry point), as a pytest session in this process.
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    (example,) = [block for block in blocks if "def test_" in block and "kucoin_mock" in block]
    (tmp_path / "test_bot.py").write_text(example)
    monkeypatch.chdir(tmp_path)
    outcomes = _Outcomes()
    status = pytest.main(["-q", "-p", "no:cacheprovider", str(tmp_path)], plugins=[outcomes])
    output = capsys.readouterr()
    assert status == 0, output.out + output.err
    assert outcomes.outcomes == ["passed"], output.out
