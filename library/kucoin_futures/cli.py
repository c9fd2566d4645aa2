"""`kucoin-margin`: read and switch the margin mode of KuCoin Futures contracts.

    kucoin-margin get SYMBOL... [--json]
    kucoin-margin set MODE SYMBOL... [--dry-run | --verify] [--json]
    kucoin-margin apply FILE [--dry-run] [--json]
    (each also takes --base-url URL, --timeout S, --verbose)

Exit codes: 0 every symbol as asked, 1 some symbol not as asked (failed, unreadable, not
verified), 2 usage or configuration error (nothing sent), 3 API or network error that
ended the whole call.

Only argparse is imported up front: httpx and the generated client load after the
arguments are parsed, so `--help` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__
from ._defaults import DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, PRODUCTION_BASE_URL

if TYPE_CHECKING:
    from kucoin_futures_client import Client

    from ._apply import ApplyReport
    from ._outcome import MarginModeOutcome
    from ._reads import MarginModeReadout

EXIT_ALL_SWITCHED = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3
PROG = "kucoin-margin"
MAX_PLAN_FILE_BYTES = 1024 * 1024
# A server message longer than this is cut in a table row or an error line (`--json`
# prints it whole): a megabyte-long "message" is a broken server, not news.
MAX_SHOWN_CHARS = 300
MAX_ERROR_CHARS = 1000
_ARROW = "\N{RIGHTWARDS ARROW}"

_EPILOG = f"""\
credentials come from KUCOIN_API_KEY, KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE and
KUCOIN_API_KEY_VERSION (default 3); the base URL from --base-url, else
KUCOIN_FUTURES_BASE_URL, else {PRODUCTION_BASE_URL} (an empty value is an error, never
production). Plain http beyond this machine needs KUCOIN_FUTURES_ALLOW_HTTP=1.

