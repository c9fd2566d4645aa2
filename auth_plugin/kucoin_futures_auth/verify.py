"""Checking a signed request the way KuCoin's gateway does, for the mock server.

Uses `kucoin_headers`, the same function that signs: the algorithm exists once.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Protocol

import attrs

from ._signing import SUPPORTED_KEY_VERSIONS, Credentials, kucoin_headers

REQUIRED_HEADERS = (
    "KC-API-KEY",
    "KC-API-SIGN",
    "KC-API-TIMESTAMP",
    "KC-API-PASSPHRASE",
    "KC-API-KEY-VERSION",
)
MAX_CLOCK_SKEW_MS = 5000


@attrs.frozen
class VerificationFailure:
    """Why the gateway refused a request: KuCoin's code and message (HTTP 401)."""

    code: str
    """KuCoin's error code, e.g. `400005` for an invalid signature."""
    msg: str
    """KuCoin's message for it, e.g. `Invalid KC-API-SIGN`."""


@attrs.frozen
class Verified:
    """The request is authentic; `credentials` are the account it was signed for."""

    credentials: Credentials
    """The credentials `lookup` returned for the request's KC-API-KEY."""


class Verifier(Protocol):
    """What the mock calls to check a request: `verify_request`, or a test's stand-in."""

    def __call__(
        self,
        headers: Mapping[str, str],
        method: str,
        path_with_query: str,
        body: bytes,
        *,
        lookup: Callable[[str], Credentials | None],
        now_ms: int,
    ) -> Verified | VerificationFailure: ...


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path_with_query: str,
    body: bytes,
    *,
    lookup: Callable[[str], Credentials | None],
    now_ms: int,
) -> Verified | VerificationFailure:
    """Check the KC-API-* headers of one request, in the order KuCoin's gateway reports.

    `headers` must look up case-insensitively (Starlette's and httpx's do);
    `path_with_query` is the decoded form (see `signing_path`); `lookup` maps an API
    key to its credentials, or None if the key does not exist. Headers other than
    KC-API-* (User-Agent, partner headers, ...) are ignored, as KuCoin ignores them.
    """
    for name in REQUIRED_HEADERS:
        if not headers.get(name):
            return VerificationFailure("400001", f"Missing header {name}")
    timestamp = headers["KC-API-TIMESTAMP"]
    # isascii(): str.isdigit() also accepts digits such as "²" that int() refuses; the
    # length cap keeps int() away from absurd inputs (ms timestamps have 13 digits).
    if (
        not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16)
        or abs(int(timestamp) - now_ms) > MAX_CLOCK_SKEW_MS
    ):
        return VerificationFailure("400002", "Invalid KC-API-TIMESTAMP")
    credentials = lookup(headers["KC-API-KEY"])
    if credentials is None:
        return VerificationFailure("400003", "KC-API-KEY not exists")
    version = headers["KC-API-KEY-VERSION"]
    if version not in {str(v) for v in SUPPORTED_KEY_VERSIONS} or version != str(
        credentials.key_version
    ):
        return VerificationFailure("400009", "Invalid KC-API-KEY-VERSION")
    expected = kucoin_headers(credentials, method, path_with_query, body, int(timestamp))
    if not _same(headers["KC-API-PASSPHRASE"], expected["KC-API-PASSPHRASE"]):
        return VerificationFailure("400004", "Invalid KC-API-PASSPHRASE")
    if not _same(headers["KC-API-SIGN"], expected["KC-API-SIGN"]):
        return VerificationFailure("400005", "Invalid KC-API-SIGN")
    return Verified(credentials)


def _same(received: str, expected: str) -> bool:
    # Constant-time, and on bytes: compare_digest refuses str with non-ASCII characters,
    # which a hostile client can send.
    return hmac.compare_digest(received.encode("utf-8", "surrogateescape"), expected.encode())
