"""The contenders: raw httpx baselines and our client, each making the same call.

Every `call` returns how many symbols the reply accounts for, so a contender that silently
stops doing its work (an error page parsed as empty, say) is caught by the sanity check.
The raw contenders do exactly the work our client must do (encode the body, sign it,
send, parse the JSON reply, check KuCoin's code) and nothing else.
"""

from __future__ import annotations

import abc
import json
import time
from typing import Any

import httpx

from contract_tests.operations import BATCH_PATH as PATH
from contract_tests.operations import READ_PATH
from kucoin_futures_auth import kucoin_headers

from . import _ours
from ._workload import (
    BENCH_CREDENTIALS,
    READ_SYMBOL,
    request_body,
    request_payload,
    symbols,
)


class BenchError(Exception):
    """A contender got something other than a documented success reply."""


def _count_symbols(status: int, reply: Any) -> int:
    if status != 200 or reply.get("code") != "200000":
        raise BenchError(f"HTTP {status}, code {reply.get('code')!r}")
    return len(reply["data"]["marginMode"])


def _signed_headers(body: bytes) -> dict[str, str]:
    headers = kucoin_headers(BENCH_CREDENTIALS, "POST", PATH, body, int(time.time() * 1000))
    headers["Content-Type"] = "application/json"
    return headers


class Contender:
    """One way of making the call, bound to one server and one batch size."""

    key: str
    label: str
    concurrency = 0  # 0: a synchronous call

    def __init__(self, base_url: str, size: int) -> None:
        self.base_url = base_url
        self.size = size

    def refresh(self) -> None:
        """Called before each round (outside the timing)."""


class SyncContender(Contender, abc.ABC):
    @abc.abstractmethod
    def call(self) -> int: ...

    @abc.abstractmethod
    def close(self) -> None: ...


class AsyncContender(Contender, abc.ABC):
    def __init__(self, base_url: str, size: int, concurrency: int) -> None:
        super().__init__(base_url, size)
        self.concurrency = concurrency
        self.key = f"{self.key}_c{concurrency}"
        self.label = f"{self.label}, c={concurrency}"

    @abc.abstractmethod
    async def call(self) -> int: ...

    @abc.abstractmethod
    async def aclose(self) -> None: ...


class RawPrecomputed(SyncContender):
    """The wire floor: body and headers computed once per round, reply parsed."""

    key = "raw_precomputed"
    label = "raw httpx, precomputed headers"

    def __init__(self, base_url: str, size: int) -> None:
        super().__init__(base_url, size)
        self._client = httpx.Client(base_url=base_url)
        self._body = request_body(size)
        self._headers = _signed_headers(self._body)

    def refresh(self) -> None:
        # A signature is only accepted for 5 s: a round is shorter than that.
        self._headers = _signed_headers(self._body)

    def call(self) -> int:
        response = self._client.post(PATH, content=self._body, headers=self._headers)
        return _count_symbols(response.status_code, json.loads(response.content))

    def close(self) -> None:
        self._client.close()


class RawSigned(SyncContender):
    """Raw httpx doing our work by hand: encode, sign, send, parse, check."""

    key = "raw_signed"
    label = "raw httpx, encode+sign+parse"

    def __init__(self, base_url: str, size: int) -> None:
        super().__init__(base_url, size)
        self._client = httpx.Client(base_url=base_url)
        self._payload = request_payload(size)

    def call(self) -> int:
        body = json.dumps(self._payload, separators=(",", ":")).encode()
        response = self._client.post(PATH, content=body, headers=_signed_headers(body))
        return _count_symbols(response.status_code, json.loads(response.content))

    def close(self) -> None:
        self._client.close()


class OursSync(SyncContender):
    key = "ours_sync"
    label = "ours sync, everything on"

    def __init__(self, base_url: str, size: int) -> None:
        super().__init__(base_url, size)
        self._call = _ours.SyncCall(base_url, symbols(size))

    def call(self) -> int:
        return self._call()

    def close(self) -> None:
        self._call.close()


class RawSignedAsync(AsyncContender):
    key = "raw_async"
    label = "raw httpx async, encode+sign+parse"

    def __init__(self, base_url: str, size: int, concurrency: int) -> None:
        super().__init__(base_url, size, concurrency)
        self._client = httpx.AsyncClient(base_url=base_url)
        self._payload = request_payload(size)

    async def call(self) -> int:
        body = json.dumps(self._payload, separators=(",", ":")).encode()
        response = await self._client.post(PATH, content=body, headers=_signed_headers(body))
        return _count_symbols(response.status_code, json.loads(response.content))

    async def aclose(self) -> None:
        await self._client.aclose()


class OursAsync(AsyncContender):
    key = "ours_async"
    label = "ours async, everything on"

    def __init__(self, base_url: str, size: int, concurrency: int) -> None:
        super().__init__(base_url, size, concurrency)
        self._call = _ours.AsyncCall(base_url, symbols(size))

    async def call(self) -> int:
        return await self._call()

    async def aclose(self) -> None:
        await self._call.aclose()


class RawRead(SyncContender):
    """Raw httpx reading one symbol's mode by hand: sign path+query, send, parse, check."""

    key = "raw_read"
    label = "raw httpx read, sign+parse"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, 1)
        self._client = httpx.Client(base_url=base_url)

    def call(self) -> int:
        target = f"{READ_PATH}?symbol={READ_SYMBOL}"
        headers = kucoin_headers(BENCH_CREDENTIALS, "GET", target, b"", int(time.time() * 1000))
        response = self._client.get(target, headers=headers)
        reply = json.loads(response.content)
        if response.status_code != 200 or reply.get("code") != "200000":
            raise BenchError(f"HTTP {response.status_code}, code {reply.get('code')!r}")
        return 1 if reply["data"]["marginMode"] else 0

    def close(self) -> None:
        self._client.close()


class OursRead(SyncContender):
    key = "ours_read"
    label = "ours get_margin_mode, everything on"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, 1)
        self._call = _ours.ReadCall(base_url)

    def call(self) -> int:
        return self._call()

    def close(self) -> None:
        self._call.close()


def read_set(base_url: str) -> list[Contender]:
    """The read comparison (`get_margin_mode` against raw httpx), for one server."""
    return [RawRead(base_url), OursRead(base_url)]


def per_call_set(base_url: str, size: int, concurrencies: list[int]) -> list[Contender]:
    """Every contender of the per-call comparison, for one server."""
    contenders: list[Contender] = [
        RawPrecomputed(base_url, size),
        RawSigned(base_url, size),
        OursSync(base_url, size),
    ]
    for concurrency in concurrencies:
        contenders += [
            RawSignedAsync(base_url, size, concurrency),
            OursAsync(base_url, size, concurrency),
        ]
    return contenders
