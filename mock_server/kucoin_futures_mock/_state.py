"""The mock's accounts, position settings (margin mode, cross-margin leverage), rate-limit
pools, faults and counters.

One `MockKucoin` backs one server. Test code changes it from its own thread while the
server's event loop reads it, so every access goes through one lock, held only for
in-memory work (never across an `await`).
"""

from __future__ import annotations

import collections
import decimal
import random
import re
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Final

import attrs

from kucoin_futures_auth import Credentials

from ._faults import NO_FAULTS, FaultDraw, FaultRule, draw, draw_lost_switch
from ._ratelimit import Charge, RateLimiter

SYMBOLS: Final = (
    "XBTUSDTM",
    "ETHUSDTM",
    "SOLUSDTM",
    "XRPUSDTM",
    "DOGEUSDTM",
    "ADAUSDTM",
    "BNBUSDTM",
    "LTCUSDTM",
    "LINKUSDTM",
    "AVAXUSDTM",
    "DOTUSDTM",
    "BCHUSDTM",
)
"""The default contract catalogue: real KuCoin USDT-margined perpetual symbols."""

DEMO_CREDENTIALS: Final = Credentials(
    key="kucoin-mock-demo-key",
    secret="kucoin-mock-demo-secret",  # noqa: S106 - a public demo value, printed by --help
    passphrase="kucoin-mock-demo-passphrase",  # noqa: S106 - likewise
    key_version=3,
)
"""The default account's credentials. Public demo values: they open nothing but the mock."""

MARGIN_MODES: Final = ("ISOLATED", "CROSS")
FUTURES_PERMISSION: Final = "Futures"
BUSY_CODE: Final = "50002"
BUSY_MSG: Final = "exist.order.or.position"
UNKNOWN_SYMBOL_CODE: Final = "200003"
UNKNOWN_SYMBOL_MSG: Final = "The symbol parameter is invalid"
SUCCESS_CODE: Final = "200000"
RECENT_REQUESTS_KEPT: Final = 100
"""How many answered requests `recent_requests` keeps unless told otherwise."""

DEFAULT_LEVERAGE: Final = "5"
"""The cross-margin leverage every symbol starts with (a choice: KuCoin documents none)."""
MAX_LEVERAGE: Final = {
    "XBTUSDTM": 125,
    "ETHUSDTM": 100,
    "SOLUSDTM": 75,
    "XRPUSDTM": 75,
    "DOGEUSDTM": 75,
}
"""The highest cross-margin leverage of the catalogue's contracts that go beyond
`DEFAULT_MAX_LEVERAGE` (a choice in the range of KuCoin's real maxima, 20 to 125)."""
DEFAULT_MAX_LEVERAGE: Final = 50
"""The highest leverage of the other symbols of `SYMBOLS`; a symbol outside it (in a
catalogue of the caller's own) gets `CUSTOM_MAX_LEVERAGE`."""
CUSTOM_MAX_LEVERAGE: Final = 20
MIN_LEVERAGE: Final = 1
LEVERAGE_RANGE_CODE: Final = "100001"
# openapi.yaml's `Leverage` pattern: a decimal string, four whole digits and two decimals.
_LEVERAGE_TEXT: Final = re.compile(r"[0-9]{1,4}(\.[0-9]{1,2})?")


def _permission_set(permissions: Iterable[str]) -> frozenset[str]:
    if isinstance(permissions, str):
        raise TypeError("permissions must be a collection of names, not one string")
    return frozenset(permissions)


@attrs.frozen
class Account:
    """An API key the mock accepts, with the permissions KuCoin would grant it."""

    credentials: Credentials
    """The key, secret and passphrase (and key version) a request must be signed with."""
    permissions: frozenset[str] = attrs.field(
        default=frozenset({"General", FUTURES_PERMISSION}), converter=_permission_set
    )
    """KuCoin's API-key permissions; without "Futures" every operation answers `400007`."""

    @property
    def key(self) -> str:
        """The API key, as sent in `KC-API-KEY`."""
        return self.credentials.key


