"""When to try a request again, and after how long. Pure: no I/O, no sleeping.

The sync and async httpx clients (`_http.py`) ask the same `RetryPolicy`, so both retry
alike. Retrying is safe for this API because every operation it covers sets a target
state (a margin mode) or only reads: sending it twice leaves the account as sending it
once would.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

from .errors import (
    InvalidReplyError,
    KucoinError,
    RateLimitError,
    ServerError,
    TransportError,
)


def is_retryable(error: KucoinError) -> bool:
    """Could the same request succeed if sent again? Never for auth or parameter errors."""
    if isinstance(error, RateLimitError | ServerError):
        return True
    if isinstance(error, TransportError | InvalidReplyError):
        return error.retryable
    return False


@attrs.frozen
class RetryPolicy:
    """Bounded retries: at most `max_attempts` sends and `max_elapsed_s` seconds in all.

    The wait before retry n (n = 1, 2, ...) is drawn uniformly from
    [0, min(max_delay_s, base_delay_s * 2**(n-1))] ("full jitter"), except after a rate
    limit whose reply says when the quota resets: then it is that time, plus up to
    `base_delay_s` of jitter so that waiting clients do not all return at once. A wait
    that would end past the time budget is not started: the error is raised at once.

    `random` draws the jitter, a float in [0, 1): pass `random.Random(seed).random` for
    repeatable waits.
    """

    max_attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    max_elapsed_s: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))
    base_delay_s: float = attrs.field(default=0.25, validator=attrs.validators.ge(0))
    max_delay_s: float = attrs.field(default=4.0, validator=attrs.validators.ge(0))
    random: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)

    def delay_before_retry(
        self, attempt: int, error: KucoinError, elapsed_s: float
    ) -> float | None:
        """Seconds to wait before sending again after `attempt` (1-based) failed with
        `error`, `elapsed_s` seconds after the first send started; None means give up."""
        if attempt >= self.max_attempts or not is_retryable(error):
            return None
        reset_ms = error.rate_limit.reset_ms if isinstance(error, RateLimitError) else None
        if reset_ms is not None:
            delay = reset_ms / 1000 + self.random() * self.base_delay_s
        else:
            ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
            delay = self.random() * ceiling
        if elapsed_s + delay > self.max_elapsed_s:
            return None
        return delay
