"""`kucoin-futures-mock`: serve the mock in the foreground until interrupted.

Every bad argument ends in one line on stderr and exit status 2 (argparse's usage block
is left out: `--help` shows it); a server that cannot listen exits 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import sys
import textwrap
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import NoReturn

from kucoin_futures_auth import ConfigurationError, Credentials

from ._app import create_app
from ._body import REQUEST_TIMEOUT_S
from ._faults import parse_fault_spec
from ._server import ReadyServer, base_url_of, bind_socket, server_config
from ._state import DEMO_CREDENTIALS, MARGIN_MODES, SYMBOLS, Account, MockKucoin

_FAULT_HELP = """\
faults (--fault KIND[:count=N|rate=P][,param=value]..., repeatable):
  latency         delay each reply; ms=100
  clock_skew      a server clock off by ms for the next count SIGNED requests (their 5 s
                  signature window is measured against it); the timestamp endpoint
                  reports the skewed clock while it lasts, without using up the count;
                  ms=10000
  http_500        HTTP 500 500000 after authentication
  http_503        HTTP 503 503000 after authentication
  html_502        HTTP 502 text/html page, as a CDN sends it
  reset           send headers and half the body, then drop the connection
  truncated       HTTP 200 whose JSON body is cut in half
  burst_429       HTTP 429 429000 with gw-ratelimit-* headers; reset_ms=1000
  business_error  HTTP 200 {"code": code, "msg": msg}; code=300000,
                  msg=request parameter illegal
  lost_switch     a margin-mode switch (single or batch) or a leverage change replies
                  success but changes nothing (what reading back catches); reads never
                  consume it
  count=N fires for the next N requests, rate=P for each with probability P (seeded by
  --seed), neither for every request. Only latency and clock_skew touch the timestamp
  endpoint (latency counts it, clock_skew does not); lost_switch counts only switches
  and leverage changes that pass validation.
  Examples: --fault http_503:count=2  --fault latency:rate=0.1,ms=250
            --fault lost_switch:count=1
"""

_ADMIN_HELP = """\
admin API (unsigned, off with --no-admin; described by GET /_mock/openapi.yaml):
  GET  /_mock/state                accounts, modes, leverages, busy symbols, faults, rate limits
  PUT  /_mock/symbols/SYMBOL       {"mode": "ISOLATED", "busy": true, "leverage": 10}
                                   (any of them; ?account=KEY)
  POST /_mock/faults               {"kind": "http_503", "count": 2}, as --fault; DELETE clears
  POST /_mock/reset                back to the state these flags describe
  GET  /_mock/requests             recorded requests, signature, passphrase and key redacted
