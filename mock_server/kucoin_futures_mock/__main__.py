"""`kucoin-futures-mock` (and `python -m kucoin_futures_mock`): the console script's entry.

Only this module runs before anyone knows whether the `[mock]` extra is installed, so a
missing server library ends in one line naming the extra (exit 2), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._extra import missing_extra_line, missing_mock_module

PROG = "kucoin-futures-mock"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from ._cli import run
    except ModuleNotFoundError as exc:
        module = missing_mock_module(exc)
        if module is None:
            raise
        print(missing_extra_line(PROG, module), file=sys.stderr)
        return 2
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
