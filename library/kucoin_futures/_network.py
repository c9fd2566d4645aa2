"""The sync client's transport: httpcore's connection pool, over a network backend whose
streams obey the attempt's deadline.

Why this route: httpx's timeouts bound each socket operation, not the attempt, so a server
that trickles a byte a second never trips a 10 s read timeout. A sync call cannot be
cancelled from outside; the deadline has to reach every connect, read and write. httpx
offers no public way to give its `HTTPTransport` a network backend, but httpcore's
`ConnectionPool(network_backend=...)` is public, and so are `httpx.BaseTransport`,
`httpx.create_ssl_context` and httpx's and httpcore's exception classes. This module is
that seam, and the only one: `test_seams.py` fails, naming the httpx and httpcore
versions, if the network-backend protocol or the pool's use of it changes.

What the pool gets from the client's settings: TLS verification and certificates (the
same `httpx.create_ssl_context` httpx uses), http1/http2 and the connection limits. A
proxy (`proxy=`, or from the environment when `trust_env`) is given to the same pool, so
a proxied call obeys the deadline too. A `transport=` or `mounts=` of the caller's own
replaces this transport; the client then still checks the deadline between the chunks of
each reply's body.
"""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any, Final

import httpcore
import httpx

from ._deadline import time_left

# httpcore's errors as the httpx ones a caller of httpx expects (httpx's own table is
# private): the first class of an error's MRO found here wins.
_HTTPX_ERRORS: Final[dict[type[Exception], type[httpx.TransportError]]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


def _as_httpx_error(exc: Exception, request: httpx.Request) -> Exception:
    """The httpx error for an httpcore one; any other error as it is. (A plain function
    called from `except`, not a context manager: measured 0.7 us a use saved, twice a call.)"""
    for cls in type(exc).__mro__:
        mapped = _HTTPX_ERRORS.get(cls)
        if mapped is not None:
            return mapped(str(exc), request=request)
    return exc


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose streams obey the current attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self.backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self.backend.connect_tcp(host, port, left, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


class _ReplyStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response, request: httpx.Request) -> None:
        self.response = response
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.response.iter_stream()
        except Exception as exc:
            mapped = _as_httpx_error(exc, self.request)
            if mapped is exc:
                raise
            raise mapped from exc

    def close(self) -> None:
        self.response.close()


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport over `httpcore.ConnectionPool` whose connections obey the
    attempt deadline (`_deadline.attempt_deadline`)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits | None = None,
        proxy: httpcore.Proxy | None = None,
    ) -> None:
        limits = (
            limits
            if limits is not None
            else httpx.Limits(
                max_connections=100,
                max_keepalive_connections=20,  # httpx's own defaults
            )
        )
        self.connections = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env),
            proxy=proxy,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            network_backend=DeadlineBackend(httpcore.SyncBackend()),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):  # an async body: a bug
            raise TypeError("the sync transport needs a sync request body")
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self.connections.handle_request(core_request)
        except Exception as exc:
            mapped = _as_httpx_error(exc, request)
            if mapped is exc:
                raise
            raise mapped from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ReplyStream(response, request),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.connections.close()


def core_proxy(proxy: str | httpx.URL | httpx.Proxy) -> httpcore.Proxy:
    """A proxy setting as httpcore takes it: URL, credentials from the URL, headers."""
    the_proxy = proxy if isinstance(proxy, httpx.Proxy) else httpx.Proxy(proxy)
    url = the_proxy.url
    return httpcore.Proxy(
        url=httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        ),
        auth=the_proxy.auth,
        headers=the_proxy.headers.raw,
    )


def environment_proxy(base_url: httpx.URL) -> str | None:
    """The proxy the environment names for `base_url` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY
    and NO_PROXY, as read by the standard library), or None. The client talks to its base
    URL's host only, so the decision is made once, for that host."""
    if not base_url.host or urllib.request.proxy_bypass(base_url.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(base_url.scheme) or proxies.get("all")
