"""``python -m bench [--latency MS] [--markdown] [name-substring ...]``: run the benchmark cases
of every tap, then print the tables (as Markdown with ``--markdown``, for the README)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys
from functools import partial
from pathlib import Path

import bench
from bench.case import BenchCase
from bench.parse_vs_lxml import REGISTRANTS, run_parse_case
from bench.report import cost_table, parse_table, throughput_table
from bench.run_case import run_case

DEFAULT_LATENCY_MS = 150.0
PARSE_CASE_NAME = "tap-webcast-reporting webcasts parse 1M vs lxml"


def cases() -> list[BenchCase]:
    found: list[BenchCase] = []
    # A tap's cases live in bench/<tap_package>.py; every other module is the bench's own.
    for info in pkgutil.iter_modules([str(Path(bench.__file__).parent)]):
        if info.name.startswith("tap_"):
            found.extend(importlib.import_module(f"bench.{info.name}").CASES)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="run only cases whose name contains one of these")
    parser.add_argument(
        "--latency",
        type=float,
        default=DEFAULT_LATENCY_MS,
        metavar="MS",
        help=f"the emulators' latency of the latency runs, in ms ({DEFAULT_LATENCY_MS:g})",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the tables as Markdown (progress: stderr)"
    )
    args = parser.parse_args()
    # Stopped by SIGTERM, still stop the emulator processes (their context managers' exits).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def chosen(*names: str) -> bool:
        return not args.only or any(o in n for o in args.only for n in names)

    report = partial(print, file=sys.stderr if args.markdown else sys.stdout, flush=True)
    latency = args.latency / 1000
    results = [run_case(c, latency, report) for c in cases() if chosen(c.name, c.label)]
    parse = run_parse_case() if chosen(PARSE_CASE_NAME) else None
    if parse is not None:
        for name, m in (("tap parse", parse.tap), ("bare lxml", parse.lxml)):
            run = m.run
            report(
                f"webcasts parse {REGISTRANTS:,}: {name}: "
                + (
                    f"{run.records} records in {run.wall_seconds:.1f} s, CPU "
                    f"{run.cpu_seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB"
                    if run and m.ok
                    else f"failed: {m.failure}"
                )
            )
    tables = [throughput_table(results, latency), cost_table(results)] if results else []
    tables += [parse_table(parse)] if parse is not None else []
    print()
    print("\n\n".join(t.markdown() if args.markdown else t.text() for t in tables))


if __name__ == "__main__":
    main()
