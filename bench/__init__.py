"""Benchmarks with their own data generator: `make bench` (= `python -m bench`) prints them all as one table,
`python -m bench.<name>` runs one (the protocol is at the top of bench/common.py).

Never collected by pytest; the worker tests reuse the generator in `bench.data`.
"""
