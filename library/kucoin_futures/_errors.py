"""Every exception kucoin_futures raises, and the one function that maps a reply to one.

Hierarchy::

    KucoinError
    ├── ConfigurationError          bad credentials/settings (also a ValueError)
    ├── InvalidInputError           bad arguments, found before sending (also a ValueError)
    ├── TransportError              connection error, timeout, reset (chains the httpx error)
    ├── InvalidReplyError           a reply not of the documented shape (retryable: cut off)
    ├── DeadlineExceededError       the call's `deadline_s` passed: not sent (again)
    └── KucoinAPIError              KuCoin answered with a code other than "200000"
        ├── AuthenticationError     400001-400005, 400009
        ├── PermissionDeniedError   400006-400008, 400010, 411100
        ├── InvalidParameterError   100001, 200003, 300000, 400100, 404000
        ├── RateLimitError          429000, 200002, 1015 and any HTTP 429
        │   └── QuotaWaitError      not sent: the quota is used up for longer than the budget
        └── ServerError             500000 and any HTTP 5xx

An HTTP 429 or 5xx whose body is not KuCoin's JSON (a CDN's HTML page, a cut-off body) is
both a `RateLimitError`/`ServerError` and an `InvalidReplyError`, so it is caught by either.

`KucoinError` and `ConfigurationError` are the signing plugin's own (it raises them
itself); they are re-exported here so that users catch everything from one place.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping, Sequence
from typing import Final
from urllib.parse import quote, quote_plus

import attrs

from kucoin_futures_auth import REDACTED
from kucoin_futures_auth.errors import ConfigurationError, KucoinError

from ._reply import UnreadableReply, parse_json

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "DeadlineExceededError",
    "InvalidInputError",
    "InvalidParameterError",
    "InvalidReplyError",
    "KucoinAPIError",
    "KucoinError",
    "PermissionDeniedError",
    "QuotaWaitError",
    "RateLimit",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "error_from_reply",
]

SUCCESS_CODE = "200000"
EXCERPT_CHARS = 200
_MAX_HEADER_DIGITS = 15  # ms in a gw-ratelimit-* header: 15 digits is over 30,000 years


class InvalidInputError(KucoinError, ValueError):
    """Arguments that cannot make a valid request; nothing was sent."""


class TransportError(KucoinError):
    """The request or its reply was lost on the way: connection refused or reset, timeout.

    The httpx exception is chained as `__cause__`. `retryable` says whether trying again
    can help (a refused connection can; an unsupported URL scheme cannot).
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
        """Whether trying again can help (a refused connection can, a bad URL cannot)."""


class DeadlineExceededError(KucoinError):
    """The call's `deadline_s` passed before this request (or symbol) was done: nothing
    more was sent for it. `deadline_s` is the call's deadline; `last_error` the error of
    the last attempt, when one was sent and failed (also chained as `__cause__`)."""

    def __init__(
        self, message: str, *, deadline_s: float, last_error: KucoinError | None = None
    ) -> None:
        super().__init__(message)
        self.deadline_s = deadline_s
        """The call's deadline in seconds, as given or defaulted."""
        self.last_error = last_error
        """The error of the last attempt sent for this request, or None if none was sent."""
        self.__cause__ = last_error


@attrs.frozen
class RateLimit:
    """The `gw-ratelimit-*` values of a reply; None where the reply had no such header."""

    limit: int | None = None
    """`gw-ratelimit-limit`: the pool's quota (weight per window)."""
    remaining: int | None = None
    """`gw-ratelimit-remaining`: the weight left in the current window."""
    reset_ms: int | None = None
    """`gw-ratelimit-reset`: milliseconds until the window resets."""

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit:
        """The values of a reply's headers; a value that is not a plain number of at most 15
        digits counts as missing."""
        return cls(
            _int_or_none(headers.get("gw-ratelimit-limit")),
            _int_or_none(headers.get("gw-ratelimit-remaining")),
            _int_or_none(headers.get("gw-ratelimit-reset")),
        )

    @classmethod
    def from_raw_headers(cls, headers: Iterable[tuple[bytes, bytes]]) -> RateLimit:
        """`from_headers` in one pass over raw (name, value) pairs, as `httpx.Headers.raw`
        gives them (three lookups by name would walk them three times)."""
        found: dict[bytes, bytes] = {}
        for name, value in headers:
            if name[:13].lower() == b"gw-ratelimit-":
                found.setdefault(name.lower(), value)
        if not found:
            return _NO_RATE_LIMIT
        return cls(
            _int_or_none(found.get(b"gw-ratelimit-limit", b"").decode("latin-1") or None),
            _int_or_none(found.get(b"gw-ratelimit-remaining", b"").decode("latin-1") or None),
            _int_or_none(found.get(b"gw-ratelimit-reset", b"").decode("latin-1") or None),
        )

    def __str__(self) -> str:
        return (
            f"remaining {_dash(self.remaining)} of {_dash(self.limit)}, "
            f"resets in {_dash(self.reset_ms)} ms"
        )


