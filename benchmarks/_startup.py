"""Start-up and memory, each measured in fresh interpreters.

Children run with bytecode caching allowed (an installed package has its `.pyc` files):
a priming run writes any cache a `PYTHONDONTWRITEBYTECODE` environment kept from being
written, so no figure includes compiling source.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from contract_tests.operations import BATCH_PATH

from ._targets import child_env, venv_script

OUR_IMPORTS = (
    "kucoin_futures._client",
    "kucoin_futures_client.api.positions.batch_change_margin_mode",
)
_IMPORT_TIMER = """
import time
start = time.perf_counter_ns()
{imports}
print(time.perf_counter_ns() - start)
"""
# Linux's ru_maxrss survives exec: a child forked from this (large) process would report
# at least the parent's size. VmHWM is the peak of the child's own memory map.
_PEAK_RSS_KIB = """
def peak_rss_kib():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
_RSS_AFTER_OURS = """
import sys
from benchmarks._ours import SyncCall
from benchmarks._workload import symbols
call = SyncCall(sys.argv[1], symbols(2))
assert call() == 2
print(peak_rss_kib())
"""
_RSS_AFTER_RAW = """
import json, sys, time, httpx
from kucoin_futures_auth import kucoin_headers
from benchmarks._workload import BENCH_CREDENTIALS, request_payload
PATH = sys.argv[2]  # the batch path, from the parent (importing the spec would cost RSS)
body = json.dumps(request_payload(2), separators=(",", ":")).encode()
headers = kucoin_headers(BENCH_CREDENTIALS, "POST", PATH, body, int(time.time() * 1000))
response = httpx.Client(base_url=sys.argv[1]).post(PATH, content=body, headers=headers)
reply = json.loads(response.content)
assert reply["code"] == "200000"
print(peak_rss_kib())
"""
_RSS_BARE = "print(peak_rss_kib())"


def _env() -> dict[str, str]:
    return child_env(drop=("PYTHONDONTWRITEBYTECODE",))


class NotMeasured(Exception):
    """A figure could not be measured (a command missing or failing); says why."""


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(no output)"


def _python(code: str, *args: str, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    child = subprocess.run(
        [sys.executable, *flags, "-c", code, *args], capture_output=True, text=True, env=_env()
    )
    if child.returncode != 0:
        raise NotMeasured(f"a fresh interpreter failed: {_last_line(child.stderr)}")
    return child


def _import_ms(modules: tuple[str, ...], runs: int) -> list[float]:
    code = _IMPORT_TIMER.format(imports="\n".join(f"import {m}" for m in modules))
    _python(code)  # priming: bytecode caches
    return [int(_python(code).stdout) / 1e6 for _ in range(runs)]


def slowest_imports(modules: tuple[str, ...], top: int = 8) -> list[dict[str, object]]:
    """`python -X importtime`: the modules whose own import time (without the imports they
    make) is largest, with their cumulative time."""
    stderr = _python("\n".join(f"import {m}" for m in modules), flags=("-X", "importtime")).stderr
    rows: list[tuple[int, int, str]] = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "[us]" not in line:
            own, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(own), int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return [
        {"module": name, "self_ms": own / 1000, "cumulative_ms": cumulative / 1000}
        for own, cumulative, name in rows[:top]
    ]


def import_times(runs: int) -> dict[str, object]:
    ours = _import_ms(OUR_IMPORTS, runs)
    httpx_alone = _import_ms(("httpx",), runs)
    return {
        "ours_ms": ours,
        "httpx_ms": httpx_alone,
        "ours_median_ms": statistics.median(ours),
        "httpx_median_ms": statistics.median(httpx_alone),
        "over_httpx_ms": statistics.median(ours) - statistics.median(httpx_alone),
        "slowest": slowest_imports(OUR_IMPORTS),
    }


def _wall_ms(command: list[str]) -> float:
    start = time.perf_counter_ns()
    subprocess.run(command, capture_output=True, env=_env(), check=True)
    return (time.perf_counter_ns() - start) / 1e6


def cli_help(runs: int) -> dict[str, object]:
    """Wall time of `kucoin-margin --help`, and of a bare `python -c pass` for scale."""
    script = venv_script("kucoin-margin")
    if script is None:
        raise NotMeasured("the kucoin-margin command is not installed")
    probe = subprocess.run([script, "--help"], capture_output=True, text=True, env=_env())
    if probe.returncode != 0:
        raise NotMeasured(
            f"kucoin-margin --help exited {probe.returncode}: {_last_line(probe.stderr)}"
        )
    cli = [_wall_ms([script, "--help"]) for _ in range(runs)]
    bare = [_wall_ms([sys.executable, "-c", "pass"]) for _ in range(runs)]
    return {
        "cli_ms": cli,
        "python_bare_ms": bare,
        "cli_median_ms": statistics.median(cli),
        "python_bare_median_ms": statistics.median(bare),
    }


def _maxrss_mib(code: str, *args: str) -> float:
    return int(_python(_PEAK_RSS_KIB + code, *args).stdout) / 1024


def peak_rss(base_url: str) -> dict[str, object]:
    """Peak RSS (MiB) of a fresh interpreter after one call to `base_url`."""
    return {
        "ours_mib": _maxrss_mib(_RSS_AFTER_OURS, base_url),
        "raw_httpx_mib": _maxrss_mib(_RSS_AFTER_RAW, base_url, BATCH_PATH),
        "python_bare_mib": _maxrss_mib(_RSS_BARE),
    }
