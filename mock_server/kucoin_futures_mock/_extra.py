"""What the `[mock]` extra installs, and the one line that says how to get it.

Imports nothing: the console script's entry and the pytest plugin use it before they know
whether the server's libraries are there.
"""

from __future__ import annotations

from typing import Final

DISTRIBUTION: Final = "kucoin-futures-client"
"""The distribution that ships this package (`[project] name` in pyproject.toml)."""

# Not `pip install kucoin-futures-client[mock]`: the project is not on the package index
# (and a name there could be anyone's), so the line says how to install it from a clone.
MOCK_EXTRA_INSTALL: Final = f"install {DISTRIBUTION} with it, e.g. pip install '.[mock]' in a clone"

# Top-level modules of the `[mock]` extra's requirements (and of what they pull in).
_MOCK_EXTRA_MODULES: Final = frozenset(
    {"starlette", "uvicorn", "anyio", "h11", "jsonschema", "referencing", "yaml"}
)


def missing_mock_module(error: ModuleNotFoundError) -> str | None:
    """The `[mock]` module whose absence raised `error`, None if it is something else."""
    root = (error.name or "").partition(".")[0]
    return root if root in _MOCK_EXTRA_MODULES else None


def missing_extra_line(prog: str, module: str) -> str:
    return f"{prog}: needs the [mock] extra ({module!r} is not installed): {MOCK_EXTRA_INSTALL}"