def _header_dict(raw: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


@attrs.frozen
class RecordedRequest:
    """A request the mock answered, as it arrived (for assertions in tests).

    `path` is the raw target (path and query, percent-encoded as sent). `received_at` is
    the mock's clock (seconds, without injected `clock_skew`) when the request arrived,
    before any injected latency: compare it with `received_ms` of other requests and with
    `rate_limit_reset_ms` to check a client's pacing.
    """

    method: str
    path: str
    raw_headers: tuple[tuple[bytes, bytes], ...] = attrs.field(repr=False)
    body: bytes
    status: int
    received_at: float
    reply_headers: tuple[tuple[bytes, bytes], ...] = attrs.field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """Header names lower-cased; the first value of a repeated header wins."""
        return _header_dict(self.raw_headers)

    @property
    def received_ms(self) -> int:
        """`received_at` in whole milliseconds, like KuCoin's timestamps."""
        return int(self.received_at * 1000)

    @property
    def reply(self) -> dict[str, str]:
        """The reply's headers, names lower-cased (e.g. `gw-ratelimit-reset`)."""
        return _header_dict(self.reply_headers)

    @property
    def rate_limit_reset_ms(self) -> int | None:
        """The reply's `gw-ratelimit-reset` (ms until its pool resets), None without one."""
        value = self.reply.get("gw-ratelimit-reset")
        return int(value) if value is not None and value.isdigit() else None


@attrs.define
class _AccountState:
    modes: dict[str, str]
    leverages: dict[str, str]
    busy: set[str] = attrs.field(factory=set)

    @classmethod
    def fresh(cls, symbols: Iterable[str], mode: str) -> _AccountState:
        symbols = tuple(symbols)
        return cls(dict.fromkeys(symbols, mode), dict.fromkeys(symbols, DEFAULT_LEVERAGE))

    def copy(self) -> _AccountState:
        return _AccountState(dict(self.modes), dict(self.leverages), set(self.busy))


@attrs.frozen
class _Checkpoint:
    states: dict[str, _AccountState]
    faults: tuple[FaultRule, ...]


def _copies(rules: Iterable[FaultRule]) -> tuple[FaultRule, ...]:
    return tuple(attrs.evolve(rule, params=dict(rule.params)) for rule in rules)


def _rule_document(rule: FaultRule) -> dict[str, Any]:
    return {"kind": str(rule.kind), "count": rule.count, "rate": rule.rate, **rule.params}


def _named_pools(
    usage: list[tuple[Hashable, Charge]],
) -> Iterable[tuple[tuple[str, str], Charge]]:
    # Pools are ("futures", account key) or ("public", client IP): see `MockKucoin`.
    for pool, charge in usage:
        if isinstance(pool, tuple) and len(pool) == 2:
            yield (str(pool[0]), str(pool[1])), charge


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"recent_limit must be an integer >= 0, not {limit!r}")
    return limit


def _check_mode(mode: str) -> str:
    if mode not in MARGIN_MODES:
        raise ValueError(f"margin mode must be one of {', '.join(MARGIN_MODES)}, not {mode!r}")
    return mode


