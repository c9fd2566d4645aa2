"""What a new user installs and reads: the runtime-only install, LICENSE, CHANGELOG and the
example CI workflow.

The install test builds the wheel, installs it with the runtime dependencies only (pinned
by requirements.lock, from the package index like `make venv`) into a fresh virtual
environment, and runs its console scripts there.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
import venv
from importlib.metadata import distribution, version
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "kucoin-futures-client"
WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


# ---- the runtime-only install ----------------------------------------------------------


def runtime_closure() -> set[str]:
    """The distributions a plain `pip install kucoin-futures-client` brings (no extras),
    read from the installed metadata of the development environment."""
    wanted, seen = [DISTRIBUTION], set[str]()
    while wanted:
        name = str(canonicalize_name(wanted.pop()))
        if name in seen:
            continue
        seen.add(name)
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted.append(requirement.name)
    return seen - {DISTRIBUTION}


def locked_lines(names: set[str]) -> str:
    """requirements.lock's entries (with their hashes) for `names`."""
    entries = re.split(r"\n(?=\S)", (ROOT / "requirements.lock").read_text())
    chosen = [e for e in entries if canonicalize_name(e.split("==")[0]) in names]
    assert len(chosen) == len(names), (names, chosen)
    return "\n".join(chosen) + "\n"


def build_runtime_env(where: Path) -> Path:
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*build, "-w", str(where), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (wheel,) = where.glob("*.whl")
    requirements = where / "runtime.txt"
    requirements.write_text(locked_lines(runtime_closure()))
    env_dir = where / "venv"
    # No pip inside (ensurepip alone took seconds): this environment's pip installs into it.
    venv.create(env_dir, with_pip=False)
    pip = [sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install"]
    pip += ["--quiet", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, "--require-hashes", "-r", str(requirements)], check=True, timeout=300)
    subprocess.run([*pip, str(wheel)], check=True, timeout=120)
    return env_dir / "bin"


def run_in(bin_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    command = [str(bin_dir / argv[0]), *argv[1:]]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_runtime_install_imports_answers_version_and_names_a_missing_extra(
    tmp_path: Path,
) -> None:
    # One test for the one install (about 4 s): as three tests of a shared fixture, each
    # pytest-xdist worker that ran one of them built the install again.
    runtime_env = build_runtime_env(tmp_path)

    # No extra, and the library imports.
    probe = (
        "import importlib.util, sys\n"
        "import kucoin_futures\n"
        "from kucoin_futures import futures_client, set_margin_mode, Credentials\n"
        "absent = [m for m in ('starlette', 'uvicorn', 'schemathesis', 'requests')"
        " if importlib.util.find_spec(m) is not None]\n"
        "print(kucoin_futures.__version__, absent)\n"
    )
    result = run_in(runtime_env, "python", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{version(DISTRIBUTION)} []\n"

    # The CLI answers its version.
    result = run_in(runtime_env, "kucoin-margin", "--version")
    assert (result.returncode, result.stdout) == (0, f"kucoin-margin {version(DISTRIBUTION)}\n")

    # A script that needs an extra names it in one line.
    result = run_in(runtime_env, "kucoin-futures-mock", "--help")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"install {DISTRIBUTION} with it, e.g. pip install '.[mock]'" in result.stderr


# ---- LICENSE, CHANGELOG ----------------------------------------------------------------


def test_the_license_file_is_the_one_pyproject_names() -> None:
    assert pyproject()["project"]["license"] == "MIT"  # type: ignore[index]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_the_changelog_has_this_version_and_the_first() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    current = pyproject()["project"]["version"]  # type: ignore[index]
    headings = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    assert headings[0] == current
    assert headings[-1] == "0.1.0"
    assert "5564769" in changelog


# ---- the example CI workflow -----------------------------------------------------------


def workflow_commands() -> list[str]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert set(document["jobs"]) == {"contract", "bot-tests"}
    return [
        step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step
    ]


def test_the_example_workflow_calls_only_make_targets_that_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    called = {
        words[index + 1]
        for command in workflow_commands()
        for words in [shlex.split(command, comments=True)]
        for index, word in enumerate(words[:-1])
        if word == "make"
    }
    assert called, "the example runs at least one make target"
    assert called <= targets, called - targets


def test_the_example_workflow_calls_only_scripts_and_options_that_exist() -> None:
    from kucoin_futures_mock._cli import build_parser

    scripts = set(pyproject()["project"]["scripts"])  # type: ignore[index]
    mock_options = set(build_parser()._option_string_actions)
    for command in workflow_commands():
        words = shlex.split(command.replace("\\\n", " "), comments=True)
        used = {word for word in words if re.fullmatch(r"kucoin-[a-z-]+", word)}
        assert used <= scripts, used - scripts
        if "kucoin-futures-mock" in words:
            options = {w for w in words[words.index("kucoin-futures-mock") :] if w[:2] == "--"}
            assert options and options <= mock_options, options - mock_options
    text = WORKFLOW.read_text()
    assert "kucoin-futures-mock" in text and "kucoin-margin" in text
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    for path in re.findall(r"BASE_URL/(api/\S+?)\"", text):
        assert f"/{path}" in spec["paths"], path
