"""`kucoin-margin`: read and change the position settings (margin mode, cross-margin
leverage) of KuCoin Futures contracts.

    kucoin-margin [OPTIONS] get SYMBOL... [--leverage] [--json]
    kucoin-margin [OPTIONS] set MODE SYMBOL... [--dry-run | --verify] [--json | --raw-reply]
    kucoin-margin [OPTIONS] set-leverage LEVERAGE SYMBOL... [--dry-run | --verify] [--json]
    kucoin-margin [OPTIONS] apply FILE [--dry-run] [--json]
    (OPTIONS: --base-url URL, --timeout S, --deadline S, --verbose, before or after the
    command)

Exit codes (`kucoin_futures.CallResult`): 0 every symbol as asked, 1 KuCoin answered and
some symbols failed on their own (busy, unknown symbol, a leverage refused, read back
otherwise), 2
usage or configuration error (nothing sent), 3 the call as a whole could not be made or
ended part-way (network, authentication, a whole request refused, 5xx after retries, an
invalid reply, the deadline).

Only argparse is imported up front: httpx and the generated client load after the
arguments are parsed, so `--help` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import stat
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__
from ._defaults import DEFAULT_TIMEOUT_S, MAX_DEADLINE_S, MAX_TIMEOUT_S, PRODUCTION_BASE_URL

if TYPE_CHECKING:
    from kucoin_futures_client import Client

    from ._apply import ApplyReport, LeverageReport, SymbolReport

EXIT_ALL_SWITCHED = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3
PROG = "kucoin-margin"
MAX_PLAN_FILE_BYTES = 1024 * 1024
# A run of digits this long in an apply file is no symbol nor mode: refused before the
# parser turns it into an int (which takes quadratic time, or refuses past 4300 digits).
MAX_DIGITS = 100
# A server message longer than this is cut in a table row or an error line (`--json`
# prints it whole): a megabyte-long "message" is a broken server, not news.
MAX_SHOWN_CHARS = 300
MAX_ERROR_CHARS = 1000
_ARROW = "\N{RIGHTWARDS ARROW}"
_COLUMNS = ("SYMBOL", "SETTING", "VALUE", "RESULT", "REASON", "CODE", "MESSAGE")

_EPILOG = f"""\
credentials come from KUCOIN_API_KEY, KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE and
KUCOIN_API_KEY_VERSION (default 3); the base URL from --base-url, else
KUCOIN_FUTURES_BASE_URL, else {PRODUCTION_BASE_URL} (an empty value is an error, never
production). Plain http beyond this machine needs KUCOIN_FUTURES_ALLOW_HTTP=1.
Options go before or after the command.

