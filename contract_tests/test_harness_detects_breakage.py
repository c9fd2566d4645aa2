"""Self-tests of the harness: the CI run must fail against a mock that breaks the contract.

Each variant below is the real mock with one deliberate bug, made here in test code (a
permissive verifier, ASGI middleware rewriting the mock's replies, or one of the mock's own
faults); the shipped mock has none of them. Each must be reported by exactly the checks
that guard that part of the contract, while the unbroken mock passes the whole run
(`test_schemathesis_suite.py`, over every phase). Bugs of single replies are run through
the examples and coverage phases, which find every one of them (measured: fuzzing alone
misses two, and adding it to these runs tripled their time without changing a verdict);
one more test proves that what the fuzzing phase finds fails a run too. Bugs that only
show across calls run through the stateful phase alone.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import attrs
import pytest

from kucoin_futures_auth import Credentials
from kucoin_futures_auth.verify import REQUIRED_HEADERS, VerificationFailure, Verified
from kucoin_futures_mock import DEMO_CREDENTIALS, MockKucoin, create_app

from ._mocks import fresh_mock
from ._stateful import BATCH_OPERATION, READ_OPERATION
from ._stateful_leverage import CHANGE_OPERATION, LEVERAGE_READ_OPERATION
from ._suite import SuiteResult, run_suite

BATCH_PATH = BATCH_OPERATION.partition(" ")[2]
READ_PATH = READ_OPERATION.partition(" ")[2]
LEVERAGE_CHANGE_PATH = CHANGE_OPERATION.partition(" ")[2]

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (request JSON or None, reply status, reply JSON) -> (status, reply JSON) to send instead.
ReplyRewrite = Callable[[Any, int, Any], tuple[int, Any]]

MODES = ("ISOLATED", "CROSS")
# The phases every bug of a single reply is run through.
DETECTING_PHASES = ("examples", "coverage")


class RewriteReplies:
    """ASGI middleware: lets the mock answer, then rewrites its JSON replies (on `paths`
    only, when given)."""

    def __init__(
        self, app: ASGIApp, rewrite: ReplyRewrite, paths: frozenset[str] | None = None
    ) -> None:
        self._app = app
        self._rewrite = rewrite
        self._paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            self._paths is not None and scope["path"] not in self._paths
        ):
            await self._app(scope, receive, send)
            return
        body = await _read_request_body(receive)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._app(scope, replay, capture)
        status: int = start["status"]
        reply = b"".join(chunks)
        reply_document = _json_or_none(reply)
        if reply_document is not None:
            status, reply_document = self._rewrite(_json_or_none(body), status, reply_document)
            reply = json.dumps(reply_document, separators=(",", ":")).encode()
        headers = [
            (name, value) for name, value in start["headers"] if name.lower() != b"content-length"
        ]
        headers.append((b"content-length", b"%d" % len(reply)))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": reply})


class DropRateLimitHeaders:
    """ASGI middleware: the mock's replies without their gw-ratelimit-* headers."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def strip(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message["headers"]
                message = {
                    **message,
                    "headers": [(k, v) for k, v in headers if not k.startswith(b"gw-ratelimit")],
                }
            await send(message)

        await self._app(scope, receive, strip)


async def _read_request_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


# ---- the bugs ---------------------------------------------------------------------------


def accept_any_signature(*_request: object, **_context: object) -> Verified:
    return Verified(DEMO_CREDENTIALS)


def require_headers_only(
    headers: Mapping[str, str], *_request: object, **_context: object
) -> Verified | VerificationFailure:
    for name in REQUIRED_HEADERS:
        if not headers.get(name):
            return VerificationFailure("400001", f"Missing header {name}")
    return Verified(DEMO_CREDENTIALS)


def code_as_number(request: Any, status: int, reply: Any) -> tuple[int, Any]:
    if isinstance(reply, dict) and isinstance(reply.get("code"), str):
        reply["code"] = int(reply["code"])
    return status, reply


def lowercase_modes(request: Any, status: int, reply: Any) -> tuple[int, Any]:
    modes = _data(reply).get("marginMode")
    if isinstance(modes, dict):
        for symbol, mode in modes.items():
            modes[symbol] = mode.lower()
    return status, reply


def server_error_on_empty_symbols(request: Any, status: int, reply: Any) -> tuple[int, Any]:
    if status == 400 and isinstance(request, dict) and request.get("symbols") == []:
        return 500, {"code": "500000", "msg": "Internal Server Error"}
    return status, reply


def no_errors_list(request: Any, status: int, reply: Any) -> tuple[int, Any]:
    _data(reply).pop("errors", None)
    return status, reply


