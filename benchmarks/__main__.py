"""Per-call overhead against raw httpx, batch scaling, start-up, memory and mock throughput:
printed as a table and written as JSON. Targets are reported, never asserted."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import _ours, _report, _startup
from ._contenders import Contender, OursSync, RawSigned, per_call_set, read_set
from ._report import Doc
from ._rounds import run_rounds
from ._targets import TargetUnavailable, mock, responder
from ._throughput import mock_throughput
from ._workload import READ_PORT

PER_CALL_SYMBOLS = 2  # the documented example's size


# Presets: a full run (about 3 minutes on 2 cores) and a smoke run (under 30 s).
FULL = {"rounds": 30, "calls": 150, "warmup": 10, "startup_runs": 9, "throughput_seconds": 3.0}
QUICK = {"rounds": 5, "calls": 30, "warmup": 3, "startup_runs": 3, "throughput_seconds": 1.0}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    add = parser.add_argument

    def preset(name: str, kind: type[int] | type[float], text: str) -> None:
        flag = "--" + name.replace("_", "-")
        add(flag, type=kind, help=f"{text} (default {FULL[name]:g}; --quick: {QUICK[name]:g})")

    add("--quick", action="store_true", help="smoke run: the --quick presets below")
    preset("rounds", int, "interleaved rounds")
    preset("calls", int, "timed calls per contender per round at 2 symbols (fewer for "
           "large batches, half against the mock)")  # fmt: skip
    preset("warmup", int, "untimed calls per contender before each round")
    preset("startup_runs", int, "fresh interpreters per start-up figure")
    preset("throughput_seconds", float, "measured seconds of load on the mock")
    add(
        "--connections",
        type=int,
        default=8,
        help="keep-alive connections of the load generator (default %(default)s)",
    )
    add("--concurrency", default="1,32", help="async concurrencies (default %(default)s)")
    add("--sizes", default="1,10,100,1000", help="batch sizes for scaling (default %(default)s)")
    add("--no-mock", action="store_true", help="skip what needs the mock")
    add("--no-pin", action="store_true", help="do not pin client and servers to separate CPUs")
    add(
        "--profile",
        action="store_true",
        help="also measure a layer ladder and print pyinstrument trees of our call",
    )
    add("--seed", type=int, default=0, help="seed of the round-order shuffle (default 0)")
    add("--json", type=Path, default=Path("build/bench.json"),
        help="where to write the figures (default %(default)s)")  # fmt: skip
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def _cpus(pin: bool) -> tuple[int | None, int | None]:
    """(client CPU, server CPU): two different cores when there are two to choose from."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[0], available[1]


@contextmanager
def _pinned_to(cpu: int | None) -> Iterator[None]:
    if cpu is None:
        yield
        return
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


def _calls_for(base: int, *, against_mock: bool = False) -> Callable[[Contender], int]:
    def calls(contender: Contender) -> int:
        # Keep a round's time roughly even across sizes; the mock is slower per call.
        scaled = base / (1 + contender.size / 250) / (2 if against_mock else 1)
        return max(10, int(scaled))

    return calls


def _measured(measure: Callable[[], dict[str, object]]) -> dict[str, object]:
    """The figures, or why there are none: one failing part must not lose the others."""
    try:
        return measure()
    except _startup.NotMeasured as error:
        return {"skipped": str(error)}