"""


def _epilog() -> str:
    symbols = textwrap.fill(
        ", ".join(SYMBOLS), width=88, initial_indent="  ", subsequent_indent="  "
    )
    return (
        "default account (public demo values, accepted by nothing but this mock):\n"
        f"  api key         {DEMO_CREDENTIALS.key}\n"
        f"  api secret      {DEMO_CREDENTIALS.secret}\n"
        f"  api passphrase  {DEMO_CREDENTIALS.passphrase}\n"
        f"  key version     {DEMO_CREDENTIALS.key_version}, permissions General, Futures\n"
        "\n"
        f"symbol catalogue (all start in --default-mode, nothing busy):\n{symbols}\n"
        "\n"
        f"{_FAULT_HELP}\n"
        f"{_ADMIN_HELP}\n"
        "Prints `listening on http://HOST:PORT` once it accepts connections."
    )


def _symbol_mode(text: str) -> tuple[str, str]:
    symbol, sep, mode = text.partition("=")
    if not sep or mode.upper() not in MARGIN_MODES:
        raise argparse.ArgumentTypeError(f"expected SYMBOL=ISOLATED|CROSS, got {text!r}")
    return symbol.strip(), mode.upper()


_SHOWN_ARGUMENT_CHARS = 40


def _shown(text: str) -> str:
    """An argument as quoted in an error: repr (control characters escaped), bounded."""
    if len(text) > _SHOWN_ARGUMENT_CHARS:
        return repr(text[:_SHOWN_ARGUMENT_CHARS]) + "..."
    return repr(text)


def _integer(text: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:  # also a number too long for int()
        raise argparse.ArgumentTypeError(f"expected an integer, got {_shown(text)}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low}-{high}" if high is not None else f">= {low}"
        raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
    return value


def _port(text: str) -> int:
    return _integer(text, 0, 65535)


def _non_negative(text: str) -> int:
    return _integer(text, 0, None)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {_shown(text)}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {_shown(text)}")
    return value


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line (`PROG: error: ...`), still exit status 2."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {line} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="kucoin-futures-mock",
        description="A local KuCoin Futures: margin-mode read, switch and batch switch,\n"
        "cross-margin leverage read and change, and server time, signed and rate-limited\n"
        "like KuCoin, with injectable faults.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="port 0-65535, 0 picks a free one (default: %(default)s)",
    )
    account = parser.add_argument_group(
        "account",
        "replace the demo account (see below): give key, secret and passphrase together, as "
        f"arguments, else in --account-file, else in {', '.join(ACCOUNT_VARIABLES)} (files "
        "and variables stay out of the process list)",
    )
    account.add_argument("--api-key", metavar="K")
    account.add_argument("--api-secret", metavar="S")
    account.add_argument("--api-passphrase", metavar="P")
    account.add_argument(
        "--account-file",
        metavar="FILE",
        help='JSON {"key": ..., "secret": ..., "passphrase": ..., "keyVersion": 3} '
        "(keyVersion optional)",
    )
    account.add_argument(
        "--key-version", type=int, default=3, choices=(2, 3), help="(default: %(default)s)"
    )
    state = parser.add_argument_group("state")
    state.add_argument(
        "--busy",
        action="append",
        default=[],
        metavar="SYMBOL",
        help="symbol with an open order or position: fails with 50002 (repeatable)",
    )
    state.add_argument(
        "--default-mode",
        choices=MARGIN_MODES,
        default="CROSS",
        help="starting margin mode of every symbol (default: %(default)s)",
    )
    state.add_argument(
        "--mode",
        action="append",
        default=[],
        type=_symbol_mode,
        metavar="SYMBOL=MODE",
        help="starting margin mode of one symbol (repeatable)",
    )
    behaviour = parser.add_argument_group("rate limit and faults")
    behaviour.add_argument(
        "--quota",
        type=_non_negative,
        default=2000,
        help="weight per window per pool (default: %(default)s)",
    )
    behaviour.add_argument(
        "--window", type=_seconds, default=30.0, help="window in seconds (default: %(default)s)"
    )
    behaviour.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="inject a fault (below)"
    )
    behaviour.add_argument(
        "--seed", type=_integer, default=0, help="seed of rate-based faults (default: %(default)s)"
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        default=REQUEST_TIMEOUT_S,
        metavar="SECONDS",
        help="time a client has to send each request, head then body (408 for a late body); "
        "idle keep-alive connections close after it too (default: %(default)s)",
    )
    parser.add_argument(
        "--no-admin",
        dest="admin",
        action="store_false",
        help="leave out the admin API under /_mock/ (then those paths are 404 like any "
        "unknown path)",
    )
    logs = parser.add_argument_group("logging")
    logs.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="(default: %(default)s)",
    )
    logs.add_argument("--access-log", action="store_true", help="log every request")
    return parser


ACCOUNT_VARIABLES = (
    "KUCOIN_MOCK_API_KEY",
    "KUCOIN_MOCK_API_SECRET",
    "KUCOIN_MOCK_API_PASSPHRASE",
)
_MAX_ACCOUNT_FILE_BYTES = 64 * 1024


def _account_file(path: str, parser: argparse.ArgumentParser) -> tuple[str, str, str, int | None]:
    """Key, secret, passphrase and key version from a JSON file (errors never quote it)."""
    try:
        with open(path, "rb") as file:
            raw = file.read(_MAX_ACCOUNT_FILE_BYTES + 1)
        if len(raw) > _MAX_ACCOUNT_FILE_BYTES:
            parser.error(
                f"--account-file {_shown(path)}: larger than {_MAX_ACCOUNT_FILE_BYTES} bytes"
            )
        data = json.loads(raw)
    except OSError as exc:
        parser.error(f"--account-file {_shown(path)}: cannot read: {exc.strerror or exc}")
    except (ValueError, RecursionError):
        parser.error(f"--account-file {_shown(path)}: not a JSON object")
    fields = ("key", "secret", "passphrase")
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) for f in fields):
        parser.error(f"--account-file {_shown(path)}: needs string members key, secret, passphrase")
    unknown = sorted(set(data) - {*fields, "keyVersion"})
    if unknown:
        parser.error(
            f"--account-file {_shown(path)}: unknown member {_shown(unknown[0])} "
            "(allowed: key, secret, passphrase, keyVersion)"
        )
    version = data.get("keyVersion")
    if version is not None and (isinstance(version, bool) or version not in (2, 3)):
        parser.error(f"--account-file {_shown(path)}: keyVersion must be 2 or 3")
    return data["key"], data["secret"], data["passphrase"], version


def _given_account(
    args: argparse.Namespace, parser: argparse.ArgumentParser, environ: Mapping[str, str]
) -> tuple[tuple[str | None, str | None, str | None], int]:
    """The account's (key, secret, passphrase) from the first source that gives any:
    arguments, then --account-file, then the KUCOIN_MOCK_API_* variables."""
    given = (args.api_key, args.api_secret, args.api_passphrase)
    if any(given):
        if args.account_file is not None:
            parser.error("--account-file does not go with --api-key/--api-secret/--api-passphrase")
        return given, args.key_version
    if args.account_file is not None:
        key, secret, passphrase, version = _account_file(args.account_file, parser)
        return (key, secret, passphrase), args.key_version if version is None else version
    from_env = tuple(environ.get(name) or None for name in ACCOUNT_VARIABLES)
    if any(from_env) and not all(from_env):
        parser.error(f"{', '.join(ACCOUNT_VARIABLES)} go together")
    return (from_env[0], from_env[1], from_env[2]), args.key_version


def _credentials(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    given, key_version = _given_account(args, parser, os.environ if environ is None else environ)
    if not any(given):
        if args.key_version == DEMO_CREDENTIALS.key_version:
            return DEMO_CREDENTIALS
        return Credentials(
            DEMO_CREDENTIALS.key,
            DEMO_CREDENTIALS.secret,
            DEMO_CREDENTIALS.passphrase,
            key_version=args.key_version,
        )
    key, secret, passphrase = given
    if key is None or secret is None or passphrase is None:
        parser.error("--api-key, --api-secret and --api-passphrase go together")
    try:
        return Credentials(key, secret, passphrase, key_version)
    except ConfigurationError as exc:
        parser.error(str(exc))


def build_mock(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    environ: Mapping[str, str] | None = None,
) -> MockKucoin:
    """The `MockKucoin` the command line (and `environ`, default `os.environ`) describes;
    errors go through `parser.error`."""
    try:
        mock = MockKucoin(
            [Account(_credentials(args, parser, environ))],
            default_mode=args.default_mode,
            quota=args.quota,
            window_s=args.window,
            seed=args.seed,
        )
        for symbol, mode in args.mode:
            mock.set_mode(symbol, mode)
        for symbol in args.busy:
            mock.set_busy(symbol)
        for spec in args.fault:
            kind, count, rate, params = parse_fault_spec(spec)
            mock.inject(kind, count=count, rate=rate, **params)
    except ValueError as exc:
        parser.error(str(exc))
    mock.checkpoint()  # POST /_mock/reset returns to what the flags describe
    return mock


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def run(argv: Sequence[str] | None = None) -> int:
    """The console script, once the `[mock]` extra is known to be importable."""
    parser = build_parser()
    args = parser.parse_args(argv)
    mock = build_mock(args, parser)
    config = server_config(
        create_app(mock, admin=args.admin, request_timeout_s=args.request_timeout),
        args.host,
        args.port,
        request_timeout_s=args.request_timeout,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    try:
        sock = bind_socket(args.host, args.port)
    except socket.gaierror as exc:  # not an address nor a name this machine resolves
        parser.error(f"argument --host: cannot resolve {_shown(args.host)}: {exc.strerror}")
    except OSError as exc:
        print(
            f"kucoin-futures-mock: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    url = base_url_of(args.host, sock)
    server = ReadyServer(config, lambda: print(f"listening on {url}", flush=True))
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: a stop asked for is
    # a clean exit (status 0), not death by signal.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