exit codes: 0 every symbol as asked; 1 KuCoin answered and some symbols failed on their
own (busy, unknown symbol, a leverage refused, read back otherwise); 2 usage or
configuration error
(nothing sent); 3 the call as a whole could not be made or ended part-way (network,
authentication, a whole request refused, 5xx after retries, invalid reply, deadline)."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage and exits on a bad argument; the CLI wants one line on
    # stderr and an exit code returned from main().
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _seconds(option: str, maximum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(
                f"{option} must be a number of seconds above 0 and at most {maximum:g}: "
                f"{_visible(text, 40)}"
            )
        return value

    return parse


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes, before or after it. The subcommands' copies
    default to SUPPRESS, so that an option given before the command is not reset."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--base-url", metavar="URL", default=default(None), help="API base URL")
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=_seconds("--timeout", MAX_TIMEOUT_S),
        default=default(DEFAULT_TIMEOUT_S),
        help=f"seconds to wait for each reply (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--deadline",
        metavar="S",
        type=_seconds("--deadline", MAX_DEADLINE_S),
        default=default(None),
        help="seconds the whole command may take (default: the library's)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="log each attempt to stderr",
    )


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Read and change the margin mode and cross-margin leverage of KuCoin "
        "Futures contracts.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _global_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=description,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_options(sub, defaults=False)
        return sub

    json_help = "print the report as JSON (its shape: docs/cli.md)"
    read = command(
        "get",
        "read the margin mode (and leverage) of symbols",
        "Read every SYMBOL's margin mode (and with --leverage its cross-margin leverage) and "
        "print one row per symbol and setting.",
    )
    read.add_argument("symbols", metavar="SYMBOL", nargs="+", help="contract, e.g. XBTUSDTM")
    read.add_argument(
        "--leverage", action="store_true", help="read the cross-margin leverage too (a row each)"
    )
    read.add_argument("--json", action="store_true", help=json_help)

    switch = command(
        "set",
        "switch symbols to a margin mode",
        "Switch every SYMBOL to MODE (at most 1000 in one batch) and print one row per symbol.",
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
    output = switch.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=json_help)
    output.add_argument(
        "--raw-reply",
        action="store_true",
        help="print the reply's data object byte for byte as received (not with "
        "--dry-run or --verify)",
    )

    leverage = command(
        "set-leverage",
        "change the cross-margin leverage of symbols",
        "Change every SYMBOL's cross-margin leverage to LEVERAGE (one request a symbol) and "
        "print one row per symbol.",
    )
    leverage.add_argument("leverage", metavar="LEVERAGE", help="e.g. 10 or 2.5 (at least 1)")
    leverage.add_argument("symbols", metavar="SYMBOL", nargs="+", help="contract, e.g. XBTUSDTM")
    how = leverage.add_mutually_exclusive_group()
    how.add_argument(
        "--dry-run",
        action="store_true",
        help="read the current leverages and show what would change; send no change",
    )
    how.add_argument("--verify", action="store_true", help="read back every symbol changed")
    leverage.add_argument("--json", action="store_true", help=json_help)

    apply = command(
        "apply",
        "bring symbols to the position settings a file lists",
        "Read the current settings of the symbols FILE lists, switch the margin modes that "
        "differ (one batch per target mode), then change the leverages that differ, read "
        "them back, and print a row per symbol and setting.",
    )
    apply.add_argument(
        "file",
        metavar="FILE",
        help='JSON or TOML map of symbol to mode or settings: {"XBTUSDTM": "CROSS", '
        '"ETHUSDTM": {"marginMode": "ISOLATED", "leverage": 10}}',
    )
    apply.add_argument("--dry-run", action="store_true", help="read only; show the plan")
    apply.add_argument("--json", action="store_true", help=json_help)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] | None = None,
) -> int:
    """Run the CLI; returns the exit code. `environ` defaults to `os.environ`; `sleep`
    and `monotonic` replace the HTTP client's (tests: waits without waiting)."""
    env = os.environ if environ is None else environ
    _never_fail_to_encode(sys.stdout)
    try:
        args = _build_parser().parse_args(argv)
        if getattr(args, "raw_reply", False) and (args.dry_run or args.verify):
            raise _UsageError("--raw-reply goes with a plain set, not --dry-run or --verify")
    except _UsageError as exc:
        return _fail(f"{exc} (see {PROG} --help)", EXIT_USAGE)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.sleep, args.monotonic = sleep, monotonic

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
    from ._apply import (
        PositionSettings,
        apply_position_settings,
        change_leverages,
        margin_mode_targets,
        position_targets,
        read_report,
        switch_margin_modes,
    )
    from ._cause import CallResult
    from ._leverage import leverage_value
    from ._margin import margin_mode_request, requested_symbols, set_margin_mode

    # Usage errors are reported before a missing key, and before anything is sent. Only
    # a switch request is bounded (1000 symbols); reads take any number.
    targets: Mapping[str, object] = {}
    if args.command == "get":
        requested_symbols(args.symbols)
    elif args.command == "set":
        if args.dry_run:  # duplicates are named before the map could merge them
            targets = margin_mode_targets(dict.fromkeys(requested_symbols(args.symbols), args.mode))
        else:
            request = margin_mode_request(args.mode, args.symbols)
    elif args.command == "set-leverage":
        leverage = leverage_value(args.leverage)
        symbols = requested_symbols(args.symbols)
        targets = {symbol: PositionSettings(leverage=leverage) for symbol in symbols}
    else:
        targets = position_targets(load_plan(Path(args.file)))
    progress = _Progress(sys.stderr)
    with _client(args, env) as client, progress:
        if args.command == "get":
            report = read_report(
                client,
                args.symbols,
                progress=progress.reading,
                leverage=args.leverage,
                deadline_s=args.deadline,
            )
        elif args.command == "set" and args.raw_reply:
            outcome = set_margin_mode(client, request.margin_mode, request.symbols)
            raw = _json_text(outcome.raw_data_text or "null")
        elif args.command == "set" and not args.dry_run:
            report = switch_margin_modes(
                client,
                {request.margin_mode: request.symbols},
                {},
                verify=args.verify,
                progress=progress.stage,
                deadline_s=args.deadline,
            )
        elif args.command == "set-leverage" and not args.dry_run:
            report = change_leverages(
                client,
                dict.fromkeys(symbols, leverage),
                {},
                verify=args.verify,
                progress=progress.stage,
                deadline_s=args.deadline,
            )
        else:  # apply, and the dry runs of set and set-leverage
            report = apply_position_settings(
                client,
                targets,
                dry_run=args.dry_run,
                progress=progress.stage,
                deadline_s=args.deadline,
            )
    # After the progress line is cleared (leaving the block above).
    if args.command == "set" and args.raw_reply:
        print(raw)
        # The same rule as the report's: a symbol the reply does not mention is the
        # reply's fault; a failed one (an `errors` entry, another mode) its own.
        if outcome.missing:
            return EXIT_API_ERROR
        return EXIT_SOME_FAILED if outcome.failed else EXIT_ALL_SWITCHED
    print(json.dumps(report.as_json()) if args.json else _report_table(report))
    result = report.call_result
    if report.error is not None:
        _fail(_with_hint(report.error), EXIT_API_ERROR)
    elif result is CallResult.WHOLE_CALL_FAILED:  # reads that failed, each on its own
        _fail(_not_their_own(report.symbols), EXIT_API_ERROR)
    return int(result)


