"""Starting the servers the contenders call: the raw responder and the mock under uvicorn,
each in its own process, optionally pinned to a CPU away from the client."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ._workload import BENCH_CREDENTIALS

READY_TIMEOUT_S = 20.0
# The mock's rate limit would turn a benchmark into a 429 test: lift it.
MOCK_QUOTA = 1_000_000_000


class TargetUnavailable(Exception):
    """A server could not be started; the message says why, for the report."""


def child_env(*, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This environment for a child Python that imports `benchmarks` from wherever the
    parent was started, with unbuffered output and the `drop` variables removed."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def venv_script(name: str) -> str | None:
    """A console script of the running interpreter's environment."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def pinned(command: list[str], cpu: int | None) -> list[str]:
    if cpu is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", str(cpu), *command]


class _Process:
    """A child whose stdout is drained by a thread (so it never blocks on a full pipe) and
    whose stderr goes to a temporary file (read back when it fails)."""

    def __init__(self, command: list[str]) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=child_env(),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TargetUnavailable(f"not ready after {timeout:.0f} s") from None
        if line is None:
            self.popen.wait()
            raise TargetUnavailable(
                f"exited with status {self.popen.returncode}: {self.last_error()}"
            )
        return line

    def last_error(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self._stderr.close()


@contextmanager
def responder(sizes: list[int], cpu: int | None) -> Iterator[dict[int, str]]:
    """Base URL per batch size of a raw responder process."""
    process = _Process(
        pinned([sys.executable, "-m", "benchmarks._responder", *map(str, sizes)], cpu)
    )
    try:
        urls = {}
        while (line := process.next_line(READY_TIMEOUT_S)) != "ready":
            _, size, url = line.split()
            urls[int(size)] = url
        yield urls
    finally:
        process.stop()


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int


@contextmanager
def mock(cpu: int | None, *, symbols: int | None = None) -> Iterator[RunningServer]:
    """`kucoin-futures-mock --port 0`, knowing the bench credentials, in its own process;
    with `symbols`, the mock knowing that many of the benchmark's symbols instead
    (`_mock_server.py`).

    Raises TargetUnavailable (before yielding) when the mock is missing or does not start.
    """
    script = venv_script("kucoin-futures-mock")
    if script is None:
        raise TargetUnavailable("the kucoin-futures-mock command is not installed")
    creds = BENCH_CREDENTIALS
    command = [
        script,
        "--port", "0",
        "--api-key", creds.key,
        "--api-secret", creds.secret,
        "--api-passphrase", creds.passphrase,
        "--quota", str(MOCK_QUOTA),
    ]  # fmt: skip
    if symbols is not None:
        command = [sys.executable, "-m", "benchmarks._mock_server", str(symbols)]
    process = _Process(pinned(command, cpu))
    try:
        prefix = "listening on "
        while not (line := process.next_line(READY_TIMEOUT_S)).startswith(prefix):
            pass
        yield RunningServer(line.removeprefix(prefix).strip(), process.popen.pid)
    finally:
        process.stop()