def run(args: argparse.Namespace) -> Doc:
    client_cpu, server_cpu = _cpus(not args.no_pin)
    concurrencies = [int(c) for c in args.concurrency.split(",") if c]
    sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    doc: Doc = {
        "machine": _report.machine(),
        "settings": {
            "rounds": args.rounds, "calls": args.calls, "warmup": args.warmup,
            "startup_runs": args.startup_runs, "throughput_seconds": args.throughput_seconds,
            "connections": args.connections, "concurrency": concurrencies, "sizes": sizes,
            "client_cpu": client_cpu, "server_cpu": server_cpu, "seed": args.seed,
        },
        "ours_variant": _ours.VARIANT,
        "per_call": {},
        "notes": [],
    }  # fmt: skip
    rounds = {"rounds": args.rounds, "warmup": args.warmup, "seed": args.seed}

    served = sorted({*sizes, PER_CALL_SYMBOLS, READ_PORT})
    with _pinned_to(client_cpu), responder(served, server_cpu) as urls:
        contenders = per_call_set(urls[PER_CALL_SYMBOLS], PER_CALL_SYMBOLS, concurrencies)
        series = run_rounds(contenders, calls_for=_calls_for(args.calls), **rounds)
        doc["per_call"]["responder"] = {
            "symbols": PER_CALL_SYMBOLS,
            "contenders": _report.per_call_doc(series),
        }
        reads = run_rounds(read_set(urls[READ_PORT]), calls_for=_calls_for(args.calls), **rounds)
        doc["reads"] = {"responder": {"symbols": 1, "contenders": _report.per_call_doc(reads)}}
        scaling: list[Contender] = []
        for size in sizes:
            scaling += [RawSigned(urls[size], size), OursSync(urls[size], size)]
        doc["scaling"] = _report.scaling_doc(
            run_rounds(scaling, calls_for=_calls_for(args.calls), **rounds)
        )
        doc["memory"] = _measured(lambda: _startup.peak_rss(urls[PER_CALL_SYMBOLS]))
        if args.profile:
            from ._profile import profile_ours

            doc["profile"] = profile_ours(urls, [PER_CALL_SYMBOLS, max(sizes)], rounds=args.rounds)

    if args.no_mock:
        doc["per_call"]["mock"] = {"skipped": "--no-mock"}
        doc["throughput"] = {"skipped": "--no-mock"}
    else:
        try:
            with mock(server_cpu) as server, _pinned_to(client_cpu):
                doc["throughput"] = mock_throughput(
                    server.url,
                    server_pid=server.pid,
                    size=PER_CALL_SYMBOLS,
                    connections=args.connections,
                    warmup_s=min(0.5, args.throughput_seconds),
                    duration_s=args.throughput_seconds,
                )
                contenders = per_call_set(server.url, PER_CALL_SYMBOLS, concurrencies)
                calls = _calls_for(args.calls, against_mock=True)
                series = run_rounds(contenders, calls_for=calls, **rounds)
                doc["per_call"]["mock"] = {
                    "symbols": PER_CALL_SYMBOLS,
                    "contenders": _report.per_call_doc(series),
                }
                reads = run_rounds(read_set(server.url), calls_for=calls, **rounds)
                doc["reads"]["mock"] = {"symbols": 1, "contenders": _report.per_call_doc(reads)}
            largest = max(sizes)
            with mock(server_cpu, symbols=largest) as server, _pinned_to(client_cpu):
                pair = [RawSigned(server.url, largest), OursSync(server.url, largest)]
                series = run_rounds(pair, calls_for=calls, **rounds)
                doc["scaling_mock"] = _report.scaling_doc(series)
        except TargetUnavailable as error:
            reason = f"mock not available: {error}"
            doc["per_call"]["mock"] = {"skipped": reason}
            doc["throughput"] = {"skipped": reason}

    doc["startup"] = {
        "imports": _measured(lambda: _startup.import_times(args.startup_runs)),
        "cli_help": _measured(lambda: _startup.cli_help(args.startup_runs)),
    }

    if client_cpu is None:
        doc["notes"].append("client and servers were not pinned to separate CPUs")
    doc["targets"] = _report.targets(doc, _ours.VARIANT)
    return doc


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    doc = run(args)
    print(_report.render(doc))
    if "profile" in doc:
        from ._profile import render

        print()
        print(render(doc["profile"]))
    _report.write_json(doc, args.json)
    print(f"\nFigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