exit codes: 0 every symbol as asked, 1 some symbols not as asked (failed, could not
be read, or read back in another mode), 2 usage or configuration error (nothing sent),
3 API or network error that ended the whole call."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage and exits on a bad argument; the CLI wants one line on
    # stderr and an exit code returned from main().
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"--timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT_S:g}: "
            f"{_visible(text, 40)}"
        )
    return value


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Read and switch the margin mode of KuCoin Futures contracts.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=description,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--base-url", metavar="URL", help="API base URL")
        sub.add_argument(
            "--timeout",
            metavar="S",
            type=_timeout_seconds,
            default=DEFAULT_TIMEOUT_S,
            help=f"seconds to wait for each reply (default {DEFAULT_TIMEOUT_S:g})",
        )
        sub.add_argument("-v", "--verbose", action="store_true", help="log each attempt to stderr")
        return sub

    read = command(
        "get",
        "read the margin mode of symbols",
        "Read every SYMBOL's margin mode and print one row per symbol.",
    )
    read.add_argument("symbols", metavar="SYMBOL", nargs="+", help="contract, e.g. XBTUSDTM")
    read.add_argument(
        "--json",
        action="store_true",
        help='print {"marginMode": {SYMBOL: MODE}, "errors": [{symbol, code, msg}]}',
    )

    switch = command(
        "set",
        "switch symbols to a margin mode",
        "Switch every SYMBOL to MODE and print one row per symbol.",
    )
    switch.add_argument("mode", metavar="MODE", help="ISOLATED or CROSS")
    switch.add_argument("symbols", metavar="SYMBOL", nargs="+", help="contract, e.g. XBTUSDTM")
    how = switch.add_mutually_exclusive_group()
    how.add_argument(
        "--dry-run",
        action="store_true",
        help="read the current modes and show what would switch; send no switch",
    )
    how.add_argument(
        "--verify", action="store_true", help="read back every symbol reported switched"
    )
    switch.add_argument(
        "--json",
        action="store_true",
        help="print the reply's data object as received, UTF-8 JSON (with --dry-run/--verify: "
        "the report)",
    )

    apply = command(
        "apply",
        "bring symbols to the modes a file lists",
        "Read the current modes of the symbols FILE lists, switch only those that differ "
        "(one batch per target mode), read them back, and print a row per symbol.",
    )
    apply.add_argument(
        "file", metavar="FILE", help='JSON or TOML map of symbol to mode: {"XBTUSDTM": "CROSS"}'
    )
    apply.add_argument("--dry-run", action="store_true", help="read only; show the plan")
    apply.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """Run the CLI; returns the exit code. `environ` defaults to `os.environ`."""
    env = os.environ if environ is None else environ
    _never_fail_to_encode(sys.stdout)
    try:
        args = _build_parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(f"{exc} (see {PROG} --help)", EXIT_USAGE)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    from ._errors import ConfigurationError, InvalidInputError, KucoinError

    try:
        with _stderr_logging(enabled=args.verbose):
            return _run(args, env)
    except (ConfigurationError, InvalidInputError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KucoinError as exc:
        return _fail(_with_hint(exc), EXIT_API_ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        # The reader of our output went away (`| head`): say so once, and keep Python
        # from complaining again when it flushes stdout at exit.
        _discard_stdout()
        return _fail("output closed before everything was printed", EXIT_API_ERROR)
    except Exception as exc:
        # A bug of ours, or of a library below: one line and exit 3 ("the call did not
        # end as asked"), never a traceback, and no exception text, which may quote a
        # request. --verbose does not change this: tracebacks end up in shared logs.
        return _fail(f"internal error: {_where(exc)}; please report it", EXIT_API_ERROR)


def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from ._apply import apply_margin_modes, margin_mode_targets
    from ._margin import margin_mode_request, set_margin_mode
    from ._reads import get_margin_modes

    # Usage errors are reported before a missing key, and before anything is sent.
    if args.command == "get":
        margin_mode_request("CROSS", args.symbols)
    elif args.command == "set":
        margin_mode_request(args.mode, args.symbols)
        targets = dict.fromkeys(args.symbols, args.mode)
    else:
        targets = margin_mode_targets(load_plan(Path(args.file)))
    progress = _Progress(sys.stderr)
    with _client(args, env) as client, progress:
        if args.command == "get":
            readout = get_margin_modes(client, args.symbols, progress=progress.reading)
            _print_readout(readout, as_json=args.json)
            return EXIT_ALL_SWITCHED if readout.all_read else EXIT_SOME_FAILED
        if args.command == "set" and not args.dry_run:
            outcome = set_margin_mode(client, args.mode, args.symbols)
            if not args.verify:
                print(
                    _json_text(outcome.raw_data_text or "null")
                    if args.json
                    else _outcome_table(outcome)
                )
                return EXIT_ALL_SWITCHED if outcome.all_switched else EXIT_SOME_FAILED
            report = _verified(client, args.mode, outcome, progress)
        else:
            report = apply_margin_modes(
                client, targets, dry_run=args.dry_run, progress=progress.stage
            )
    print(json.dumps(report.as_json()) if args.json else _report_table(report))
    return EXIT_ALL_SWITCHED if report.all_as_asked else EXIT_SOME_FAILED


@contextlib.contextmanager
def _client(args: argparse.Namespace, env: Mapping[str, str]) -> Iterator[Client]:
    from kucoin_futures_auth import Credentials

    from ._client import allow_http_from, futures_client, resolve_base_url

    # The library's own rule, read from the CLI's environment: an empty --base-url or
    # variable is an error here too, never production.
    url = resolve_base_url(args.base_url, env, given_as="--base-url")
    allow_http = allow_http_from(env)
    credentials = Credentials.from_env(env)
    with futures_client(
        credentials, base_url=url, allow_http=allow_http, timeout=args.timeout
    ) as client:
        yield client


def _verified(
    client: Client, mode: str, outcome: MarginModeOutcome, progress: _Progress
) -> ApplyReport:
    """`set --verify`: the switch's outcome, every reported switch read back."""
    from ._apply import ApplyReport, Result, SymbolReport, verified_report
    from ._modes import KNOWN_MODES
    from ._reads import get_margin_modes

    reported = [s for s in outcome.requested if s in outcome.switched]
    checked = get_margin_modes(client, reported, progress=progress.reading) if reported else None
    target = KNOWN_MODES[mode]
    rows = []
    for symbol in outcome.requested:
        if symbol in outcome.switched:
            rows.append(verified_report(symbol, target, None, checked))
        elif symbol in outcome.failed:
            failure = outcome.failed[symbol]
            rows.append(
                SymbolReport(
                    symbol, target, None, Result.FAILED, failure.mode, failure.code, failure.msg
                )
            )
        else:
            rows.append(
                SymbolReport(
                    symbol, target, None, Result.FAILED, None, None, "not mentioned in the reply"
                )
            )
    return ApplyReport(tuple(rows), dry_run=False)


# ---- the apply file ---------------------------------------------------------------------


def load_plan(path: Path) -> dict[str, Any]:
    """The symbol -> mode map of a JSON or TOML file (by its suffix; JSON if neither), or
    `InvalidInputError` naming the line or the key that is wrong."""
    from ._errors import InvalidInputError

    try:
        with path.open("rb") as file:
            raw = file.read(MAX_PLAN_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_PLAN_FILE_BYTES:
        raise InvalidInputError(f"{path}: larger than {MAX_PLAN_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    plan = _toml_plan(path, text) if path.suffix.lower() == ".toml" else _json_plan(path, text)
    if not isinstance(plan, dict) or not plan:
        raise InvalidInputError(f"{path}: expected a non-empty map of symbol to margin mode")
    for symbol, mode in plan.items():
        if not isinstance(mode, str):
            raise InvalidInputError(
                f"{path}: {symbol}: margin mode must be a string, got {type(mode).__name__}"
            )
    return plan


def _json_plan(path: Path, text: str) -> Any:
    from ._errors import InvalidInputError

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise InvalidInputError(f"{path}: {key} is listed twice")
            seen[key] = value
        return seen

    try:
        return json.loads(text, object_pairs_hook=no_repeats)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: nested too deeply") from None


def _toml_plan(path: Path, text: str) -> Any:
    import tomllib

    from ._errors import InvalidInputError

    try:
        # TOML itself refuses a key defined twice, naming its line.
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: not TOML: {exc}") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: nested too deeply") from None


# ---- output -----------------------------------------------------------------------------


def _print_readout(readout: MarginModeReadout, *, as_json: bool) -> None:
    from ._reads import error_code, error_message

    if as_json:
        print(json.dumps(readout.as_json()))
        return
    rows = [("SYMBOL", "MODE", "CODE", "MESSAGE")]
    for symbol in readout.requested:
        if symbol in readout.modes:
            rows.append((symbol, str(readout.modes[symbol]), "", ""))
        else:
            error = readout.failed[symbol]
            rows.append((symbol, "-", error_code(error) or "", error_message(error)))
    print(_columns(rows))


def _outcome_table(outcome: MarginModeOutcome) -> str:
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
    return _columns(rows)


def _report_table(report: ApplyReport) -> str:
    rows = [("SYMBOL", "MODE", "RESULT", "CODE", "MESSAGE")]
    for row in report.symbols:
        if row.current is not None and row.current != row.target:
            mode = f"{row.current} {_ARROW} {row.target}"
        elif row.current is not None:
            mode = str(row.current)
        else:  # not read before (set --verify), or unreadable: what it has after, if known
            mode = "-" if row.after is None else str(row.after)
        rows.append((row.symbol, mode, str(row.result), row.code or "", row.msg))
    return _columns(rows)


def _columns(rows: Sequence[tuple[str, ...]]) -> str:
    # A server message is one row however it is laid out.
    shown = [tuple(_visible(" ".join(cell.split())) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in shown) for i in range(len(shown[0]) - 1)]
    lines = []
    for row in shown:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        lines.append(f"{cells}  {row[-1]}".rstrip())
    return "\n".join(lines)


def _visible(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """`text` safe to show on a terminal: at most `limit` characters, and every character
    that is not printable (escape sequences, bidi overrides, line separators, lone
    surrogates) written as its Python escape, e.g. `\\x1b`."""
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _json_text(text: str) -> str:
    """JSON text safe on a terminal, with the same JSON value: a carriage return (JSON
    whitespace, only ever between tokens) becomes a space, and every other character that
    is not printable (DEL, C1 controls, bidi overrides; raw control characters cannot be
    in valid JSON) a `\\u` escape. Newlines and tabs between tokens stay."""
    if text.isprintable():
        return text
    return "".join(
        " "
        if char == "\r"
        else char
        if char.isprintable() or char in "\n\t"
        else _json_escape(char)
        for char in text
    )


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class _Progress:
    """`read 120/1000` on stderr while it is a terminal; nothing otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = False
        self._enabled = stream.isatty()

    def stage(self, stage: str, done: int, total: int) -> None:
        if self._enabled:
            self._stream.write(f"\r{stage} {done}/{total}\033[K")
            self._stream.flush()
            self._shown = True

    def reading(self, done: int, total: int) -> None:
        self.stage("read", done, total)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        # Leave the terminal line clean for what the command prints next.
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {_visible(message, MAX_ERROR_CHARS)}", file=sys.stderr)
    return code


def _with_hint(exc: Exception) -> str:
    from ._errors import KucoinAPIError

    if isinstance(exc, KucoinAPIError) and exc.code == "400004":
        # The passphrase travels signed with the secret: KuCoin cannot tell the two apart.
        return f"{exc} (a wrong KUCOIN_API_SECRET shows up as a wrong passphrase too)"
    return str(exc)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"


def _never_fail_to_encode(stream: TextIO) -> None:
    # A terminal or pipe that cannot encode a character (an ASCII locale, a lone
    # surrogate) gets an escape for it instead of an exception in the middle of a table.
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        stream.reconfigure(errors="backslashreplace")


def _discard_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


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
