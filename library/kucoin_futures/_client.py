"""`futures_client`: the generated client, wired with signing, typed errors, retries and
clock sync."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any, Final

import attrs
import httpx

from kucoin_futures_auth import Clock, Credentials, KucoinAuth
from kucoin_futures_client import Client

from ._defaults import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_MAX_REPLY_BYTES,
    DEFAULT_TIMEOUT_S,
    MAX_TIMEOUT_S,
    PRODUCTION_BASE_URL,
)
from ._errors import ConfigurationError
from ._http import KucoinAsyncHTTPClient, KucoinHTTPClient
from ._pacing import Pacer
from ._retry import RetryPolicy

DEFAULT_TIMEOUT = httpx.Timeout(DEFAULT_TIMEOUT_S, connect=DEFAULT_CONNECT_TIMEOUT_S)
DEFAULT_RETRY_POLICY = RetryPolicy()
BASE_URL_VARIABLE: Final = "KUCOIN_FUTURES_BASE_URL"
ALLOW_HTTP_VARIABLE: Final = "KUCOIN_FUTURES_ALLOW_HTTP"
_YES: Final = frozenset({"1", "true", "yes", "on"})
_NO: Final = frozenset({"", "0", "false", "no", "off"})


@attrs.define
class FuturesClient(Client):
    """The generated `Client`, whose sync and async httpx clients (built lazily, like the
    generated ones) map replies to typed errors, retry, pace themselves by the rate-limit
    headers and calibrate the clock."""

    _retry: RetryPolicy | None = attrs.field(default=None, kw_only=True, alias="retry")
    _clock: Clock = attrs.field(factory=Clock, kw_only=True, alias="clock")
    _clock_sync: bool = attrs.field(default=True, kw_only=True, alias="clock_sync")
    _max_reply_bytes: int = attrs.field(
        default=DEFAULT_MAX_REPLY_BYTES, kw_only=True, alias="max_reply_bytes"
    )
    # One rate-limit account for the sync and the async half: they spend the same quota.
    _pacer: Pacer = attrs.field(factory=Pacer, init=False)

    def get_httpx_client(self) -> httpx.Client:
        """The sync httpx client every generated `sync` function sends through, built on
        first use: signing, typed errors, retries, pacing and the deadlines live in it."""
        if self._client is None:
            self._client = KucoinHTTPClient(
                retry=self._retry,
                clock=self._clock,
                clock_sync=self._clock_sync,
                pacer=self._pacer,
                max_reply_bytes=self._max_reply_bytes,
                **self._httpx_settings(),
            )
        return self._client

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """The async twin of `get_httpx_client`, for the generated `asyncio` functions; it
        shares the sync client's rate-limit account."""
        if self._async_client is None:
            self._async_client = KucoinAsyncHTTPClient(
                retry=self._retry,
                clock=self._clock,
                clock_sync=self._clock_sync,
                pacer=self._pacer,
                max_reply_bytes=self._max_reply_bytes,
                **self._httpx_settings(),
            )
        return self._async_client

    def _httpx_settings(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            "headers": self._headers,
            "timeout": self._timeout,
            "verify": self._verify_ssl,
            "follow_redirects": self._follow_redirects,
            **self._httpx_args,
        }


def futures_client(
    credentials: Credentials | None = None,
    *,
    base_url: str | None = None,
    allow_http: bool | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    clock: Clock | None = None,
    retry: RetryPolicy | None = DEFAULT_RETRY_POLICY,
    clock_sync: bool = True,
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
    httpx_args: dict[str, Any] | None = None,
) -> FuturesClient:
    """The generated `kucoin_futures_client.Client`, every request signed.

    Credentials default to `Credentials.from_env()`; the base URL to
    `KUCOIN_FUTURES_BASE_URL`, and to production only when neither is given (an empty
    value is a `ConfigurationError`, never production). Plain `http://` is refused beyond
    loopback unless `allow_http` (default: `KUCOIN_FUTURES_ALLOW_HTTP=1`) opts in: it
    sends the signed headers in clear; without it, environment proxies are ignored for
    plain http (they would carry it off this machine). Every reply other than a success
    raises a `KucoinError` subclass (also from the generated functions called directly).
    `retry` bounds the retries (None: never retry); with `clock_sync`, a 400002 reply
    (timestamp out of window) makes the client measure its clock offset once and resend.
    Redirects are never followed: a redirect would carry a signature to another URL.

    Every attempt ends within `timeout`'s connect plus read time, connect to last byte
    (15 s by default), and a reply larger than `max_reply_bytes` after decompression
    (4 MiB by default) is refused unread with an `InvalidReplyError`.
    """
    url = resolve_base_url(base_url, os.environ)
    if allow_http is not None and not isinstance(allow_http, bool):
        # A string from a config file ("false") must not opt in to sending in clear.
        raise ConfigurationError(
            f"allow_http must be True or False, not {type(allow_http).__name__}"
        )
    http_allowed = allow_http_from(os.environ) if allow_http is None else allow_http
    check_base_url(url, allow_http=http_allowed)
    the_timeout = _checked_timeout(timeout)
    if (
        isinstance(max_reply_bytes, bool)
        or not isinstance(max_reply_bytes, int)
        or max_reply_bytes < 1
    ):
        raise ConfigurationError(f"max_reply_bytes must be a positive int, not {max_reply_bytes!r}")
    creds = credentials if credentials is not None else Credentials.from_env()
    the_clock = clock if clock is not None else Clock()
    return FuturesClient(
        base_url=url,
        timeout=the_timeout,
        follow_redirects=False,
        raise_on_unexpected_status=True,
        httpx_args={
            # An HTTP_PROXY from the environment would carry plain http to loopback, signed
            # headers and all, across the network: ignored without the opt-in (unless the
            # caller's own httpx_args say otherwise).
            "trust_env": http_allowed or httpx.URL(url).scheme != "http",
            **(httpx_args or {}),
            "auth": KucoinAuth(creds, the_clock),
        },
        retry=retry,
        clock=the_clock,
        clock_sync=clock_sync,
        max_reply_bytes=max_reply_bytes,
    )


