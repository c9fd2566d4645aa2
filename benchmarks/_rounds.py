"""Interleaved rounds: every contender runs in every round, in a shuffled order, so slow
drifts of the machine (other processes, frequency scaling) hit all of them alike and
ratios can be paired round by round."""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter_ns

from ._contenders import AsyncContender, BenchError, Contender, SyncContender


def summary(values: Sequence[float]) -> dict[str, float]:
    """min / p25 / median / p75 / max of a sample."""
    if len(values) == 1:
        p25 = p75 = float(values[0])
    else:
        p25, _, p75 = statistics.quantiles(values, n=4)
    return {
        "min": float(min(values)),
        "p25": p25,
        "median": float(statistics.median(values)),
        "p75": p75,
        "max": float(max(values)),
    }


@dataclass
class Series:
    """What one contender measured. `per_call_ns` holds every timed call (for concurrent
    contenders, the wall time of a round divided by its calls); `round_ns` one figure per
    round (median call, or that quotient), in round order, for pairing."""

    key: str
    label: str
    size: int
    concurrency: int
    per_call_ns: list[float] = field(default_factory=list)
    round_ns: list[float] = field(default_factory=list)

    def ratio_to(self, baseline: Series) -> dict[str, float]:
        ratios = [a / b for a, b in zip(self.round_ns, baseline.round_ns, strict=True)]
        return summary(ratios)


def _checked(contender: Contender, accounted: int) -> None:
    if accounted != contender.size:
        raise BenchError(
            f"{contender.label}: reply accounts for {accounted} of {contender.size} symbols"
        )


def _time_sync(contender: SyncContender, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        _checked(contender, contender.call())
    call = contender.call
    samples = [0] * calls
    gc.collect()
    gc.disable()
    try:
        for i in range(calls):
            start = perf_counter_ns()
            call()
            samples[i] = perf_counter_ns() - start
    finally:
        gc.enable()
    return [float(s) for s in samples]


async def _time_async(contender: AsyncContender, calls: int, warmup: int) -> list[float]:
    concurrency = contender.concurrency
    # At least one full wave, which opens every connection the timed calls will use.
    for _ in range(max(1, -(-warmup // concurrency))):
        for accounted in await asyncio.gather(*(contender.call() for _ in range(concurrency))):
            _checked(contender, accounted)
    call = contender.call
    if concurrency == 1:
        samples = [0] * calls
        gc.collect()
        gc.disable()
        try:
            for i in range(calls):
                start = perf_counter_ns()
                await call()
                samples[i] = perf_counter_ns() - start
        finally:
            gc.enable()
        return [float(s) for s in samples]

    per_worker = max(1, calls // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    gc.collect()
    gc.disable()
    try:
        start = perf_counter_ns()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = perf_counter_ns() - start
    finally:
        gc.enable()
    return [wall / (per_worker * concurrency)]


def run_rounds(
    contenders: Sequence[Contender],
    *,
    rounds: int,
    calls_for: Callable[[Contender], int],
    warmup: int,
    seed: int = 0,
) -> list[Series]:
    """Measure every contender in each of `rounds` rounds; closes them all at the end."""
    rng = random.Random(seed)
    series = {id(c): Series(c.key, c.label, c.size, c.concurrency) for c in contenders}
    with asyncio.Runner() as runner:
        try:
            for _ in range(rounds):
                order = list(contenders)
                rng.shuffle(order)
                for contender in order:
                    contender.refresh()
                    calls = calls_for(contender)
                    if isinstance(contender, SyncContender):
                        samples = _time_sync(contender, calls, warmup)
                    else:
                        assert isinstance(contender, AsyncContender)
                        samples = runner.run(_time_async(contender, calls, warmup))
                    entry = series[id(contender)]
                    entry.per_call_ns += samples
                    entry.round_ns.append(statistics.median(samples))
        finally:
            for contender in contenders:
                if isinstance(contender, SyncContender):
                    contender.close()
                elif isinstance(contender, AsyncContender):
                    runner.run(contender.aclose())
    return [series[id(c)] for c in contenders]
