"""`--profile`: where our call spends its time.

Two views, both against the raw responder:
- a layer ladder, measured like everything else (interleaved rounds, paired deltas): raw
  httpx, then our httpx client (signing auth flow, error mapping, retry policy), then the
  generated operation (request and reply models), then `set_margin_mode` (validation and
  per-symbol outcome). Each step's delta is what that layer costs per call;
- pyinstrument call trees of our call, naming the functions inside each layer.
"""

from __future__ import annotations

import statistics
from typing import Any

from contract_tests.operations import BATCH_PATH as PATH
from kucoin_futures import futures_client
from kucoin_futures_client.api.positions import batch_change_margin_mode
from kucoin_futures_client.models import BatchChangeMarginModeRequest, MarginMode

from ._contenders import BenchError, OursSync, RawSigned, SyncContender
from ._rounds import Series, run_rounds
from ._workload import BENCH_CREDENTIALS, request_payload, symbols


class _OurHttpxClient(SyncContender):
    """The httpx client `futures_client` builds, called directly with `json=`."""

    key = "layer_httpx_client"
    label = "+ our httpx client: auth flow, errors, retry"

    def __init__(self, base_url: str, size: int) -> None:
        super().__init__(base_url, size)
        self._client = futures_client(BENCH_CREDENTIALS, base_url=base_url).get_httpx_client()
        self._payload = request_payload(size)

    def call(self) -> int:
        # `.json()`, not json.loads: the client already parsed the reply to check it and
        # hands that parse over, exactly as the generated operation receives it.
        reply = self._client.post(PATH, json=self._payload).json()
        return len(reply["data"]["marginMode"])

    def close(self) -> None:
        self._client.close()


class _GeneratedOperation(SyncContender):
    """The generated `sync_detailed` on the same client: request and reply models."""

    key = "layer_generated"
    label = "+ generated sync_detailed: models"

    def __init__(self, base_url: str, size: int) -> None:
        super().__init__(base_url, size)
        self._client = futures_client(BENCH_CREDENTIALS, base_url=base_url)
        self._symbols = list(symbols(size))

    def call(self) -> int:
        body = BatchChangeMarginModeRequest(MarginMode.ISOLATED, self._symbols)
        parsed = batch_change_margin_mode.sync_detailed(client=self._client, body=body).parsed
        if parsed is None or not hasattr(parsed, "data"):
            raise BenchError(f"not a success reply: {parsed!r}")
        return len(parsed.data.margin_mode.additional_properties)

    def close(self) -> None:
        self._client.get_httpx_client().close()


def _ladder_rows(steps: list[Series]) -> list[dict[str, Any]]:
    raw = steps[0]
    rows = []
    for before, step in zip([None, *steps], steps, strict=False):
        delta = (
            statistics.median(b - a for a, b in zip(before.round_ns, step.round_ns, strict=True))
            if before
            else 0.0
        )
        rows.append(
            {
                "layer": step.label,
                "per_call_us": round(statistics.median(step.per_call_ns) / 1000, 1),
                "ratio_to_raw": round(step.ratio_to(raw)["median"], 4),
                "step_us": round(delta / 1000, 1),
            }
        )
    return rows


def layer_ladder(url: str, size: int, *, rounds: int, calls: int) -> dict[str, Any]:
    steps = [
        RawSigned(url, size),
        _OurHttpxClient(url, size),
        _GeneratedOperation(url, size),
        OursSync(url, size),
    ]
    steps[-1].label = "= set_margin_mode: validation, outcome"
    series = run_rounds(steps, rounds=rounds, calls_for=lambda _c: calls, warmup=5)
    return {"symbols": size, "rounds": rounds, "calls": calls, "steps": _ladder_rows(series)}


def call_tree(contender: SyncContender, calls: int) -> str:
    from pyinstrument import Profiler  # a dev tool: imported only when asked for

    try:
        for _ in range(20):
            contender.call()
        profiler = Profiler(interval=0.0001)
        profiler.start()
        for _ in range(calls):
            contender.call()
        profiler.stop()
    finally:
        contender.close()
    text: str = profiler.output_text(unicode=True, color=False, show_all=False)
    # Its header names this file's absolute path, which says nothing about the profile.
    return "\n".join(line for line in text.splitlines() if not line.startswith("Profile at "))


def profile_ours(urls: dict[int, str], sizes: list[int], *, rounds: int) -> dict[str, Any]:
    """Layer ladder and pyinstrument tree of our sync call, per batch size."""
    result: dict[str, Any] = {"ladders": [], "trees": {}}
    for size in sizes:
        calls = max(20, 200 // (1 + size // 100))
        result["ladders"].append(layer_ladder(urls[size], size, rounds=rounds, calls=calls))
        result["trees"][str(size)] = call_tree(OursSync(urls[size], size), calls * 10)
    return result


def render(profile: dict[str, Any]) -> str:
    out = []
    for ladder in profile["ladders"]:
        out.append(
            f"Layer ladder, {ladder['symbols']} symbols ({ladder['rounds']} rounds x "
            f"{ladder['calls']} calls; step = paired median delta to the line above)"
        )
        out.append(f"  {'layer':<46}{'µs/call':>9}{'x raw':>8}{'step µs':>9}")
        for row in ladder["steps"]:
            out.append(
                f"  {row['layer']:<46}{row['per_call_us']:>9.1f}"
                f"{row['ratio_to_raw']:>8.3f}{row['step_us']:>+9.1f}"
            )
        out.append("")
    for size, tree in profile["trees"].items():
        out.append(f"pyinstrument, our sync call, {size} symbols:")
        out.append(tree)
    return "\n".join(out)
