"""What one benchmarked call sends and what the responder answers, shared by both sides."""

from __future__ import annotations

import json
import random
from functools import cache

from kucoin_futures_auth import Credentials

TARGET_MODE = "ISOLATED"
# The symbol with an open position in KuCoin's documented reply: it fails with 50002 and
# keeps CROSS, so every reply of two or more symbols has the documented shape.
BUSY_SYMBOL = "XBTUSDTM"
BUSY_ERROR = {"code": "50002", "msg": "exist.order.or.position", "symbol": BUSY_SYMBOL}

# Throw-away credentials shared with the mock through its command line.
BENCH_CREDENTIALS = Credentials(
    key="bench-key", secret="bench-secret-not-a-real-one", passphrase="bench-passphrase"
)

# fmt: off
_LISTED_BASES = (
    "XBT", "ETH", "SOL", "XRP", "DOGE", "ADA", "AVAX", "LINK", "DOT", "TRX", "MATIC", "LTC",
    "BCH", "SHIB", "UNI", "ATOM", "ETC", "XLM", "FIL", "APT", "ARB", "OP", "NEAR", "ICP",
    "INJ", "SUI", "SEI", "TIA", "WLD", "PEPE", "WIF", "BONK", "FET", "RNDR", "GRT", "AAVE",
    "MKR", "CRV", "LDO", "SNX", "DYDX", "GMX", "IMX", "SAND", "MANA", "AXS", "APE", "GALA",
    "CHZ", "ENS", "FTM", "ALGO", "EGLD", "HBAR", "VET", "EOS", "XTZ", "THETA", "KAVA", "RUNE",
    "ORDI", "STX", "JUP", "PYTH", "ENA", "ONDO", "TON", "NOT", "PENDLE", "BLUR", "MEME", "JTO",
    "STRK", "ZRO", "ZK",
)
# fmt: on
_QUOTES = ("USDTM", "USDCM", "USDM")


@cache
def symbols(count: int) -> tuple[str, ...]:
    """`count` distinct contract symbols that look like KuCoin's, starting with the two of
    the documented example. Listed tickers come first, then made-up tickers in the same
    shape, so any size up to thousands is available and always the same."""
    result = [f"{base}{quote}" for quote in _QUOTES for base in _LISTED_BASES]
    rng = random.Random(20241018)
    seen = set(result)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while len(result) < count:
        ticker = "".join(rng.choice(letters) for _ in range(rng.randint(3, 6))) + "USDTM"
        if ticker not in seen:
            seen.add(ticker)
            result.append(ticker)
    return tuple(result[:count])


def request_payload(count: int) -> dict[str, object]:
    return {"marginMode": TARGET_MODE, "symbols": list(symbols(count))}


def request_body(count: int) -> bytes:
    """The body exactly as httpx's `json=` encodes it (compact, UTF-8)."""
    return json.dumps(request_payload(count), separators=(",", ":")).encode()


READ_SYMBOL = "XBTUSDTM"
READ_PORT = 0
"""The responder's "batch size" whose port answers the read (getMarginMode) instead."""


def read_reply_body() -> bytes:
    """KuCoin's documented read reply."""
    data = {"symbol": READ_SYMBOL, "marginMode": "ISOLATED"}
    return json.dumps({"code": "200000", "data": data}, separators=(",", ":")).encode()


def reply_body(count: int) -> bytes:
    """KuCoin's documented success reply, extended to `count` symbols: all switched except
    the busy symbol (present once there are two or more)."""
    requested = symbols(count)
    busy = count >= 2
    modes = {s: "CROSS" if busy and s == BUSY_SYMBOL else TARGET_MODE for s in requested}
    data = {"marginMode": modes, "errors": [BUSY_ERROR] if busy else []}
    return json.dumps({"code": "200000", "data": data}, separators=(",", ":")).encode()
