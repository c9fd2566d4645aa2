"""Fault injection: what can go wrong, when it fires, and the `--fault` syntax.

A rule fires for the next `count` requests, or for each request with probability `rate`
(drawn from the mock's seeded RNG, so a run repeats), or, with neither, for every request
until cleared. Rules are kept in the order they were injected.

Per request, every active *modifier* (latency, clock_skew) that fires applies, and at most
one *outcome* (a replaced reply or a broken delivery) applies: the first rule, in injection
order, that fires. Later outcome rules are not consulted for that request, so their counts
are kept: `http_503` x2 then `business_error` x1 gives 503, 503, then the business error.

Which requests consult which rules: modifiers apply to every operation; outcomes apply to
the three signed operations only (read, switch, batch switch), so the public timestamp
endpoint stays usable for clock sync while a test fails the calls it is about.

`clock_skew` models a server clock that is off for its count of *signed* requests: only
those use up its count. The timestamp endpoint reports the skewed clock while the rule is
armed, without using it up, so a client that calibrates after a 400002 calibrates to the
clock its retry is judged by, whatever the count.

`lost_switch` is neither: it is consulted only by a margin-mode switch (single or batch) or
a cross-margin leverage change that has passed every check and is about to change state, so
a read, a refused switch or a replaced reply never uses up its count. It combines with the
modifiers and with `reset` / `truncated`.
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Mapping
from typing import Final

import attrs


class Fault(enum.StrEnum):
    """Fault kinds. Values are the names used by `MockKucoin.inject` and `--fault`."""

    LATENCY = "latency"
    """Delay the reply by `ms` milliseconds (default 100)."""
    CLOCK_SKEW = "clock_skew"
    """A server clock off by `ms` (default 10000) for the next `count` signed requests: their
    5 s signature window is measured against it. The timestamp endpoint reports the skewed
    clock while the fault is armed, without using up its count."""
    HTTP_500 = "http_500"
    """HTTP 500 `{"code":"500000","msg":"Internal Server Error"}` after the gateway checks."""
    HTTP_503 = "http_503"
    """HTTP 503 `{"code":"503000","msg":"Service Unavailable"}` after the gateway checks."""
    HTML_502 = "html_502"
    """HTTP 502 with a `text/html` error page, as a CDN sends it before the gateway."""
    RESET = "reset"
    """Process the request, send the headers and half the body, then drop the connection."""
    TRUNCATED = "truncated"
    """Process the request and send a reply whose JSON body is cut in half (framing intact)."""
    BURST_429 = "burst_429"
    """HTTP 429 `429000` from the gateway, `gw-ratelimit-reset` = `reset_ms` (default 1000)."""
    BUSINESS_ERROR = "business_error"
    """HTTP 200 `{"code": code, "msg": msg}` (defaults `300000`, `request parameter illegal`)."""
    LOST_SWITCH = "lost_switch"
    """A switch (single or batch) replies as if it had worked but changes nothing: the reply
    is what the real switch would have sent (known, non-busy symbols in the target mode; busy
    and unknown ones failing as usual), and every mode stays as it was. What `--verify`
    (reading the modes back) exists to catch. Reads never consume it."""


# Replies from behind the gateway: the request was authenticated and charged, state untouched.
BACKEND_OUTCOMES: Final = frozenset({Fault.HTTP_500, Fault.HTTP_503, Fault.BUSINESS_ERROR})
# The request is processed normally; its reply is damaged on the way out.
DELIVERY_OUTCOMES: Final = frozenset({Fault.RESET, Fault.TRUNCATED})
# Consulted by a switch at the moment it would change state, and by nothing else.
SWITCH_FAULTS: Final = frozenset({Fault.LOST_SWITCH})

_DEFAULT_PARAMS: Final[Mapping[Fault, Mapping[str, int | str]]] = {
    Fault.LATENCY: {"ms": 100},
    Fault.CLOCK_SKEW: {"ms": 10_000},
    Fault.BURST_429: {"reset_ms": 1000},
    Fault.BUSINESS_ERROR: {"code": "300000", "msg": "request parameter illegal"},
}
_MAX_MS: Final = 86_400_000
_ERROR_CODE = re.compile(r"[0-9]+")
_FAULT_SPEC = re.compile(r"\s*(\w+)\s*(?:[:,](.*))?", re.DOTALL)


def _checked_params(kind: Fault, given: Mapping[str, object]) -> dict[str, int | str]:
    defaults = _DEFAULT_PARAMS.get(kind, {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        allowed = ", ".join(sorted(defaults)) or "none"
        raise ValueError(f"fault {kind}: unknown parameter {unknown[0]!r} (allowed: {allowed})")
    params: dict[str, int | str] = dict(defaults)
    for name, value in given.items():
        # Values come as text from --fault, as JSON values from the admin API.
        if isinstance(value, bool) or not isinstance(value, int | str):
            wanted = "an integer" if isinstance(defaults[name], int) else "a string"
            raise ValueError(f"fault {kind}: {name} must be {wanted}")
        if isinstance(defaults[name], int):
            try:
                params[name] = int(value)
            except ValueError:  # also a number too long for int()
                raise ValueError(f"fault {kind}: {name} must be an integer") from None
        else:
            params[name] = str(value)
    for name, value in params.items():
        # A day: more than any test waits, and within what a timer can be set to.
        low = -_MAX_MS if kind is Fault.CLOCK_SKEW else 0
        if isinstance(value, int) and not low <= value <= _MAX_MS:
            raise ValueError(f"fault {kind}: {name} must be between {low} and {_MAX_MS}")
    if kind is Fault.BUSINESS_ERROR and (
        not _ERROR_CODE.fullmatch(str(params["code"])) or params["code"] == "200000"
    ):
        raise ValueError(f"fault {kind}: code must be digits and not 200000")
    return params


@attrs.define
class FaultRule:
    """One injected fault: its kind, trigger and parameters."""

    kind: Fault
    count: int | None
    rate: float | None
    params: dict[str, int | str]

    @classmethod
    def create(
        cls, kind: str, *, count: int | None, rate: float | None, params: Mapping[str, object]
    ) -> FaultRule:
        try:
            fault = Fault(kind)
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise ValueError(f"unknown fault kind {kind!r} (known: {known})") from None
        if count is not None and rate is not None:
            raise ValueError(f"fault {fault}: give count or rate, not both")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ValueError(f"fault {fault}: count must be an integer >= 1")
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0
        ):
            raise ValueError(f"fault {fault}: rate must be a number between 0 and 1")
        return cls(
            fault, count, None if rate is None else float(rate), _checked_params(fault, params)
        )

    def fires(self, rng: random.Random) -> bool:
        """Whether this rule applies to the current request (consumes a count if so)."""
        if self.count is not None:
            self.count -= 1
            return True
        return self.shows(rng)

    def shows(self, rng: random.Random) -> bool:
        """Whether this rule applies to the current request, leaving its count as it is."""
        if self.rate is not None:
            return rng.random() < self.rate
        return True

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.count <= 0


@attrs.frozen
class FaultDraw:
    """What the faults decided for one request."""

    latency_ms: int = 0
    skew_ms: int = 0
    outcome: Fault | None = None
    params: Mapping[str, int | str] = attrs.field(factory=dict)


NO_FAULTS: Final = FaultDraw()


def draw(rules: list[FaultRule], rng: random.Random, *, signed: bool) -> FaultDraw:
    """Decide the faults for one request; removes rules whose count ran out.

    `signed` is True for the signed operations (outcomes apply, `clock_skew` counts down),
    False for the public timestamp endpoint (modifiers only; `clock_skew` shows, unspent).
    """
    latency_ms = skew_ms = 0
    outcome: FaultRule | None = None
    for rule in rules:
        if rule.kind is Fault.LATENCY:
            if rule.fires(rng):
                latency_ms += int(rule.params["ms"])
        elif rule.kind is Fault.CLOCK_SKEW:
            if rule.fires(rng) if signed else rule.shows(rng):
                skew_ms += int(rule.params["ms"])
        elif rule.kind in SWITCH_FAULTS:
            continue
        elif signed and outcome is None and rule.fires(rng):
            outcome = rule
    rules[:] = [rule for rule in rules if not rule.exhausted]
    if outcome is None:
        return FaultDraw(latency_ms, skew_ms)
    return FaultDraw(latency_ms, skew_ms, outcome.kind, dict(outcome.params))


def draw_lost_switch(rules: list[FaultRule], rng: random.Random) -> bool:
    """Whether the switch about to change state is lost; removes rules whose count ran out.

    The first `lost_switch` rule (in injection order) that fires decides; later ones keep
    their counts.
    """
    lost = False
    for rule in rules:
        if rule.kind in SWITCH_FAULTS and rule.fires(rng):
            lost = True
            break
    if lost:
        rules[:] = [rule for rule in rules if not rule.exhausted]
    return lost


def parse_fault_spec(text: str) -> tuple[str, int | None, float | None, dict[str, str]]:
    """Parse `KIND[:count=N|rate=P][,param=value]...` into (kind, count, rate, params).

    Examples: `http_503:count=2`, `latency:rate=0.25,ms=300`, `clock_skew,ms=-8000`,
    `business_error:count=1,code=300000,msg=request parameter illegal`.
    """
    match = _FAULT_SPEC.fullmatch(text)
    if match is None:
        raise ValueError(f"fault {text!r}: expected KIND[:count=N|rate=P][,param=value]...")
    kind, rest = match.group(1), match.group(2) or ""
    count: int | None = None
    rate: float | None = None
    params: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"fault {text!r}: expected name=value, got {item!r}")
        value = value.strip()
        try:
            if name == "count":
                count = int(value)
            elif name == "rate":
                rate = float(value)
            else:
                params[name] = value
        except ValueError:
            raise ValueError(f"fault {text!r}: {name} must be a number") from None
    return kind, count, rate, params
