"""The positive contract suite against any server: `python -m contract_tests.live --base-url URL`.

Opt-in, never part of CI (`make contract BASE_URL=...`). Credentials come from KUCOIN_API_KEY,
KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE (and KUCOIN_API_KEY_VERSION). Only valid, signed
requests are sent (plus unauthenticated copies that must be refused), so every accepted
request really switches margin modes: KUCOIN_CONTRACT_SYMBOLS (comma-separated) names the only
symbols the run may touch, and is required for any server that is not on this machine.

Exit status: 0 the server honours the contract, 1 it does not, 2 the run could not start.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from kucoin_futures_auth import ConfigurationError, Credentials

from ._suite import PROJECT_ROOT, run_suite

SYMBOLS_VARIABLE = "KUCOIN_CONTRACT_SYMBOLS"
DEFAULT_JUNIT_PATH = PROJECT_ROOT / "build" / "contract-live-junit.xml"

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_WARNING = """\
WARNING: this run CHANGES MARGIN MODES on the account of KUCOIN_API_KEY at {url}.
  It sends valid, signed batchChangeMarginMode requests, switching {symbols}
  between ISOLATED and CROSS, and leaves each in whatever mode the last request set.
  Use a dedicated sub-account without open orders or positions."""


class UsageError(Exception):
    """The command line or the environment does not allow a run."""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = os.environ if environ is None else environ
    try:
        base_url = _check_base_url(args.base_url)
        symbols = parse_symbols(env.get(SYMBOLS_VARIABLE, ""))
        if not symbols and not is_loopback_url(base_url):
            raise UsageError(
                f"{SYMBOLS_VARIABLE} is required for a server that is not on this machine: "
                "name the symbols the run may switch, e.g. "
                f"{SYMBOLS_VARIABLE}=XBTUSDTM,ETHUSDTM"
            )
        credentials = Credentials.from_env(env)
    except (UsageError, ConfigurationError) as exc:
        print(f"contract_tests.live: {exc}", file=sys.stderr)
        return EXIT_USAGE

    touched = ", ".join(symbols) if symbols else "whatever symbols are generated"
    print(_WARNING.format(url=base_url, symbols=touched), file=sys.stderr, flush=True)
    result = run_suite(
        credentials,
        base_url=base_url,
        positive_only=True,
        symbols=symbols or None,
        junit_path=args.junit,
        console=True,
    )
    verdict = "passed" if result.passed else "FAILED"
    print(
        f"contract suite {verdict} against {base_url}: {result.cases} test cases, "
        f"{result.requests} requests; JUnit report: {args.junit}",
        flush=True,
    )
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_PASSED if result.passed else EXIT_FAILED


def parse_symbols(value: str) -> tuple[str, ...]:
    """Comma-separated symbols, blanks dropped, duplicates removed, order kept."""
    symbols = (part.strip() for part in value.split(","))
    return tuple(dict.fromkeys(symbol for symbol in symbols if symbol))


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not url:
        raise UsageError("--base-url is empty (make contract BASE_URL=https://...)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url must be an http(s) URL with a host, not {value!r}")
    return url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.live",
        description=(
            "Run the positive contract suite of openapi.yaml against a server. "
            f"It changes margin modes on the account: restrict it with {SYMBOLS_VARIABLE}."
        ),
    )
    parser.add_argument("--base-url", required=True, help="e.g. https://api-futures.kucoin.com")
    parser.add_argument(
        "--junit",
        type=Path,
        default=DEFAULT_JUNIT_PATH,
        help="where to write the JUnit report (default: build/contract-live-junit.xml)",
    )
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
