"""`make bench`: run every benchmark (each in its own scratch database) and print one table.

    .venv/bin/python -m bench [--only api lists] [--postgres URL] [--broker URL]

Each module follows the protocol of bench/common.py. A benchmark that fails or is missing gets a row saying
so, and the others still run; the exit status is 1 when a row failed or a goal was not met.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback

from bench.common import Row, log, module_parser, parser, table

# In the order of the table of issue 16 (re-scoring, API, uploads, then the goals already met).
BENCHMARKS = ("rescore", "api", "upload", "lists", "reminders", "latency")


def failure(exc: Exception) -> str:
    first = (str(exc).splitlines() or [""])[0]
    return f"failed: {type(exc).__name__}: {first}"[:160]


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS), help="these benchmarks only")
    args = p.parse_args(argv)
    common = ["--postgres", args.postgres, "--broker", args.broker]
    rows: list[Row] = []
    for name in args.only:
        started = time.perf_counter()
        log(f"== bench.{name}")
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            rows.append(Row(f"bench.{name}", f"not measured: bench/{name}.py is missing", "—", None))
            continue
        try:
            if not hasattr(module, "run"):
                raise TypeError(f"bench.{name} has no run(args) -> list[Row] (see bench/common.py)")
            rows.extend(module.run(module_parser(module).parse_args(common)))
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' rows
            traceback.print_exc()
            rows.append(
                Row(
                    f"bench.{name}",
                    failure(exc),
                    "—",
                    False,
                )
            )
        log(f"== bench.{name}: {time.perf_counter() - started:.0f} s")
    print(table(rows), flush=True)
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
