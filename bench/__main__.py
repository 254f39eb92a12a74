"""``python -m bench [name-substring ...]``: run the benchmark cases of every tap."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path

import bench
from bench.common import BenchCase, measure_floor, measure_tap
from emulators import EmulatorServer

SKIP = {"common", "floor", "__main__"}


def cases() -> list[BenchCase]:
    found: list[BenchCase] = []
    for info in pkgutil.iter_modules([str(Path(bench.__file__).parent)]):
        if info.name not in SKIP:
            found.extend(importlib.import_module(f"bench.{info.name}").CASES)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="run only cases whose name contains one of these")
    args = parser.parse_args()
    chosen = [c for c in cases() if not args.only or any(o in c.name for o in args.only)]
    header = (
        f"{'case':<44} {'records':>9} {'rec/s':>9} {'peak RSS':>9}"
        f"   {'floor rec/s':>11} {'floor RSS':>9}"
    )
    rows = []
    for case in chosen:
        with EmulatorServer(case.vendor, **case.emulator_options) as server:
            # The tap first: a floor may replay the requests it made (the emulator's log).
            tap = measure_tap(case, server.url)
            floor = measure_floor(case, server.url)
        if tap.records != floor.records:
            print(
                f"warning: {case.name}: the tap emitted {tap.records} records, the floor saw "
                f"{floor.records}"
            )
        rows.append(
            f"{case.name:<44} {tap.records:>9} {tap.rate:>9.0f} {tap.peak_rss_mb:>7.0f}MB"
            f"   {floor.rate:>11.0f} {floor.peak_rss_mb:>7.0f}MB"
        )
        print(rows[-1], flush=True)
    print("\n" + header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