def _checked_timeout(timeout: object) -> httpx.Timeout:
    # A call must end: no part of the timeout may be missing, infinite or absurd.
    the_timeout = timeout if isinstance(timeout, httpx.Timeout) else None
    if the_timeout is None and isinstance(timeout, int | float) and not isinstance(timeout, bool):
        the_timeout = httpx.Timeout(float(timeout))
    parts = the_timeout.as_dict() if the_timeout is not None else {}
    for name, value in parts.items():
        if not isinstance(value, int | float) or not 0 < value <= MAX_TIMEOUT_S:
            raise ConfigurationError(
                f"timeout {name} must be a number of seconds in (0, {MAX_TIMEOUT_S:g}], "
                f"not {value!r}"
            )
    if the_timeout is None:
        raise ConfigurationError(
            f"timeout must be seconds (a number) or an httpx.Timeout, not {timeout!r}"[:200]
        )
    return the_timeout


def calibrate_clock(client: Client) -> int:
    """Measure the offset between the client's clock and KuCoin's server time (the spec's
    public server-time operation, sent unsigned), apply it to every later signature, and
    return it in ms."""
    http = client.get_httpx_client()
    if not isinstance(http, KucoinHTTPClient):
        raise ConfigurationError("calibrate_clock needs a client made by futures_client()")
    return http.calibrate_clock()


async def acalibrate_clock(client: Client) -> int:
    """`calibrate_clock` through the client's async httpx client."""
    http = client.get_async_httpx_client()
    if not isinstance(http, KucoinAsyncHTTPClient):
        raise ConfigurationError("acalibrate_clock needs a client made by futures_client()")
    return await http.calibrate_clock()


def resolve_base_url(
    base_url: str | None, environ: Mapping[str, str], *, given_as: str = "base_url"
) -> str:
    """The one base-URL rule of library and CLI: `base_url` if given, else
    `KUCOIN_FUTURES_BASE_URL`, else production. A value given but empty or blank (an unset
    shell variable expanded) is a `ConfigurationError` naming where it came from: with
    real keys, falling back to production would send signed switches to the live
    exchange."""
    if base_url is not None:
        where, value = given_as, base_url
    elif BASE_URL_VARIABLE in environ:
        where, value = f"environment variable {BASE_URL_VARIABLE}", environ[BASE_URL_VARIABLE]
    else:
        return PRODUCTION_BASE_URL
    if not isinstance(value, str):
        raise ConfigurationError(f"{where} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ConfigurationError(
            f"{where} is empty: give a URL, or leave it unset to use {PRODUCTION_BASE_URL}"
        )
    if value.strip() != value:
        raise ConfigurationError(f"{where} has spaces around the URL")
    return value


def allow_http_from(environ: Mapping[str, str]) -> bool:
    """`KUCOIN_FUTURES_ALLOW_HTTP` as a yes/no (1/true/yes/on, 0/false/no/off or unset)."""
    value = environ.get(ALLOW_HTTP_VARIABLE, "").strip().lower()
    if value in _YES or value in _NO:
        return value in _YES
    raise ConfigurationError(
        f"environment variable {ALLOW_HTTP_VARIABLE} must be 1, true, yes or on (or 0, false, "
        "no, off, empty)"
    )


def check_base_url(base_url: str, *, allow_http: bool) -> None:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"base URL must be an absolute http(s) URL such as {PRODUCTION_BASE_URL}"
        )
    # Signed headers in clear text could be replayed by anyone on the path; plain http is
    # for a server on this machine (the mock), or, opted into, a mock on a CI network.
    if url.scheme == "http" and not allow_http and not is_loopback_host(url.host):
        raise ConfigurationError(
            f"plain http to {url.host!r} would send signed KuCoin headers in clear: use "
            f"https, or opt in with allow_http=True or {ALLOW_HTTP_VARIABLE}=1 (http is "
            "accepted for localhost, 127.0.0.0/8 and ::1 without it)"
        )


def is_loopback_host(host: str) -> bool:
    """Whether `host` is this machine's loopback: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