def leverage_text(value: object) -> str | None:
    """A leverage (int, or a decimal string as KuCoin sends it) in KuCoin's canonical form:
    `5`, `"5.00"` -> "5"; `"2.50"` -> "2.5". None when it is not such a number."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9999:
        return str(value)
    if not isinstance(value, str) or not _LEVERAGE_TEXT.fullmatch(value):
        return None
    # Fixed-point without trailing zeros: normalize() alone writes 10 as "1E+1".
    return format(decimal.Decimal(value).normalize(), "f")


def _catalogue_maxima(symbols: tuple[str, ...]) -> dict[str, int]:
    return {
        symbol: MAX_LEVERAGE.get(
            symbol, DEFAULT_MAX_LEVERAGE if symbol in SYMBOLS else CUSTOM_MAX_LEVERAGE
        )
        for symbol in symbols
    }


class MockKucoin:
    """State and control handle of one mock server. Thread-safe.

    `accounts` defaults to one demo account (`DEMO_CREDENTIALS`); the first account is the
    default one for the `key=None` arguments below. Every account starts with every
    catalogue symbol in `default_mode` at cross-margin leverage `DEFAULT_LEVERAGE` ("5"),
    nothing busy. A symbol's leverage may be set from `MIN_LEVERAGE` (1) to its maximum
    (`max_leverage(symbol)`: `MAX_LEVERAGE`, else 50 for the other symbols of `SYMBOLS`,
    20 for a symbol outside it), in either margin mode, busy or not.

    Rate limits: authenticated requests are charged `weight` to their account's "Futures"
    pool; requests the gateway cannot attribute to an account (the public timestamp
    endpoint, failed authentication, unknown paths) are charged to a "Public" pool of the
    client's IP, so a stranger who knows a key (keys are not secret) cannot use up that
    account's quota. Each pool allows `quota` weight per `window_s` seconds.

    `seed` seeds the RNG behind rate-based faults; `clock` (seconds, like `time.time`) is the
    server clock for signature windows, the timestamp endpoint, rate-limit windows and the
    arrival times of recorded requests. `recent_limit` is how many answered requests
    `recent_requests` keeps (also settable later, e.g. on the pytest fixture's mock).

    `reset()` returns to the last `checkpoint()`: the state right after construction unless
    `checkpoint()` was called since (the console script calls it once its flags are
    applied, so the admin API's reset returns to what the command line described).
    """

    def __init__(
        self,
        accounts: Iterable[Account] | None = None,
        *,
        symbols: Iterable[str] = SYMBOLS,
        default_mode: str = "CROSS",
        quota: int = 2000,
        window_s: float = 30.0,
        weight: int = 2,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        recent_limit: int = RECENT_REQUESTS_KEPT,
    ) -> None:
        self._lock = threading.Lock()
        self._symbols = tuple(symbols)
        if not self._symbols or len(set(self._symbols)) != len(self._symbols):
            raise ValueError("symbols must be a non-empty catalogue without duplicates")
        if not all(isinstance(s, str) and s.strip() for s in self._symbols):
            raise ValueError("symbols must be non-blank strings")
        self._default_mode = _check_mode(default_mode)
        self._max_leverage = _catalogue_maxima(self._symbols)
        self._clock = clock
        self._limiter = RateLimiter(quota, window_s, weight)
        self._rng = random.Random(seed)
        self._faults: list[FaultRule] = []
        self._accounts: dict[str, Account] = {}
        self._states: dict[str, _AccountState] = {}
        self._default_key = ""
        self._requests_seen = 0
        self._status_counts: collections.Counter[int] = collections.Counter()
        self._recent: collections.deque[RecordedRequest] = collections.deque(
            maxlen=_check_limit(recent_limit)
        )
        self._seed = seed
        self._checkpoint: _Checkpoint = _Checkpoint({}, ())
        for account in [Account(DEMO_CREDENTIALS)] if accounts is None else accounts:
            self.add_account(account)
        if not self._accounts:
            raise ValueError("the mock needs at least one account")
        self.checkpoint()

    # ---- configuration -------------------------------------------------------------

    @property
    def symbols(self) -> tuple[str, ...]:
        """The contract catalogue (known symbols)."""
        return self._symbols

    @property
    def quota(self) -> int:
        """The rate-limit quota: weight per window and account (KuCoin's VIP0: 2000)."""
        return self._limiter.quota

    @property
    def window_s(self) -> float:
        """The rate-limit window in seconds (KuCoin's: 30)."""
        return self._limiter.window_s

    @property
    def weight(self) -> int:
        """The weight each request spends (KuCoin's, for every operation served: 2)."""
        return self._limiter.weight

    @property
    def clock(self) -> Callable[[], float]:
        """The mock's clock, seconds since the epoch: signatures' timestamps and the
        rate-limit windows are checked against it."""
        return self._clock

    @property
    def accounts(self) -> tuple[Account, ...]:
        """Every account the mock accepts, the default one first."""
        with self._lock:
            return tuple(self._accounts.values())

    @property
    def default_account(self) -> Account:
        """The account the helpers act on when given no `key=`."""
        with self._lock:
            return self._accounts[self._default_key]

    def add_account(self, account: Account) -> None:
        """Accept another API key; it starts with the default modes and nothing busy."""
        if not isinstance(account, Account):
            raise TypeError(f"expected an Account, got {type(account).__name__}")
        with self._lock:
            if account.key in self._accounts:
                raise ValueError("an account with this API key already exists")
            self._accounts[account.key] = account
            self._states[account.key] = _AccountState.fresh(self._symbols, self._default_mode)
            if not self._default_key:
                self._default_key = account.key

    # ---- per-account margin state ------------------------------------------------------

    def _state(self, key: str | None, symbol: str | None = None) -> _AccountState:
        state = self._states.get(self._default_key if key is None else key)
        if state is None:
            raise ValueError("no account with this API key")
        if symbol is not None and symbol not in state.modes:
            raise ValueError(f"{symbol!r} is not in the mock's symbol catalogue")
        return state

    def set_busy(self, symbol: str, *, busy: bool = True, key: str | None = None) -> None:
        """Mark `symbol` as having an open order or position (its switch fails with 50002)."""
        with self._lock:
            state = self._state(key, symbol)
            if busy:
                state.busy.add(symbol)
            else:
                state.busy.discard(symbol)

    def is_busy(self, symbol: str, *, key: str | None = None) -> bool:
        """Whether `symbol` "has an open order or position": its switch fails with `50002`."""
        with self._lock:
            return symbol in self._state(key, symbol).busy

    def set_mode(self, symbol: str, mode: str, *, key: str | None = None) -> None:
        """Set the margin mode `symbol` has now (ISOLATED or CROSS)."""
        _check_mode(mode)
        with self._lock:
            self._state(key, symbol).modes[symbol] = mode

    def mode_of(self, symbol: str, *, key: str | None = None) -> str:
        """The margin mode `symbol` has now (ISOLATED or CROSS)."""
        with self._lock:
            return self._state(key, symbol).modes[symbol]

    def modes(self, *, key: str | None = None) -> dict[str, str]:
        """A copy of every symbol's margin mode for one account."""
        with self._lock:
            return dict(self._state(key).modes)

    def max_leverage(self, symbol: str) -> int:
        """The highest cross-margin leverage `symbol` accepts (the lowest is 1)."""
        maximum = self._max_leverage.get(symbol)
        if maximum is None:
            raise ValueError(f"{symbol!r} is not in the mock's symbol catalogue")
        return maximum

    def set_leverage(self, symbol: str, leverage: int | str, *, key: str | None = None) -> None:
        """Set the cross-margin leverage `symbol` has now: a whole number or a decimal
        string such as "2.5", within 1 and `max_leverage(symbol)`."""
        text = leverage_text(leverage)
        maximum = self.max_leverage(symbol)
        if text is None or not MIN_LEVERAGE <= decimal.Decimal(text) <= maximum:
            raise ValueError(
                f"leverage must be a number from {MIN_LEVERAGE} to {maximum} for {symbol}"
                f" (at most two decimals), not {leverage!r}"
            )
        with self._lock:
            self._state(key, symbol).leverages[symbol] = text

    def leverage_of(self, symbol: str, *, key: str | None = None) -> str:
        """The cross-margin leverage `symbol` has now, as KuCoin's string (e.g. "5")."""
        with self._lock:
            return self._state(key, symbol).leverages[symbol]

    def leverages(self, *, key: str | None = None) -> dict[str, str]:
        """A copy of every symbol's cross-margin leverage for one account."""
        with self._lock:
            return dict(self._state(key).leverages)

    # ---- faults ------------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        /,
        *,
        count: int | None = None,
        rate: float | None = None,
        **params: int | str,
    ) -> None:
        """Arm a fault (see `Fault` for kinds and parameters).

        `count=N`: the next N requests it applies to; `rate=P`: each such request with
        probability P (seeded RNG); neither: every such request until `clear_faults()`.
        """
        rule = FaultRule.create(kind, count=count, rate=rate, params=params)
        with self._lock:
            self._faults.append(rule)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def active_faults(self) -> tuple[FaultRule, ...]:
        """Copies of the armed fault rules, with counts left, in injection order."""
        with self._lock:
            return _copies(self._faults)

    # ---- checkpoint and reset -------------------------------------------------------------

    def checkpoint(self) -> None:
        """Remember every account's modes and busy symbols and the armed faults (with the
        counts they have left): what `reset()` returns to."""
        with self._lock:
            self._checkpoint = _Checkpoint(
                {key: state.copy() for key, state in self._states.items()},
                _copies(self._faults),
            )

    def reset(self) -> None:
        """Back to the last `checkpoint()`: modes, busy symbols and faults as they were then
        (an account added since gets the default modes, nothing busy), the fault RNG
        reseeded, every rate-limit pool fresh, recorded requests and counters cleared."""
        with self._lock:
            saved = self._checkpoint
            for key in self._states:
                state = saved.states.get(key)
                self._states[key] = (
                    state.copy()
                    if state is not None
                    else _AccountState.fresh(self._symbols, self._default_mode)
                )
            self._faults[:] = _copies(saved.faults)
            self._rng.seed(self._seed)
            self._limiter.reset()
            self._recent.clear()
            self._requests_seen = 0
            self._status_counts.clear()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-ready data, read at one instant (the admin API's
        `GET /_mock/state`): accounts with modes and busy symbols, armed faults, rate-limit
        settings and usage, request counters. Holds no secret: keys only."""
        with self._lock:
            now = self._clock()
            accounts = [
                {
                    "key": key,
                    "keyVersion": account.credentials.key_version,
                    "default": key == self._default_key,
                    "permissions": sorted(account.permissions),
                    "modes": dict(self._states[key].modes),
                    "leverages": dict(self._states[key].leverages),
                    "busy": sorted(self._states[key].busy),
                }
                for key, account in self._accounts.items()
            ]
            pools = [
                {
                    "pool": kind,
                    "owner": owner,
                    "used": charge.limit - charge.remaining,
                    "remaining": charge.remaining,
                    "resetMs": charge.reset_ms,
                }
                for (kind, owner), charge in _named_pools(self._limiter.usage(now))
            ]
            return {
                "symbols": list(self._symbols),
                "maxLeverage": dict(self._max_leverage),
                "accounts": accounts,
                "faults": [_rule_document(rule) for rule in self._faults],
                "rateLimit": {
                    "quota": self._limiter.quota,
                    "windowS": self._limiter.window_s,
                    "weight": self._limiter.weight,
                    "pools": pools,
                },
                "requests": {
                    "seen": self._requests_seen,
                    "byStatus": {str(k): v for k, v in sorted(self._status_counts.items())},
                    "kept": len(self._recent),
                    "keptLimit": self._recent.maxlen,
                },
            }

    # ---- rate limits -------------------------------------------------------------------

    def reset_rate_limits(self) -> None:
        """Forget all pools' usage (every pool starts a fresh window)."""
        with self._lock:
            self._limiter.reset()

    def quota_remaining(self, *, key: str | None = None) -> int:
        """What is left of an account's Futures pool in its current window."""
        with self._lock:
            self._state(key)
            account_key = self._default_key if key is None else key
            return self._limiter.peek(("futures", account_key), self._clock()).remaining

    # ---- counters ----------------------------------------------------------------------

    @property
    def requests_seen(self) -> int:
        """How many requests the server has answered (any path, any outcome)."""
        with self._lock:
            return self._requests_seen

    @property
    def status_counts(self) -> dict[int, int]:
        """HTTP status -> how many replies had it."""
        with self._lock:
            return dict(self._status_counts)

    @property
    def recent_requests(self) -> tuple[RecordedRequest, ...]:
        """The last requests answered, oldest first (at most `recent_limit`)."""
        with self._lock:
            return tuple(self._recent)

    @property
    def recent_limit(self) -> int:
        """How many answered requests `recent_requests` keeps (default 100)."""
        with self._lock:
            limit = self._recent.maxlen
        assert limit is not None
        return limit

    @recent_limit.setter
    def recent_limit(self, limit: int) -> None:
        # A smaller limit drops the oldest requests kept so far.
        with self._lock:
            self._recent = collections.deque(self._recent, maxlen=_check_limit(limit))

    def clear_recent_requests(self) -> None:
        """Forget the requests kept so far (the counters keep counting)."""
        with self._lock:
            self._recent.clear()

    def now_ms(self) -> int:
        """Server time in ms, without injected clock skew."""
        return int(self._clock() * 1000)

    # ---- used by the app (package-internal) --------------------------------------------

    def _credentials_for(self, key: str) -> Credentials | None:
        account = self._accounts.get(key)
        return None if account is None else account.credentials

    def _account(self, key: str) -> Account | None:
        return self._accounts.get(key)

    def _draw_faults(self, *, signed: bool) -> FaultDraw:
        if not self._faults:
            return NO_FAULTS
        with self._lock:
            return draw(self._faults, self._rng, signed=signed)

    def _charge(self, pool: Hashable) -> Charge:
        with self._lock:
            return self._limiter.charge(pool, self._clock())

    def _lost_switch(self) -> bool:
        """Whether the switch about to change state is lost (`lost_switch`; consumes it)."""
        if not self._faults:
            return False
        with self._lock:
            return draw_lost_switch(self._faults, self._rng)

    def _read(self, key: str, symbol: str) -> str | None:
        """The margin mode `symbol` has for one account, None if it is not a contract."""
        with self._lock:
            return self._states[key].modes.get(symbol)

    def _switch(
        self, key: str, target: str, symbols: list[str], *, lost: bool = False
    ) -> tuple[dict[str, str], list[dict[str, str]]]:
        """Switch `symbols` of one account to `target`; returns (data.marginMode, data.errors).

        Symbols are processed one by one, in request order, and each fails or switches on
        its own: unknown -> 200003 (absent from marginMode); busy -> 50002, keeps its mode.
        `lost` (the `lost_switch` fault): the same reply, but no mode changes.
        """
        after: dict[str, str] = {}
        errors: list[dict[str, str]] = []
        with self._lock:
            state = self._states[key]
            modes, busy = state.modes, state.busy
            for symbol in symbols:
                current = modes.get(symbol)
                if current is None:
                    errors.append(
                        {"code": UNKNOWN_SYMBOL_CODE, "msg": UNKNOWN_SYMBOL_MSG, "symbol": symbol}
                    )
                elif symbol in busy:
                    errors.append({"code": BUSY_CODE, "msg": BUSY_MSG, "symbol": symbol})
                    after[symbol] = current
                else:
                    if not lost:
                        modes[symbol] = target
                    after[symbol] = target
        return {symbol: after[symbol] for symbol in sorted(after)}, errors

    def _switch_one(
        self, key: str, target: str, symbol: str, *, lost: bool = False
    ) -> tuple[str, str]:
        """Switch one symbol; returns ("200000", its mode now) or (error code, message).

        The same per-symbol rules as the batch: unknown -> 200003; busy -> 50002 and the
        mode is kept, even when it already is `target`. `lost`: success, no change.
        """
        with self._lock:
            state = self._states[key]
            current = state.modes.get(symbol)
            if current is None:
                return UNKNOWN_SYMBOL_CODE, UNKNOWN_SYMBOL_MSG
            if symbol in state.busy:
                return BUSY_CODE, BUSY_MSG
            if not lost:
                state.modes[symbol] = target
            return SUCCESS_CODE, target

    def _read_leverage(self, key: str, symbol: str) -> str | None:
        """The cross-margin leverage of `symbol` for one account, None if not a contract."""
        with self._lock:
            return self._states[key].leverages.get(symbol)

    def _change_leverage(
        self, key: str, symbol: str, leverage: str, *, lost: bool = False
    ) -> tuple[str, str]:
        """Set one symbol's leverage; ("200000", "") or (error code, message).

        `leverage` is a string of openapi.yaml's `Leverage` pattern (the app has validated
        it). Unknown symbol -> 200003; outside 1..max -> 100001, nothing changes. Neither the
        margin mode nor a busy symbol matters. `lost`: success, no change.
        """
        text = leverage_text(leverage)
        assert text is not None, "validated against openapi.yaml's Leverage pattern"
        with self._lock:
            state = self._states[key]
            if symbol not in state.leverages:
                return UNKNOWN_SYMBOL_CODE, UNKNOWN_SYMBOL_MSG
            maximum = self._max_leverage[symbol]
            if not MIN_LEVERAGE <= decimal.Decimal(text) <= maximum:
                return (
                    LEVERAGE_RANGE_CODE,
                    f"leverage: must be from {MIN_LEVERAGE} to {maximum} for {symbol}",
                )
            if not lost:
                state.leverages[symbol] = text
            return SUCCESS_CODE, ""

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests_seen += 1
            self._status_counts[request.status] += 1
            self._recent.append(request)