def accept_invalid_margin_mode(request: Any, status: int, reply: Any) -> tuple[int, Any]:
    if (
        status == 400
        and isinstance(request, dict)
        and request.get("marginMode", MODES[0]) not in MODES
    ):
        if "symbols" in request:  # the batch: nothing switched, nothing failed
            return 200, {"code": "200000", "data": {"marginMode": {}, "errors": []}}
        # The single switch: "switched", in a reply of the right shape.
        symbol = request.get("symbol")
        data = {"symbol": symbol if isinstance(symbol, str) else "XBTUSDTM", "marginMode": "CROSS"}
        return 200, {"code": "200000", "data": data}
    return status, reply


def _data(reply: Any) -> dict[str, Any]:
    data = reply.get("data") if isinstance(reply, dict) else None
    return data if isinstance(data, dict) else {}


@attrs.frozen
class BrokenMock:
    """A broken mock, and exactly the checks that must report it (the first guards it)."""

    name: str
    build: Callable[[MockKucoin], Any]
    caught_by: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


def _rewritten(rewrite: ReplyRewrite) -> Callable[[MockKucoin], Any]:
    return lambda mock: RewriteReplies(create_app(mock), rewrite)


VARIANTS = (
    BrokenMock(
        "signature check disabled",
        lambda mock: create_app(mock, verify=accept_any_signature),
        # The unsigned copy of a signed request is accepted; so are requests that lack a
        # KC-API-* header, negative cases that should have been refused, and forged ones.
        caught_by=(
            "ignored_auth",
            "missing_required_header",
            "negative_data_rejection",
            "forged_credentials_rejected",
        ),
    ),
    BrokenMock(
        "headers required but never verified",
        lambda mock: create_app(mock, verify=require_headers_only),
        # Every KC-API-* header must be there, so schemathesis' own auth checks pass: only
        # our forged requests show that nothing is verified.
        caught_by=("forged_credentials_rejected",),
    ),
    BrokenMock(
        "code sent as a number",
        _rewritten(code_as_number),
        caught_by=("response_schema_conformance",),
    ),
    BrokenMock(
        "lowercase mode in the map",
        _rewritten(lowercase_modes),
        caught_by=("response_schema_conformance",),
    ),
    BrokenMock(
        "500 on an empty symbol list",
        _rewritten(server_error_on_empty_symbols),
        # A 5xx is no rejection either: the configuration accepts only 400/401/429.
        caught_by=("not_a_server_error", "negative_data_rejection"),
    ),
    BrokenMock(
        "reply missing errors",
        _rewritten(no_errors_list),
        caught_by=("response_schema_conformance",),
    ),
    BrokenMock(
        "200 for an invalid marginMode",
        _rewritten(accept_invalid_margin_mode),
        caught_by=("negative_data_rejection",),
    ),
)


# ---- bugs that only show across calls (the stateful phase) --------------------------------


def reads_ignore_switches(mock: MockKucoin) -> Any:
    """The read answers every symbol's starting mode, whatever was switched since."""
    starting = mock.modes()

    def rewrite(request: Any, status: int, reply: Any) -> tuple[int, Any]:
        data = _data(reply)
        if data.get("symbol") in starting:
            data["marginMode"] = starting[data["symbol"]]
        return status, reply

    return RewriteReplies(create_app(mock), rewrite, paths=frozenset({READ_PATH}))


