"""KuCoin-style rate-limit pools: a fixed window per pool, opened by its first charge.

Not thread-safe on its own: `MockKucoin` calls it under its lock.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import attrs


@attrs.frozen
class Charge:
    """The outcome of charging one request to a pool, and the values for its headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"gw-ratelimit-limit", b"%d" % self.limit),
            (b"gw-ratelimit-remaining", b"%d" % self.remaining),
            (b"gw-ratelimit-reset", b"%d" % self.reset_ms),
        ]


class RateLimiter:
    """`quota` weight per `window_s` seconds per pool; each call costs `weight`.

    A refused call is not charged. `gw-ratelimit-reset` is the time left in the window, in
    whole milliseconds, rounded up so that waiting that long always reaches the reset.
    """

    def __init__(self, quota: int, window_s: float, weight: int) -> None:
        if quota < 0 or weight < 0 or window_s <= 0:
            raise ValueError("rate limit: quota and weight must be >= 0 and window_s > 0")
        self.quota = quota
        self.window_s = window_s
        self.weight = weight
        # pool -> [window end (clock seconds), weight used]
        self._windows: dict[Hashable, list[float]] = {}

    def charge(self, pool: Hashable, now: float) -> Charge:
        window = self._windows.get(pool)
        if window is None or now >= window[0]:
            window = self._windows[pool] = [now + self.window_s, 0]
        used = int(window[1])
        reset_ms = max(0, math.ceil((window[0] - now) * 1000))
        if used + self.weight > self.quota:
            return Charge(False, self.quota, self.quota - used, reset_ms)
        used += self.weight
        window[1] = used
        return Charge(True, self.quota, self.quota - used, reset_ms)

    def peek(self, pool: Hashable, now: float) -> Charge:
        """The pool's state without charging it."""
        window = self._windows.get(pool)
        if window is None or now >= window[0]:
            return Charge(True, self.quota, self.quota, math.ceil(self.window_s * 1000))
        used = int(window[1])
        remaining = self.quota - used
        reset_ms = max(0, math.ceil((window[0] - now) * 1000))
        return Charge(remaining >= self.weight, self.quota, remaining, reset_ms)

    def usage(self, now: float) -> list[tuple[Hashable, Charge]]:
        """Every pool with weight used in its current window, and its state (uncharged)."""
        return [
            (pool, self.peek(pool, now))
            for pool, (end, used) in self._windows.items()
            if now < end and used > 0
        ]

    def reset(self) -> None:
        self._windows.clear()
