"""What `import kucoin_futures` loads, and its version without the installed metadata."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import kucoin_futures

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_pyprojects() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert kucoin_futures.__version__ == pyproject["project"]["version"]


def test_importing_the_package_loads_no_importlib_metadata() -> None:
    # A fresh interpreter is what is tested: this one has loaded everything already.
    probe = (
        "import sys, kucoin_futures\n"
        "kucoin_futures.__version__\n"
        "print(sorted(m for m in sys.modules if m.startswith('importlib.metadata')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