class StaleBatchReplies:
    """The batch switches as it should, but its reply shows each mode as it was before."""

    def __init__(self, mock: MockKucoin) -> None:
        self._mock = mock
        self._app = create_app(mock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != BATCH_PATH:
            await self._app(scope, receive, send)
            return
        before = self._mock.modes()

        def rewrite(request: Any, status: int, reply: Any) -> tuple[int, Any]:
            modes = _data(reply).get("marginMode")
            if isinstance(modes, dict):
                for symbol in modes:
                    modes[symbol] = before.get(symbol, modes[symbol])
            return status, reply

        await RewriteReplies(self._app, rewrite)(scope, receive, send)


class LostLeverageChanges:
    """A leverage change replies `data: true` as it should, but the symbol keeps the
    leverage it had before."""

    def __init__(self, mock: MockKucoin) -> None:
        self._mock = mock
        self._app = create_app(mock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != LEVERAGE_CHANGE_PATH:
            await self._app(scope, receive, send)
            return
        before = self._mock.leverages()
        await self._app(scope, receive, send)
        for symbol, leverage in before.items():
            if self._mock.leverage_of(symbol) != leverage:
                self._mock.set_leverage(symbol, leverage)


def every_switch_lost(mock: MockKucoin) -> Any:
    mock.inject("lost_switch")
    return create_app(mock)


STATEFUL_VARIANTS = (
    BrokenMock("read ignores switches", reads_ignore_switches, caught_by=("read_after_switch",)),
    BrokenMock(
        "batch reply disagrees with the state", StaleBatchReplies, caught_by=("read_after_switch",)
    ),
    BrokenMock(
        "leverage change lost", LostLeverageChanges, caught_by=("read_after_leverage_change",)
    ),
    # The fault loses the leverage changes too (the mock's `lost_switch` covers both).
    BrokenMock(
        "lost_switch fault",
        every_switch_lost,
        caught_by=("read_after_switch", "read_after_leverage_change"),
    ),
)
CONSISTENCY_READS = frozenset({READ_OPERATION, LEVERAGE_READ_OPERATION})


WRONG_SECRET = Credentials(DEMO_CREDENTIALS.key, "not-the-secret", DEMO_CREDENTIALS.passphrase)
NO_RATE_LIMIT_HEADERS = "no rate-limit headers"
WRONG_SIGNING = "signed with the wrong secret"


def unit_run(name: str, phases: tuple[str, ...] = DETECTING_PHASES) -> SuiteResult:
    """The run one self-test checks, by name.

    Variants of single replies get `DETECTING_PHASES` (or `phases`); those of
    `STATEFUL_VARIANTS` the stateful phase alone.
    """
    stateful = {variant.name: variant for variant in STATEFUL_VARIANTS}
    if name in stateful:
        app = stateful[name].build(fresh_mock())
        return run_suite(DEMO_CREDENTIALS, app=app, phases=["stateful"])
    by_name = {variant.name: variant for variant in VARIANTS}
    if name == NO_RATE_LIMIT_HEADERS:
        app, credentials = DropRateLimitHeaders(create_app(fresh_mock())), DEMO_CREDENTIALS
    elif name == WRONG_SIGNING:
        app, credentials = create_app(fresh_mock()), WRONG_SECRET
    else:
        app, credentials = by_name[name].build(fresh_mock()), DEMO_CREDENTIALS
    return run_suite(credentials, app=app, phases=phases)


@pytest.mark.parametrize("variant", STATEFUL_VARIANTS, ids=str)
def test_inconsistency_across_calls_fails_the_stateful_phase(variant: BrokenMock) -> None:
    result = unit_run(variant.name)
    assert result.failed_checks == frozenset(variant.caught_by), result.summary()
    assert {failure.phase for failure in result.failures} == {"stateful"}
    assert {failure.operation for failure in result.failures} <= CONSISTENCY_READS
    assert not result.errors, result.summary()
    # Found by comparing reads with changes, not by running out of pairs.
    assert result.stateful_pairs >= 1, result.summary()
    assert result.leverage_pairs >= 1, result.summary()


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
def test_breakage_is_detected_by_its_check(variant: BrokenMock) -> None:
    result = unit_run(variant.name)
    assert not result.passed
    assert result.failed_checks == frozenset(variant.caught_by), result.summary()
    assert not result.errors, result.summary()


def test_what_the_fuzzing_phase_finds_fails_the_run_too() -> None:
    result = unit_run("reply missing errors", phases=("fuzzing",))
    assert result.failed_checks == {"response_schema_conformance"}, result.summary()
    assert {failure.phase for failure in result.failures} == {"fuzzing"}
    assert not result.errors, result.summary()


def test_replies_without_rate_limit_headers_are_detected() -> None:
    result = unit_run(NO_RATE_LIMIT_HEADERS)
    assert result.failed_checks == {"response_headers_conformance"}, result.summary()


def test_a_rate_limited_run_fails_instead_of_testing_the_quota() -> None:
    # [warnings] fail-on "rate_limited": the pytest route reports no warnings, so a check
    # fails the run. A quota of 20 weight lets 10 requests through.
    app = create_app(MockKucoin(quota=20))
    result = run_suite(DEMO_CREDENTIALS, app=app, phases=["examples"])
    assert not result.passed
    assert "not_rate_limited" in result.failed_checks, result.summary()


def test_a_run_that_signs_wrongly_fails_instead_of_passing_on_401s() -> None:
    # The other side of the harness: if our signing broke, every valid request would get a
    # 401. positive_data_acceptance accepts only 200, so the run fails.
    result = unit_run(WRONG_SIGNING)
    assert result.failed_checks == {"positive_data_acceptance"}, result.summary()