_NO_RATE_LIMIT: Final = RateLimit()


class InvalidReplyError(KucoinError):
    """The reply is not of the documented shape: not JSON, cut off, wrong types.

    `excerpt` is the start of the body (at most 200 characters); `reason` says what is
    wrong with it. `retryable` is true for an HTTP 200 whose body is not JSON at all (cut
    off or replaced on the way), false otherwise (well-formed JSON of the wrong shape, a
    redirect or a block page would come back the same).
    """

    def __init__(self, status: int, excerpt: str, reason: str, *, retryable: bool = False) -> None:
        # Not super(): in the two-parent classes below, the next class would be an API error.
        Exception.__init__(
            self, f"invalid reply (HTTP {status}): {reason}; body starts {excerpt!r}"
        )
        self.status = status
        """The reply's HTTP status."""
        self.excerpt = excerpt
        """The start of the body, at most 200 characters, signed headers removed."""
        self.reason = reason
        """What is wrong with the reply."""
        self.retryable = retryable
        """True only for an HTTP 200 whose body is not JSON at all (cut off on the way)."""


class KucoinAPIError(KucoinError):
    """KuCoin refused the request with a `code` other than "200000".

    `code` and `msg` are KuCoin's (`code` is None when the reply carried none, as on a
    CDN's error page); `status` is the HTTP status; `rate_limit` the gw-ratelimit-* values.
    """

    def __init__(self, code: str | None, msg: str, status: int, rate_limit: RateLimit) -> None:
        text = f"KuCoin error {code}: {msg}" if code is not None else f"KuCoin error: {msg}"
        super().__init__(f"{text} (HTTP {status})")
        self.code = code
        """KuCoin's code (`"50002"`), or None when the reply carried none."""
        self.msg = msg
        """KuCoin's message (`"exist.order.or.position"`)."""
        self.status = status
        """The HTTP status of the reply (KuCoin sends some errors with 200)."""
        self.rate_limit = rate_limit
        """The reply's `gw-ratelimit-*` values."""


class AuthenticationError(KucoinAPIError):
    """The gateway did not accept the key, passphrase, signature or timestamp."""


class PermissionDeniedError(KucoinAPIError):
    """The key is valid but may not do this (IP whitelist, permission, frozen user)."""


class InvalidParameterError(KucoinAPIError):
    """KuCoin rejected the request's parameters or path."""


class RateLimitError(KucoinAPIError):
    """A rate limit was hit; `rate_limit.reset_ms` says how long to wait, when known."""

    def __init__(self, code: str | None, msg: str, status: int, rate_limit: RateLimit) -> None:
        super().__init__(code, msg, status, rate_limit)
        if rate_limit != RateLimit():
            self.args = (f"{self.args[0]} (rate limit: {rate_limit})",)
            """The message, with the rate-limit values appended."""


class QuotaWaitError(RateLimitError):
    """Nothing was sent: the pool's quota is used up (by earlier replies' account) for
    longer than the retry budget allows waiting. `rate_limit.reset_ms` is the wait left."""

    def __init__(self, pool: str, wait_ms: int) -> None:
        super().__init__(
            None,
            f"not sent: the {pool} rate-limit quota is used up for another {wait_ms} ms",
            429,
            RateLimit(reset_ms=wait_ms),
        )


class ServerError(KucoinAPIError):
    """KuCoin (or a proxy in front of it) failed: code 500000 or HTTP 5xx."""


class _UnreadableReply(InvalidReplyError):
    # Both kinds of error at once: the status says what happened, the body is unreadable.
    # (KucoinAPIError.__init__ is skipped on purpose: its attributes are set here.)
    def __init__(self, status: int, excerpt: str, reason: str, rate_limit: RateLimit) -> None:
        InvalidReplyError.__init__(self, status, excerpt, reason, retryable=True)
        self.code: str | None = None
        self.msg = reason
        self.rate_limit = rate_limit


class UnreadableRateLimitReply(_UnreadableReply, RateLimitError):
    """HTTP 429 whose body is not KuCoin's JSON (e.g. Cloudflare's 1015 page)."""


class UnreadableServerErrorReply(_UnreadableReply, ServerError):
    """HTTP 5xx whose body is not KuCoin's JSON (e.g. a CDN's HTML 502 page)."""


