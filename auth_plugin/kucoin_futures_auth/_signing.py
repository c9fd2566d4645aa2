"""The one implementation of KuCoin's request signature.

Every adapter (httpx auth, requests auth, the mock's verifier) calls `kucoin_headers`;
nothing else in the codebase computes an HMAC over a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Mapping
from typing import NoReturn
from urllib.parse import unquote, unquote_plus

import attrs

from .errors import ConfigurationError

SUPPORTED_KEY_VERSIONS = (2, 3)
SECRET_HEADERS = ("KC-API-SIGN", "KC-API-PASSPHRASE", "KC-API-PARTNER-SIGN")
"""The headers `kucoin_headers` writes whose values let their holder use the key within
the signing window: every excerpt, log, report or listing shows them as `REDACTED`."""
REDACTED = "[redacted]"
"""What a secret header's value is replaced with wherever one would be shown."""


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def _mask(value: str) -> str:
    # The API key is an identifier, not a secret, but logs are shared: show enough to tell
    # two keys apart and no more.
    return value[:4] + "…" if len(value) > 4 else "…"


def _key_version(value: object) -> int:
    # Never echo the value: a passphrase passed in the wrong position would be shown.
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
    ):
        raise ConfigurationError("KuCoin API key version must be the integer 3 or 2")
    version = int(value)
    if version not in SUPPORTED_KEY_VERSIONS:
        raise ConfigurationError(
            f"unsupported KuCoin API key version {version}: use 3 (current keys) or 2"
        )
    return version


def _header_safe(name: str, value: object) -> None:
    # These travel as header values: printable ASCII, no surrounding spaces (a pasted
    # newline would otherwise fail deep inside the HTTP library, as a network error).
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"KuCoin credentials: {name} must be a non-empty string")
    if not (value.isascii() and value.isprintable()) or value.strip() != value:
        raise ConfigurationError(
            f"KuCoin credentials: {name} must be printable ASCII without surrounding spaces"
        )


def _utf8(name: str, value: object) -> bytes:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"KuCoin credentials: {name} must be a non-empty string")
    try:
        return value.encode("utf-8")
    except UnicodeError:
        # `from None`: the UnicodeEncodeError carries the whole value.
        raise ConfigurationError(f"KuCoin credentials: {name} is not valid text") from None


