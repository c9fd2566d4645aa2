"""The mock, knowing the benchmark's symbols, for large batches (`python -m
benchmarks._mock_server COUNT`): the mock's own catalogue has a dozen contracts, and a
batch of unknown symbols would measure every symbol failing instead of the usual reply.

Prints "listening on URL" and serves until terminated.
"""

from __future__ import annotations

import signal
import sys

from kucoin_futures_mock import Account, MockKucoin, serve_in_thread

from ._targets import MOCK_QUOTA
from ._workload import BENCH_CREDENTIALS, symbols


def main(count: int) -> None:
    mock = MockKucoin([Account(BENCH_CREDENTIALS)], symbols=symbols(count), quota=MOCK_QUOTA)
    with serve_in_thread(mock) as running:
        print(f"listening on {running.base_url}", flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main(int(sys.argv[1]))
