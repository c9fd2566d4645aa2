"""Client-side pacing by the `gw-ratelimit-*` headers: once a pool's quota is used up,
nothing more is sent to that pool until the quota resets.

Every reply carries the pool's `remaining` weight and the ms until it `reset`s. When
what remains cannot pay for the next request (its weight, from the spec, times the
requests of this client still in flight), or when a reply is a rate-limit refusal, the
pool is blocked until the reset, for every request of the client: a 429 on one of many
concurrent reads holds the others back instead of letting each of them spend a request
into the same refusal. Pure bookkeeping, no I/O: the HTTP clients wait.
"""

from __future__ import annotations

from typing import Final

import attrs

from ._errors import RateLimit, RateLimitError
from ._retry import reset_ms

DEFAULT_BLOCK_MS: Final = 1000
"""**Choice:** how long a rate-limit refusal without a reset time blocks its pool."""
MAX_BLOCK_MS: Final = 60_000
"""**Choice:** the longest block a reply can impose (two of KuCoin's 30 s windows): an
absurd `gw-ratelimit-reset` must not silence a client for days."""


@attrs.define
class Pacer:
    """Per-pool blocks and in-flight counts of one client (its sync and async halves)."""

    _blocked_until: dict[str, float] = attrs.field(factory=dict)
    _in_flight: dict[str, int] = attrs.field(factory=dict)

    def wait_s(self, pool: str, now: float) -> float:
        """Seconds until `pool` may be sent to again (0: at once)."""
        return max(0.0, self._blocked_until.get(pool, 0.0) - now)

    def sending(self, pool: str) -> None:
        self._in_flight[pool] = self._in_flight.get(pool, 0) + 1

    def answered(
        self,
        pool: str,
        weight: int,
        now: float,
        rate_limit: RateLimit | None,
        refusal: RateLimitError | None = None,
    ) -> None:
        """Account for one reply (`rate_limit` None: no reply, e.g. a dropped connection)."""
        in_flight = self._in_flight.get(pool, 1) - 1
        self._in_flight[pool] = in_flight
        if refusal is not None:
            block_ms = reset_ms(refusal)
            self._block(pool, now, DEFAULT_BLOCK_MS if block_ms is None else block_ms)
        elif (
            rate_limit is not None
            and rate_limit.remaining is not None
            and rate_limit.reset_ms is not None
            and rate_limit.remaining < weight * (1 + in_flight)
        ):
            self._block(pool, now, rate_limit.reset_ms)

    def _block(self, pool: str, now: float, ms: int) -> None:
        until = now + min(ms, MAX_BLOCK_MS) / 1000
        self._blocked_until[pool] = max(self._blocked_until.get(pool, 0.0), until)
