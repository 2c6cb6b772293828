"""Benchmarks with their own data generator (`python -m bench.rescore`, `python -m bench.reminders`).

Never collected by pytest; the worker tests reuse the generator in `bench.data`.
"""
