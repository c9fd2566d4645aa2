"""Turning measurements into the JSON document and the printed table, and judging each
figure against the issue's targets (reported, never asserted)."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from ._rounds import Series, summary

Doc = dict[str, Any]


def machine() -> Doc:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                "",
            )
    except OSError:
        pass
    return {
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "httpx": httpx.__version__,
    }


def _us(values: dict[str, float]) -> dict[str, float]:
    return {name: round(value / 1000, 2) for name, value in values.items()}


def _baseline_key(series: Series) -> str:
    if series.key.endswith("_read"):
        return "raw_read"
    return f"raw_async_c{series.concurrency}" if series.concurrency else "raw_signed"


def per_call_doc(series: Sequence[Series]) -> list[Doc]:
    """One entry per contender: per-call time (µs) and its ratio to raw httpx doing the
    same work in the same mode (sync, or async at the same concurrency), paired by round."""
    by_key = {s.key: s for s in series}
    rows = []
    for s in series:
        baseline = by_key.get(_baseline_key(s))
        rows.append(
            {
                "key": s.key,
                "label": s.label,
                "symbols": s.size,
                "concurrency": s.concurrency,
                "rounds": len(s.round_ns),
                "calls": len(s.per_call_ns) if s.concurrency <= 1 else None,
                "per_call_us": _us(summary(s.per_call_ns)),
                "round_median_us": _us(summary(s.round_ns)),
                "baseline": baseline.key if baseline else None,
                "ratio": _rounded(s.ratio_to(baseline)) if baseline else None,
            }
        )
    return rows


def scaling_doc(series: Sequence[Series]) -> list[Doc]:
    """Per size: raw and ours per call, ours/raw at that size, ours/ours-at-1-symbol."""
    raw = {s.size: s for s in series if s.key == "raw_signed"}
    ours = {s.size: s for s in series if s.key == "ours_sync"}
    smallest = ours[min(ours)]
    return [
        {
            "symbols": size,
            "raw_signed_us": _us(summary(raw[size].per_call_ns)),
            "ours_sync_us": _us(summary(ours[size].per_call_ns)),
            "ours_over_raw": _rounded(ours[size].ratio_to(raw[size])),
            f"ours_over_ours_{smallest.size}": _rounded(ours[size].ratio_to(smallest)),
        }
        for size in sorted(ours)
    ]


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in values.items()}


def _target(figure: str, value: float | None, target: str, unit: str, note: str = "") -> Doc:
    if value is None:
        status = "not measured"
    else:
        bound = float(target.split()[-1])
        met = value <= bound if target.startswith("<=") else value >= bound
        status = "met" if met else "missed"
    return {
        "figure": figure,
        "value": None if value is None else round(value, 3),
        "unit": unit,
        "target": target,
        "status": status,
        "note": note,
    }


def _find(rows: Sequence[Doc], key: str) -> Doc | None:
    return next((row for row in rows if row["key"] == key), None)


def targets(doc: Doc, ours_variant: str) -> list[Doc]:
    per_call = doc["per_call"].get("responder", {}).get("contenders", [])
    ours2 = _find(per_call, "ours_sync")
    scaling = doc.get("scaling", [])
    largest = max(scaling, key=lambda row: row["symbols"]) if scaling else None
    imports = doc["startup"].get("imports", {})
    memory = doc.get("memory", {})
    throughput = doc.get("throughput", {})
    return [
        _target(
            "ours / raw httpx doing the same work, 2 symbols sync, responder",
            ours2["ratio"]["median"] if ours2 else None, "<= 1.10", "x", ours_variant,
        ),
        _target(
            f"ours / raw httpx, {largest['symbols'] if largest else 1000} symbols, responder",
            largest["ours_over_raw"]["median"] if largest else None, "<= 1.25", "x",
        ),
        _target(
            "import time, kucoin_futures client + generated operation (median)",
            imports.get("ours_median_ms"), "<= 150", "ms",
            f"httpx alone {imports['httpx_median_ms']:.1f} ms here, ours adds"
            f" {imports['over_httpx_ms']:.1f} ms" if "skipped" not in imports
            else imports["skipped"],
        ),
        _target(
            "peak RSS after one call, over raw httpx's",
            memory["ours_mib"] - memory["raw_httpx_mib"] if "ours_mib" in memory else None,
            "<= 3", "MiB", memory.get("skipped", ""),
        ),
        _target(
            "mock throughput, server on one core",
            throughput.get("requests_per_s"), ">= 2000", "req/s",
            throughput.get("skipped", ""),
        ),
    ]  # fmt: skip


def write_json(doc: Doc, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _iqr(values: dict[str, float], digits: int) -> str:
    return f"{values['p25']:.{digits}f}-{values['p75']:.{digits}f}"


def _render_per_call(name: str, section: Doc, title: str = "Per call") -> list[str]:
    if "skipped" in section:
        return [f"{title} against the {name}: skipped ({section['skipped']})"]
    lines = [
        f"{title}, {section['symbols']} symbol(s), against the {name} (µs per call; ratio ="
        " median of per-round ratios to raw httpx in the same mode)",
        f"  {'contender':<44}{'median':>9}{'IQR':>17}{'min':>9}{'ratio':>8}{'ratio IQR':>14}",
    ]
    for row in section["contenders"]:
        t, ratio = row["per_call_us"], row["ratio"]
        text = f"  {row['label']:<44}{t['median']:>9.1f}{_iqr(t, 1):>17}{t['min']:>9.1f}"
        if ratio:
            text += f"{ratio['median']:>8.3f}{_iqr(ratio, 3):>14}"
        lines.append(text)
    return lines


def _render_scaling(rows: list[Doc], against: str = "the responder") -> list[str]:
    per_one = next(k for k in rows[0] if k.startswith("ours_over_ours_"))
    lines = [
        f"Batch-size scaling against {against}, sync (µs per call; ratios paired by round)",
        f"  {'symbols':>7}{'raw signed':>12}{'ours':>10}{'ours/raw':>10}{'IQR':>14}"
        f"{'ours/ours@' + per_one.rsplit('_', 1)[1]:>16}{'IQR':>14}",
    ]
    for row in rows:
        raw, ours = row["raw_signed_us"]["median"], row["ours_sync_us"]["median"]
        lines.append(
            f"  {row['symbols']:>7}{raw:>12.1f}{ours:>10.1f}"
            f"{row['ours_over_raw']['median']:>10.3f}{_iqr(row['ours_over_raw'], 3):>14}"
            f"{row[per_one]['median']:>16.3f}{_iqr(row[per_one], 3):>14}"
        )
    return lines


def _render_startup(doc: Doc) -> list[str]:
    lines = ["Start-up and memory (fresh interpreters, medians)"]
    imports = doc["startup"].get("imports", {})
    if "skipped" in imports:
        lines.append(f"  import time: skipped ({imports['skipped']})")
    elif imports:
        lines.append(
            f"  import kucoin_futures + generated operation: {imports['ours_median_ms']:.1f}"
            f" ms (httpx alone {imports['httpx_median_ms']:.1f} ms; {len(imports['ours_ms'])}"
            " runs each)"
        )
        largest = ", ".join(f"{r['module']} {r['self_ms']:.1f}" for r in imports["slowest"][:6])
        lines.append(f"    largest own import times (ms, -X importtime): {largest}")
    cli = doc["startup"].get("cli_help", {})
    if "skipped" in cli:
        lines.append(f"  kucoin-margin --help: skipped ({cli['skipped']})")
    elif cli:
        lines.append(
            f"  kucoin-margin --help: {cli['cli_median_ms']:.1f} ms wall"
            f" (bare `python -c pass`: {cli['python_bare_median_ms']:.1f} ms)"
        )
    memory = doc.get("memory", {})
    if "skipped" in memory:
        lines.append(f"  peak RSS: skipped ({memory['skipped']})")
    elif memory:
        lines.append(
            f"  peak RSS after one call: ours {memory['ours_mib']:.1f} MiB,"
            f" raw httpx {memory['raw_httpx_mib']:.1f} MiB,"
            f" bare interpreter {memory['python_bare_mib']:.1f} MiB"
        )
    return lines


def _render_throughput(result: Doc) -> list[str]:
    if "skipped" in result:
        return [f"Mock throughput: skipped ({result['skipped']})"]
    failed = f", {result['failed']} failed {result['failed_by_status']}" if result["failed"] else ""
    return [
        f"Mock throughput: {result['requests_per_s']:.0f} signed req/s, "
        f"{result['connections']} keep-alive connections, {result['seconds']:.1f} s{failed}",
        f"  server core busy {result['server_cpu_busy']:.0%},"
        f" load generator core busy {result['load_generator_cpu_busy']:.0%};"
        f" limited by {result['limited_by']}",
    ]


def _render_targets(rows: list[Doc]) -> list[str]:
    lines = ["Targets (issue 20; reported, never asserted)"]
    for row in rows:
        value = "-" if row["value"] is None else f"{row['value']:g} {row['unit']}"
        note = f"\n{'':15}({row['note']})" if row["note"] else ""
        lines.append(
            f"  {row['status'].upper():<13}{row['figure']:<64}{value:>14}"
            f"  target {row['target']}{note}"
        )
    return lines


def render(doc: Doc) -> str:
    m, s = doc["machine"], doc["settings"]
    out = [
        f"Machine: {m['machine']}, {m['cpu_count']} cores ({m['cpu_model'] or 'CPU unknown'}),"
        f" {m['python']}, httpx {m['httpx']}, {m['system']}",
        f"Settings: {s['rounds']} rounds x {s['calls']} calls, warm-up {s['warmup']},"
        f" client CPU {s['client_cpu']}, server CPU {s['server_cpu']}",
        f"Ours: {doc['ours_variant']}",
    ]
    for name, section in doc["per_call"].items():
        out += ["", *_render_per_call(name, section)]
    for name, section in doc.get("reads", {}).items():
        out += ["", *_render_per_call(name, section, "Read (get_margin_mode)")]
    if doc.get("scaling"):
        out += ["", *_render_scaling(doc["scaling"])]
    if doc.get("scaling_mock"):
        out += ["", *_render_scaling(doc["scaling_mock"], "the mock (knowing every symbol)")]
    out += ["", *_render_startup(doc)]
    out += ["", *_render_throughput(doc.get("throughput", {}))]
    out += ["", *_render_targets(doc["targets"])]
    out += [f"Note: {note}" for note in doc["notes"]]
    return "\n".join(out)