_FAMILIES: dict[str, type[KucoinAPIError]] = {
    **dict.fromkeys(
        ("400001", "400002", "400003", "400004", "400005", "400009"), AuthenticationError
    ),
    **dict.fromkeys(("400006", "400007", "400008", "400010", "411100"), PermissionDeniedError),
    **dict.fromkeys(("100001", "200003", "300000", "400100", "404000"), InvalidParameterError),
    **dict.fromkeys(("429000", "200002", "1015"), RateLimitError),
    "500000": ServerError,
}
_BY_STATUS: dict[int, type[KucoinAPIError]] = {
    400: InvalidParameterError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: InvalidParameterError,
}


def error_class_for(code: str | None, status: int) -> type[KucoinAPIError]:
    """The exception class for a KuCoin code and HTTP status (HTTP 429 always rate limit)."""
    if status == 429:
        return RateLimitError
    family = _FAMILIES.get(code) if code is not None else None
    if family is not None:
        return family
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, KucoinAPIError)


def excerpt(body: bytes, redact: Iterable[str] = (), content_type: str | None = None) -> str:
    """The start of a body as text, at most 200 characters, with `redact` values removed.

    Decoded by the charset `content_type` names, else by a byte-order mark, else as UTF-8,
    undecodable bytes replaced: a secret echoed in UTF-16 is found and removed too.
    """
    # Decode enough bytes that a redacted value starting inside the excerpt is whole.
    start = body[: EXCERPT_CHARS * 4 + 256]
    try:
        text = start.decode(_text_encoding(start, content_type), errors="replace")
    except LookupError:  # a charset Python does not know, or not a text encoding
        text = start.decode("utf-8", errors="replace")
    return redact_text(text, redact)[:EXCERPT_CHARS]


_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _text_encoding(body: bytes, content_type: str | None) -> str:
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip(' "'):
            return value.strip(' "')
    for mark, encoding in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return encoding
    return "utf-8"


def redact_text(text: str, redact: Iterable[str]) -> str:
    """`text` with each `redact` value replaced, as is and percent-encoded (as a URL
    quoting it would carry it)."""
    for value in redact:
        for form in redaction_forms(value):
            text = text.replace(form, REDACTED)
    return text


def redaction_forms(value: str) -> set[str]:
    """The forms in which a secret value can be echoed back: as is and percent-encoded."""
    return {value, quote(value, safe=""), quote_plus(value, safe="")} if value else set()


def error_from_reply(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    redact: Iterable[str] = (),
) -> KucoinError | None:
    """The error a reply stands for, or None if it is a success (HTTP 200, code "200000").

    Pure. `headers` must look up case-insensitively for the gw-ratelimit-* values (httpx's
    do). `redact` lists strings that must not be echoed back in the error (the request's
    signature headers, should a proxy's error page quote them).
    """
    redact = tuple(redact)
    try:
        reply = parse_json(body)
    except UnreadableReply as exc:
        return unreadable_reply(status, headers, body, redact, exc.reason, retryable=exc.retryable)
    reason = "not a KuCoin reply: expected an object with a string `code`"
    code = reply.get("code") if isinstance(reply, dict) else None
    if isinstance(code, str) and code != SUCCESS_CODE:
        msg = reply.get("msg")
        message = redact_text(msg if isinstance(msg, str) else "", redact)
        return error_class_for(code, status)(code, message, status, RateLimit.from_headers(headers))
    if code == SUCCESS_CODE:
        if status == 200:
            return None
        reason = f'code "{SUCCESS_CODE}" with HTTP status {status}'
    # Well-formed JSON of the wrong shape: a redirect or a block page would come back the same.
    return unreadable_reply(status, headers, body, redact, reason, retryable=False)


def unreadable_reply(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    redact: Sequence[str],
    reason: str,
    *,
    retryable: bool,
) -> InvalidReplyError:
    """The error for an unreadable reply. `retryable` applies to an HTTP 200 only: a 3xx/4xx
    page (redirect, WAF block) would come back the same, a 429 or 5xx is retried as such."""
    reason = redact_text(reason, redact)
    shown = excerpt(body, redact, headers.get("content-type"))
    if status == 429:
        return UnreadableRateLimitReply(status, shown, reason, RateLimit.from_headers(headers))
    if status >= 500:
        return UnreadableServerErrorReply(status, shown, reason, RateLimit.from_headers(headers))
    if 300 <= status < 400:
        location = redact_text(headers.get("location", "?"), redact)[:EXCERPT_CHARS]
        reason = f"redirect to {location!r} not followed ({reason})"
    return InvalidReplyError(status, shown, reason, retryable=retryable and status == 200)


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    # Length-capped: a hostile header of thousands of digits must not reach int(), which
    # refuses more than 4300 with a bare ValueError.
    if value.isascii() and value.isdigit() and len(value) <= _MAX_HEADER_DIGITS:
        return int(value)
    return None


def _dash(value: int | None) -> str:
    return "?" if value is None else str(value)