@attrs.frozen(repr=False)
class Credentials:
    """An API key with its secret and passphrase, plus optional broker (partner) fields.

    The secret and passphrase never appear in `repr`, `str`, logs or exceptions, and the
    object refuses to be pickled (a pickle is a plain-text copy of the secret).
    """

    # repr=False on each secret field too: pretty printers (rich, attrs.asdict-based
    # tools) walk the fields rather than calling __repr__.
    key: str
    """The API key (sent as KC-API-KEY): printable ASCII, shown masked in `repr`."""
    secret: str = attrs.field(repr=False)
    """The API secret: the HMAC key of every signature. Never sent, never shown."""
    passphrase: str = attrs.field(repr=False)
    """The passphrase chosen with the key; sent signed with the secret, never in clear."""
    key_version: int = attrs.field(default=3, converter=_key_version)
    """KC-API-KEY-VERSION: 3 for current keys, 2 for older ones (`"3"` is accepted too)."""
    partner: str | None = None
    """Broker integrations only (KC-API-PARTNER), with `broker_name` and `broker_key`."""
    broker_name: str | None = None
    """Broker integrations only (KC-BROKER-NAME)."""
    broker_key: str | None = attrs.field(default=None, repr=False)
    """Broker integrations only: the key of KC-API-PARTNER-SIGN. Never shown."""

    # Derived once per credentials, not on every call.
    _secret_bytes: bytes = attrs.field(init=False, eq=False, repr=False)
    _signed_passphrase: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _header_safe("key", self.key)
        secret = _utf8("secret", self.secret)
        passphrase = _utf8("passphrase", self.passphrase)
        broker = (self.partner, self.broker_name, self.broker_key)
        if any(broker) and not all(broker):
            raise ConfigurationError(
                "KuCoin broker credentials need all of partner, broker_name and broker_key"
            )
        if self.partner is not None:
            _header_safe("partner", self.partner)
            _header_safe("broker_name", self.broker_name)
            _utf8("broker_key", self.broker_key)
        object.__setattr__(self, "_secret_bytes", secret)
        object.__setattr__(self, "_signed_passphrase", _b64_hmac(secret, passphrase))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read KUCOIN_API_KEY, KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE and
        KUCOIN_API_KEY_VERSION (default 3)."""
        env = os.environ if environ is None else environ
        values = {}
        for field, variable in (
            ("key", "KUCOIN_API_KEY"),
            ("secret", "KUCOIN_API_SECRET"),
            ("passphrase", "KUCOIN_API_PASSPHRASE"),
        ):
            value = env.get(variable, "")
            if not value:
                raise ConfigurationError(f"environment variable {variable} is not set or empty")
            values[field] = value
        version = env.get("KUCOIN_API_KEY_VERSION", "3").strip() or "3"
        if version not in {str(v) for v in SUPPORTED_KEY_VERSIONS}:
            raise ConfigurationError("KUCOIN_API_KEY_VERSION must be 3 or 2")
        return cls(**values, key_version=int(version))

    def secret_values(self) -> tuple[str, ...]:
        """The secret, the passphrase, the signed passphrase and the broker key (if any):
        the values no output may show."""
        values = (self.secret, self.passphrase, self._signed_passphrase, self.broker_key)
        return tuple(value for value in values if value)

    @property
    def is_broker(self) -> bool:
        """Whether the broker (partner) headers are sent too."""
        return self.partner is not None

    def __repr__(self) -> str:
        # Also rendered for a half-built object (an error tracker showing the locals of a
        # failing __init__): any field may be missing or hold any value, even a secret
        # passed in the wrong position. Only values of the right kind are shown.
        key = getattr(self, "key", None)
        version = getattr(self, "key_version", None)
        partner = getattr(self, "partner", None)
        shown_key = repr(_mask(key)) if isinstance(key, str) else "?"
        shown_version = version if version in SUPPORTED_KEY_VERSIONS else "?"
        broker = f", partner={_mask(partner)!r}" if isinstance(partner, str) and partner else ""
        return f"Credentials(key={shown_key}, key_version={shown_version}{broker})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("KuCoin Credentials cannot be pickled: it would copy the secret in clear")

    def __getstate__(self) -> NoReturn:
        raise TypeError("KuCoin Credentials cannot be pickled: it would copy the secret in clear")

    # Immutable: a copy is the object itself (and copying must not go through pickling).
    def __copy__(self) -> Credentials:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Credentials:
        return self


@attrs.define(repr=True)
class Clock:
    """Milliseconds for KC-API-TIMESTAMP: the local clock plus a measured offset.

    `time_fn` is injectable so tests can freeze time; `offset_ms` is what clock sync sets
    (server time minus local time).
    """

    time_fn: Callable[[], float] = time.time
    """Local time in seconds since the epoch (`time.time` unless a test injects one)."""
    offset_ms: int = 0
    """Added to the local time: server time minus local time, as clock sync measured it."""

    def now_ms(self) -> int:
        """The timestamp to sign and send: local milliseconds plus `offset_ms`."""
        return int(self.time_fn() * 1000) + self.offset_ms


def signing_path(raw_path_with_query: str) -> str:
    """The path-with-query as KuCoin signs it: before percent-encoding.

    Decodes exactly what HTTP clients encode: %XX in the path, and %XX plus `+` for
    space in the query (httpx and requests both encode a query space as `+`). An empty
    query (`/path?`) signs as no query: ASGI servers, the mock among them, cannot tell
    the two apart.
    """
    path, _, query = raw_path_with_query.partition("?")
    return unquote(path) + "?" + unquote_plus(query) if query else unquote(path)


def prehash(timestamp_ms: int | str, method: str, path_with_query: str, body: bytes) -> bytes:
    """The string KuCoin signs: timestamp + METHOD + path_with_query + body."""
    return f"{timestamp_ms}{method.upper()}{path_with_query}".encode() + body


def kucoin_headers(
    credentials: Credentials,
    method: str,
    path_with_query: str,
    body: bytes,
    timestamp_ms: int,
) -> dict[str, str]:
    """The KC-API-* headers for one request. Pure: same inputs, same headers.

    `path_with_query` is the decoded form (see `signing_path`); `body` is exactly the bytes
    on the wire (b"" when there is none).
    """
    secret = credentials._secret_bytes
    timestamp = str(timestamp_ms)
    headers = {
        "KC-API-KEY": credentials.key,
        "KC-API-SIGN": _b64_hmac(secret, prehash(timestamp, method, path_with_query, body)),
        "KC-API-TIMESTAMP": timestamp,
        "KC-API-PASSPHRASE": credentials._signed_passphrase,
        "KC-API-KEY-VERSION": str(credentials.key_version),
    }
    if credentials.partner and credentials.broker_name and credentials.broker_key:
        headers["KC-API-PARTNER"] = credentials.partner
        headers["KC-BROKER-NAME"] = credentials.broker_name
        headers["KC-API-PARTNER-VERIFY"] = "true"
        headers["KC-API-PARTNER-SIGN"] = _b64_hmac(
            credentials.broker_key.encode("utf-8"),
            f"{timestamp}{credentials.partner}{credentials.key}".encode(),
        )
    return headers
