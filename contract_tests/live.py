"""The positive contract suite against any server: `python -m contract_tests.live --base-url URL`.

Opt-in, never part of CI (`make contract BASE_URL=...`). Credentials come from KUCOIN_API_KEY,
KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE (and KUCOIN_API_KEY_VERSION). Only valid, signed
requests are sent (plus unauthenticated copies that must be refused), so every accepted
request really switches margin modes or changes cross-margin leverages:
KUCOIN_CONTRACT_SYMBOLS (comma-separated) names the only symbols the run may touch, and is
required for any server that is not on this machine. The restriction goes by request field
(`symbol`, `symbols`: `_suite.restrict_symbols`), so it covers every operation of the spec
that names a contract, the leverage change included.

Before the run, it reads the margin mode and the cross-margin leverage of every listed
symbol (and does not start if one cannot be read); after it, it switches each listed symbol
back to that mode and sets that leverage again, reads both to check, and names every
setting it could not restore.

Exit status: 0 the server honours the contract, 1 it does not, 2 the run could not start,
3 some listed symbol could not be restored to its mode (or its leverage) from before the run
(whatever the verdict: those settings need a human).
"""

from __future__ import annotations

import argparse
import decimal
import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from kucoin_futures._client import allow_http_from, check_base_url, is_loopback_host
from kucoin_futures_auth import ConfigurationError, Credentials

from ._auth import KucoinRequestsAuth
from ._stateful import READ_OPERATION, SWITCH_OPERATION
from ._stateful_leverage import CHANGE_OPERATION, LEVERAGE_READ_OPERATION
from ._suite import PROJECT_ROOT, run_suite

SYMBOLS_VARIABLE = "KUCOIN_CONTRACT_SYMBOLS"
DEFAULT_JUNIT_PATH = PROJECT_ROOT / "build" / "contract-live-junit.xml"

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_RESTORED = 3
EXIT_MEANINGS = {
    EXIT_PASSED: "the server honours the contract",
    EXIT_FAILED: "the server does not honour the contract",
    EXIT_USAGE: "the run could not start (nothing was switched)",
    EXIT_NOT_RESTORED: (
        "some listed symbol could not be restored to its mode or leverage from before the run"
    ),
}

READ_PATH = READ_OPERATION.partition(" ")[2]
SWITCH_PATH = SWITCH_OPERATION.partition(" ")[2]
LEVERAGE_READ_PATH = LEVERAGE_READ_OPERATION.partition(" ")[2]
LEVERAGE_CHANGE_PATH = CHANGE_OPERATION.partition(" ")[2]
_TIMEOUT_S = 10.0
_ATTEMPTS = 3
_MAX_WAIT_S = 30.0

_WARNING = """\
WARNING: this run CHANGES MARGIN MODES on the account of KUCOIN_API_KEY at {url}.
  It sends valid, signed margin-mode switches (single and batch) and cross-margin
  leverage changes, switching {symbols} between ISOLATED and CROSS and changing their
  leverage; at the end it switches each listed symbol back to the mode it had before the
  run and sets its leverage back. Use a dedicated sub-account without open orders or
  positions."""


