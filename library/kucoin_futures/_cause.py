"""Why a symbol is not as asked, as a machine-readable reason, and what that makes the call.

The rule the CLI's exit codes follow (and a bot may follow too): a failure is a symbol's
own only when KuCoin said so about that one symbol (busy `50002`, an unknown symbol
`200003`, an entry of a batch reply's `errors`, a read-back in another mode). Everything
else (network, authentication, a whole request refused, 5xx after retries, an invalid
reply, the deadline, an error class this version does not know) is the whole call's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final


class Reason(enum.StrEnum):
    """Why a symbol's row is not as asked (`SymbolReport.reason`, `"reason"` in JSON)."""

    # The symbol's own: KuCoin answered, about this symbol.
    BUSY = "busy"
    """50002: an open order or position keeps the symbol's mode."""
    UNKNOWN_SYMBOL = "unknown_symbol"
    """200003: KuCoin does not know the symbol."""
    REFUSED = "refused"
    """KuCoin refused this symbol alone: the batch reply lists it in `errors` with another
    code, or the leverage value asked for was refused (100001, above the maximum; or a
    change answered `data: false`). Any other refusal of a leverage change is the
    request's (`REQUEST_REFUSED`)."""
    MISMATCH = "mismatch"
    """The reply or the read-back shows another mode than the one asked for."""
    # The whole call's.
    NOT_IN_REPLY = "not_in_reply"
    """The batch reply does not mention the symbol."""
    NOT_ATTEMPTED = "not_attempted"
    """Nothing was sent for it: the call ended before (see the report's `error`)."""
    TRANSPORT = "transport"
    """The network failed (`TransportError`) after the retries."""
    AUTHENTICATION = "authentication"
    """The gateway refused the key, passphrase, signature or timestamp."""
    PERMISSION = "permission"
    """The key may not do this (IP whitelist, permission, frozen user)."""
    RATE_LIMIT = "rate_limit"
    """A rate limit that outlasted the retry budget."""
    SERVER_ERROR = "server_error"
    """A 5xx or `500000` after the retries."""
    INVALID_REPLY = "invalid_reply"
    """A reply not of the documented shape, or past the bounds."""
    REQUEST_REFUSED = "request_refused"
    """KuCoin refused the whole request (e.g. 400100 on a batch)."""
    DEADLINE = "deadline"
    """The call's `deadline_s` passed (`DeadlineExceededError`)."""
    ERROR = "error"
    """An error this version does not classify."""

    @property
    def is_symbol_own(self) -> bool:
        """True for a reason about the symbol alone (busy, unknown, refused, mismatch);
        False for one that ended or spoilt the whole call."""
        return self in SYMBOL_REASONS


SYMBOL_REASONS: Final = frozenset(
    {Reason.BUSY, Reason.UNKNOWN_SYMBOL, Reason.REFUSED, Reason.MISMATCH}
)
_BY_CODE: Final = {"50002": Reason.BUSY, "200003": Reason.UNKNOWN_SYMBOL}
# By class name along the error's MRO, nearest first: a class added later (the HTTP
# layer's deadline error) is recognised by its name without importing it here.
_BY_CLASS: Final = {
    "DeadlineExceededError": Reason.DEADLINE,
    "TransportError": Reason.TRANSPORT,
    "AuthenticationError": Reason.AUTHENTICATION,
    "PermissionDeniedError": Reason.PERMISSION,
    "InvalidReplyError": Reason.INVALID_REPLY,
    "RateLimitError": Reason.RATE_LIMIT,
    "ServerError": Reason.SERVER_ERROR,
    "KucoinAPIError": Reason.REQUEST_REFUSED,
}


def failure_reason(error: BaseException) -> Reason:
    """The reason an error of one symbol's read or a whole request stands for."""
    code = getattr(error, "code", None)
    if isinstance(code, str) and code in _BY_CODE:
        return _BY_CODE[code]
    for cls in type(error).__mro__:
        reason = _BY_CLASS.get(cls.__name__)
        if reason is not None:
            return reason
    return Reason.ERROR


def batch_entry_reason(code: str | None) -> Reason:
    """The reason of an entry in a batch reply's `errors` (always about its one symbol)."""
    return _BY_CODE.get(code, Reason.REFUSED) if code is not None else Reason.REFUSED


class CallResult(enum.IntEnum):
    """How a call ended as a whole; the values are the CLI's exit codes."""

    AS_ASKED = 0
    """Every symbol as asked (a dry run: every symbol read)."""
    SYMBOLS_FAILED = 1
    """KuCoin answered, and some symbols failed on their own."""
    WHOLE_CALL_FAILED = 3
    """The call as a whole could not be made, or ended part-way."""


def call_result(reasons: Iterable[Reason | None], *, ended_early: bool = False) -> CallResult:
    """`WHOLE_CALL_FAILED` if the call ended early or any reason is not a symbol's own,
    else `SYMBOLS_FAILED` if any symbol has a reason, else `AS_ASKED`."""
    result = CallResult.WHOLE_CALL_FAILED if ended_early else CallResult.AS_ASKED
    for reason in reasons:
        if reason is None:
            continue
        if not reason.is_symbol_own:
            return CallResult.WHOLE_CALL_FAILED
        result = max(result, CallResult.SYMBOLS_FAILED)
    return result
