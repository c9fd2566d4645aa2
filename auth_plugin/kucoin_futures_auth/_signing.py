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


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def _mask(value: str) -> str:
    # The API key is an identifier, not a secret, but logs are shared: show enough to tell
    # two keys apart and no more.
    return value[:4] + "…" if len(value) > 4 else "…"


def _check_key_version(_instance: object, _attribute: object, version: int) -> None:
    if version not in SUPPORTED_KEY_VERSIONS:
        raise ConfigurationError(
            f"unsupported KuCoin API key version {version!r}: use 3 (current keys) or 2"
        )


@attrs.frozen(repr=False)
class Credentials:
    """An API key with its secret and passphrase, plus optional broker (partner) fields.

    The secret and passphrase never appear in `repr`, `str`, logs or exceptions, and the
    object refuses to be pickled (a pickle is a plain-text copy of the secret).
    """

    key: str
    secret: str
    passphrase: str
    key_version: int = attrs.field(default=3, converter=int, validator=_check_key_version)
    partner: str | None = None
    broker_name: str | None = None
    broker_key: str | None = None

    # Derived once per credentials, not on every call.
    _secret_bytes: bytes = attrs.field(init=False, eq=False)
    _signed_passphrase: str = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        for name in ("key", "secret", "passphrase"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigurationError(f"KuCoin credentials: {name} must be a non-empty string")
        broker = (self.partner, self.broker_name, self.broker_key)
        if any(broker) and not all(broker):
            raise ConfigurationError(
                "KuCoin broker credentials need all of partner, broker_name and broker_key"
            )
        secret = self.secret.encode("utf-8")
        object.__setattr__(self, "_secret_bytes", secret)
        object.__setattr__(
            self, "_signed_passphrase", _b64_hmac(secret, self.passphrase.encode("utf-8"))
        )

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
        if not version.isdigit():
            raise ConfigurationError("KUCOIN_API_KEY_VERSION must be 2 or 3")
        return cls(**values, key_version=int(version))

    @property
    def is_broker(self) -> bool:
        return self.partner is not None

    def __repr__(self) -> str:
        broker = f", partner={self.partner!r}" if self.partner else ""
        return f"Credentials(key={_mask(self.key)!r}, key_version={self.key_version}{broker})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("KuCoin Credentials cannot be pickled: it would copy the secret in clear")

    def __getstate__(self) -> NoReturn:
        raise TypeError("KuCoin Credentials cannot be pickled: it would copy the secret in clear")


@attrs.define(repr=True)
class Clock:
    """Milliseconds for KC-API-TIMESTAMP: the local clock plus a measured offset.

    `time_fn` is injectable so tests can freeze time; `offset_ms` is what clock sync sets
    (server time minus local time).
    """

    time_fn: Callable[[], float] = time.time
    offset_ms: int = 0

    def now_ms(self) -> int:
        return int(self.time_fn() * 1000) + self.offset_ms


def signing_path(raw_path_with_query: str) -> str:
    """The path-with-query as KuCoin signs it: before percent-encoding.

    Decodes exactly what HTTP clients encode: %XX in the path, and %XX plus `+` for
    space in the query (httpx and requests both encode a query space as `+`).
    """
    path, sep, query = raw_path_with_query.partition("?")
    return unquote(path) + sep + unquote_plus(query)


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