class UsageError(Exception):
    """The command line or the environment does not allow a run."""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run; returns the exit status, and says it with its meaning as the last line on
    stderr (`make contract` shows it, though make itself exits 2 for any failure)."""
    try:
        code = _run(argv, os.environ if environ is None else environ)
    except SystemExit as exc:  # from argparse: --help, or a usage error already shown
        if exc.code in (0, None):
            raise
        code = EXIT_USAGE
    print(f"contract_tests.live: exit {code}: {EXIT_MEANINGS[code]}", file=sys.stderr)
    return code


def _run(argv: Sequence[str] | None, env: Mapping[str, str]) -> int:
    args = _parser().parse_args(argv)
    try:
        base_url = _checked_url_argument(args.base_url)
        # The library's rule: signed headers go over plain http to this machine only,
        # unless KUCOIN_FUTURES_ALLOW_HTTP opts in.
        allow_http = allow_http_from(env)
        check_base_url(base_url, allow_http=allow_http)
        _refuse_a_proxy_for_plain_http(base_url, allow_http=allow_http)
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
    client = SettingsClient(base_url, credentials)
    before: dict[str, str] = {}
    leverages_before: dict[str, str] = {}
    for symbol in symbols:
        for setting, read, kept in (
            ("margin mode", client.read, before),
            ("cross-margin leverage", client.read_leverage, leverages_before),
        ):
            value, problem = read(symbol)
            if value is None:
                print(
                    f"contract_tests.live: cannot read the {setting} of {symbol} before the "
                    f"run ({problem}); nothing was switched",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            kept[symbol] = value
    if before:
        listed = ", ".join(f"{symbol} {mode}" for symbol, mode in before.items())
        print(f"modes before the run: {listed}", file=sys.stderr, flush=True)
        listed = ", ".join(f"{symbol} {value}" for symbol, value in leverages_before.items())
        print(f"leverages before the run: {listed}", file=sys.stderr, flush=True)
    try:
        result = run_suite(
            credentials,
            base_url=base_url,
            positive_only=True,
            symbols=symbols or None,
            junit_path=args.junit,
            console=True,
        )
    finally:
        not_restored = restore(client, before)
        leverages_not_restored = restore_leverages(client, leverages_before)
    verdict = "passed" if result.passed else "FAILED"
    print(
        f"contract suite {verdict} against {base_url}: {result.cases} test cases, "
        f"{result.requests} requests, {result.stateful_pairs} read-after-switch pairs and "
        f"{result.leverage_pairs} read-after-leverage-change pairs compared; "
        f"JUnit report: {args.junit}",
        flush=True,
    )
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    if before and not not_restored:
        print(f"restored the modes of {', '.join(before)}", flush=True)
    if leverages_before and not leverages_not_restored:
        print(f"restored the leverages of {', '.join(leverages_before)}", flush=True)
    for symbol, problem in not_restored.items():
        print(
            f"NOT RESTORED: {symbol} should be {before[symbol]} ({problem})",
            file=sys.stderr,
            flush=True,
        )
    for symbol, problem in leverages_not_restored.items():
        print(
            f"NOT RESTORED: {symbol} leverage should be {leverages_before[symbol]} ({problem})",
            file=sys.stderr,
            flush=True,
        )
    if not_restored or leverages_not_restored:
        return EXIT_NOT_RESTORED
    return EXIT_PASSED if result.passed else EXIT_FAILED


def _margin_mode(data: object) -> str | None:
    mode = data.get("marginMode") if isinstance(data, dict) else None
    return mode if isinstance(mode, str) else None


def _leverage(data: object) -> str | None:
    leverage = data.get("leverage") if isinstance(data, dict) else None
    return leverage if isinstance(leverage, str) else None


class SettingsClient:
    """Signed reads and single changes of margin modes and cross-margin leverages, outside
    schemathesis.

    A 429 is waited out (`gw-ratelimit-reset`, at most 30 s) and retried; anything else
    that is not `200000` with the expected `data` is a problem, reported as text.
    """

    def __init__(self, base_url: str, credentials: Credentials) -> None:
        self._base_url = base_url
        self._auth = KucoinRequestsAuth(credentials)

    def read(self, symbol: str) -> tuple[str | None, str]:
        return self._call("GET", READ_PATH, _margin_mode, params={"symbol": symbol})

    def switch(self, symbol: str, mode: str) -> tuple[str | None, str]:
        body = json.dumps({"symbol": symbol, "marginMode": mode}, separators=(",", ":"))
        return self._call("POST", SWITCH_PATH, _margin_mode, data=body)

    def read_leverage(self, symbol: str) -> tuple[str | None, str]:
        return self._call("GET", LEVERAGE_READ_PATH, _leverage, params={"symbol": symbol})

    def change_leverage(self, symbol: str, leverage: str) -> tuple[str | None, str]:
        """(`leverage` once the server replied `data: true`, or None, and the problem)."""
        body = json.dumps({"symbol": symbol, "leverage": leverage}, separators=(",", ":"))

        def changed(data: object) -> str | None:
            return leverage if data is True else None

        return self._call("POST", LEVERAGE_CHANGE_PATH, changed, data=body)

    def _call(
        self, method: str, path: str, value_of: Callable[[object], str | None], **options: Any
    ) -> tuple[str | None, str]:
        problem = "no attempt"
        for _ in range(_ATTEMPTS):
            try:
                response = requests.request(
                    method,
                    self._base_url + path,
                    auth=self._auth,
                    headers={"Content-Type": "application/json"},
                    timeout=_TIMEOUT_S,
                    allow_redirects=False,
                    **options,
                )
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}"
                continue
            if response.status_code == 429:
                reset_ms = response.headers.get("gw-ratelimit-reset", "1000")
                wait_s = int(reset_ms) / 1000 if reset_ms.isdigit() else 1.0
                time.sleep(min(wait_s, _MAX_WAIT_S))
                problem = "HTTP 429"
                continue
            try:
                reply = response.json()
            except ValueError:
                return None, f"HTTP {response.status_code}, not JSON"
            code = reply.get("code") if isinstance(reply, dict) else None
            value = value_of(reply.get("data")) if isinstance(reply, dict) else None
            if response.status_code == 200 and code == "200000" and value is not None:
                return value, ""
            return None, f"HTTP {response.status_code} code {code}"
        return None, problem


def restore(modes: SettingsClient, before: Mapping[str, str]) -> dict[str, str]:
    """Switch each symbol back to its mode in `before`; symbol -> problem, for failures."""
    not_restored: dict[str, str] = {}
    for symbol, wanted in before.items():
        now, problem = modes.read(symbol)
        if now != wanted:
            _, problem = modes.switch(symbol, wanted)
            now, read_problem = modes.read(symbol)
            problem = problem or read_problem
        if now != wanted:
            not_restored[symbol] = problem or f"it is {now}"
    return not_restored


def restore_leverages(client: SettingsClient, before: Mapping[str, str]) -> dict[str, str]:
    """Set each symbol's leverage back to the one in `before` (compared as numbers, as
    `"2.50"` is `"2.5"`); symbol -> problem, for failures."""
    not_restored: dict[str, str] = {}
    for symbol, wanted in before.items():
        now, problem = client.read_leverage(symbol)
        if not _same_leverage(now, wanted):
            _, problem = client.change_leverage(symbol, wanted)
            now, read_problem = client.read_leverage(symbol)
            problem = problem or read_problem
        if not _same_leverage(now, wanted):
            not_restored[symbol] = problem or f"it is {now}"
    return not_restored


def _same_leverage(now: str | None, wanted: str) -> bool:
    try:
        return now is not None and decimal.Decimal(now) == decimal.Decimal(wanted)
    except decimal.InvalidOperation:
        return False


def parse_symbols(value: str) -> tuple[str, ...]:
    """Comma-separated symbols, blanks dropped, duplicates removed, order kept."""
    symbols = (part.strip() for part in value.split(","))
    return tuple(dict.fromkeys(symbol for symbol in symbols if symbol))


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def _refuse_a_proxy_for_plain_http(base_url: str, *, allow_http: bool) -> None:
    # requests (ours and schemathesis') honours HTTP_PROXY / ALL_PROXY: plain http to this
    # machine would cross the network to the proxy, signed headers and all.
    parts = urlsplit(base_url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if (
        parts.scheme == "http"
        and not allow_http
        and proxy
        and not urllib.request.proxy_bypass(parts.hostname or "")
    ):
        raise UsageError(
            "a proxy from the environment (HTTP_PROXY or ALL_PROXY) would carry the signed "
            f"headers to {base_url} in clear: add the host to NO_PROXY, unset the proxy, "
            "or opt in with KUCOIN_FUTURES_ALLOW_HTTP=1"
        )


def _checked_url_argument(value: str) -> str:
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