def _not_their_own(rows: Sequence[SymbolReport | LeverageReport]) -> str:
    """The stderr line for rows that failed for a cause not their own: distinct symbols
    counted (a symbol may have a mode row and a leverage row), the first one's message
    prefixed by its symbol once."""
    failed = [r for r in rows if r.reason is not None and not r.reason.is_symbol_own]
    first = failed[0]
    prefix = f"{first.symbol}: "
    message = first.msg if first.msg.startswith(prefix) else prefix + first.msg
    symbols = {r.symbol for r in failed}
    return (
        f"{len(symbols)} of {len({r.symbol for r in rows})} symbols failed for a cause "
        f"not their own; {message}"
    )


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
        http = client.get_httpx_client()
        # The HTTP client's public waiting hooks (see KucoinHTTPClient), replaced in tests.
        if args.sleep is not None:
            http.sleep = args.sleep  # type: ignore[attr-defined]
        if args.monotonic is not None:
            http.monotonic = args.monotonic  # type: ignore[attr-defined]
        yield client


# ---- the apply file ---------------------------------------------------------------------
# One place reads the file and one function checks each value (`_plan_value`, with the
# library's `position_setting`): {SYMBOL: MODE} or {SYMBOL: {"marginMode": ..., "leverage": ...}}.


def load_plan(path: Path) -> dict[str, Any]:
    """The symbol -> settings map of a JSON or TOML file (by its suffix; JSON if neither):
    each value a margin mode, or a map of "marginMode", "leverage" or both, mixed entry by
    entry. `InvalidInputError` names the file and the line, or the symbol and the key,
    that is wrong. Only a regular file is read (a FIFO or a device could block or never
    end)."""
    from ._errors import InvalidInputError

    raw = _read_regular_file(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    digits = re.search(rf"[0-9_]{{{MAX_DIGITS + 1},}}", text)
    if digits is not None:
        line = text.count("\n", 0, digits.start()) + 1
        raise InvalidInputError(f"{path}: line {line}: a number of more than {MAX_DIGITS} digits")
    plan = _toml_plan(path, text) if path.suffix.lower() == ".toml" else _json_plan(path, text)
    if not isinstance(plan, dict) or not plan:
        raise InvalidInputError(
            f"{path}: expected a non-empty map of symbol to margin mode or settings"
        )
    for symbol, value in plan.items():
        _plan_value(path, symbol, value)
    return plan


def _plan_value(path: Path, symbol: str, value: object) -> None:
    from ._apply import position_setting
    from ._errors import InvalidInputError
    from ._margin import check_symbols

    try:
        check_symbols([symbol])
    except InvalidInputError as error:  # "symbols[0] must be ...": here it is a key
        raise InvalidInputError(f"{path}: a key {str(error).removeprefix('symbols[0] ')}") from None
    try:
        position_setting(symbol, value)
    except InvalidInputError as error:
        raise InvalidInputError(f"{path}: {error}") from None


def _read_regular_file(path: Path) -> bytes:
    from ._errors import InvalidInputError

    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InvalidInputError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as file:
        try:
            raw = file.read(MAX_PLAN_FILE_BYTES + 1)
        except OSError as exc:
            raise InvalidInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_PLAN_FILE_BYTES:
        raise InvalidInputError(f"{path}: larger than {MAX_PLAN_FILE_BYTES} bytes")
    return raw


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
        # Decimal: a leverage as written (0.99999999999999999 is below 1, not the float 1.0).
        return json.loads(text, object_pairs_hook=no_repeats, parse_float=Decimal)
    except InvalidInputError:
        raise
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: nested too deeply") from None
    except ValueError as exc:  # a number int() or float() refuses
        raise InvalidInputError(f"{path}: not JSON: {exc}") from None


def _toml_plan(path: Path, text: str) -> Any:
    import tomllib

    from ._errors import InvalidInputError

    try:
        # TOML itself refuses a key defined twice, naming its line.
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: not TOML: {exc}") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: nested too deeply") from None
    except ValueError as exc:  # a number int() or float() refuses
        raise InvalidInputError(f"{path}: not TOML: {exc}") from None


# ---- output -----------------------------------------------------------------------------


def _report_table(report: ApplyReport) -> str:
    """One table for every command: a row per symbol and setting, in `_COLUMNS`."""
    rows = [_COLUMNS]
    rows.extend(
        (
            row.symbol,
            row.SETTING,
            _value(row),
            str(row.result),
            "" if row.reason is None else str(row.reason),
            row.code or "",
            row.msg,
        )
        for row in report.symbols
    )
    return _columns(rows)


def _value(row: SymbolReport | LeverageReport) -> str:
    """`CROSS → ISOLATED` for a change asked for (`? → ISOLATED` when the mode before was
    not read), the mode alone when there is nothing to change, `-` when unknown."""
    if row.target is None or row.current == row.target:
        return "-" if row.current is None else str(row.current)
    before = "?" if row.current is None else str(row.current)
    return f"{before} {_ARROW} {row.target}"


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
