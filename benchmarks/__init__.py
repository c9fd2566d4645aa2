"""`make bench`: per-call overhead against raw httpx, batch scaling, start-up, memory and
mock throughput, printed as a table and written as JSON.

Run `python -m benchmarks --help` for the options and their defaults.
"""
