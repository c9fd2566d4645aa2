"""`kucoin-margin`: switch the margin mode of KuCoin Futures contracts from the shell.

    kucoin-margin set MODE SYMBOL... [--base-url URL] [--json] [--timeout S] [--verbose]

Exit codes: 0 every symbol switched, 1 some symbol failed or is missing from the reply,
2 usage or configuration error, 3 API or network error.

Only argparse is imported up front: httpx and the generated client load after the
arguments are parsed, so `--help` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

from ._defaults import DEFAULT_TIMEOUT_S, PRODUCTION_BASE_URL

if TYPE_CHECKING:
    from ._outcome import MarginModeOutcome

EXIT_ALL_SWITCHED = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3
PROG = "kucoin-margin"

_EPILOG = f"""\
credentials come from KUCOIN_API_KEY, KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE and
KUCOIN_API_KEY_VERSION (default 3); the base URL from --base-url, else
KUCOIN_FUTURES_BASE_URL, else {PRODUCTION_BASE_URL}.

exit codes: 0 all symbols switched, 1 some symbols failed (or are missing from the
reply), 2 usage or configuration error, 3 API or network error."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage and exits on a bad argument; the CLI wants one line on
    # stderr and an exit code returned from main().
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"--timeout must be a positive number of seconds: {text!r}"
        )
    return value


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Switch the margin mode of KuCoin Futures contracts.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    switch = commands.add_parser(
        "set",
        help="switch symbols to a margin mode",
        description="Switch every SYMBOL to MODE and print one row per symbol.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    switch.add_argument("mode", metavar="MODE", help="ISOLATED or CROSS")
    switch.add_argument("symbols", metavar="SYMBOL", nargs="+", help="contract, e.g. XBTUSDTM")
    switch.add_argument("--base-url", metavar="URL", help="API base URL")
    switch.add_argument(
        "--json", action="store_true", help="print the reply's data object as received"
    )
    switch.add_argument(
        "--timeout",
        metavar="S",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds to wait for each reply (default {DEFAULT_TIMEOUT_S:g})",
    )
    switch.add_argument("-v", "--verbose", action="store_true", help="log each attempt to stderr")
    return parser


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """Run the CLI; returns the exit code. `environ` defaults to `os.environ`."""
    env = os.environ if environ is None else environ
    try:
        args = _build_parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(f"{exc} (see {PROG} --help)", EXIT_USAGE)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    from ._errors import ConfigurationError, InvalidInputError, KucoinError

    try:
        with _stderr_logging(enabled=args.verbose):
            outcome = _set(args.mode, args.symbols, args.base_url, args.timeout, env)
    except (ConfigurationError, InvalidInputError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KucoinError as exc:
        return _fail(str(exc), EXIT_API_ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)

    if args.json:
        print(outcome.raw_data_text)
    else:
        print(_table(outcome))
    return EXIT_ALL_SWITCHED if outcome.all_switched else EXIT_SOME_FAILED


def _set(
    mode: str,
    symbols: list[str],
    base_url: str | None,
    timeout: float,
    env: Mapping[str, str],
) -> MarginModeOutcome:
    from kucoin_futures_auth import Credentials

    from ._client import futures_client
    from ._margin import margin_mode_request, set_margin_mode

    margin_mode_request(mode, symbols)  # a usage error is reported before a missing key
    credentials = Credentials.from_env(env)
    url = base_url or env.get("KUCOIN_FUTURES_BASE_URL") or PRODUCTION_BASE_URL
    with futures_client(credentials, base_url=url, timeout=timeout) as client:
        return set_margin_mode(client, mode, symbols)


def _table(outcome: MarginModeOutcome) -> str:
    rows = [("SYMBOL", "RESULT", "MODE", "CODE", "MESSAGE")]
    for symbol in outcome.requested:
        if symbol in outcome.switched:
            rows.append((symbol, "switched", str(outcome.switched[symbol]), "", ""))
        elif symbol in outcome.failed:
            failure = outcome.failed[symbol]
            mode = "" if failure.mode is None else str(failure.mode)
            rows.append((symbol, "failed", mode, failure.code or "", failure.msg))
        else:
            rows.append((symbol, "missing", "", "", "not mentioned in the reply"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        # A server message is one row however it is laid out.
        lines.append(f"{cells}  {' '.join(row[4].split())}".rstrip())
    return "\n".join(lines)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


@contextlib.contextmanager
def _stderr_logging(*, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    package_logger = logging.getLogger("kucoin_futures")
    level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
