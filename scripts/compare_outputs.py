"""Compare two demo outputs record by record: ``python scripts/compare_outputs.py A B``.

Each folder holds ``<tap>/<stream>.jsonl`` as ``make demo`` writes them (run both with the same
``DEMO_NOW``). Records are compared in order, as parsed JSON; the exit code is 1 when any stream
differs, with the first difference of each stream printed."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def records(path: Path) -> list[object]:
    if not path.exists():
        return []
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def compare(before: Path, after: Path) -> list[str]:
    """One line per stream that differs; empty when every stream is the same."""
    streams = sorted(
        {p.relative_to(before) for p in before.glob("*/*.jsonl")}
        | {p.relative_to(after) for p in after.glob("*/*.jsonl")}
    )
    problems = []
    for stream in streams:
        old, new = records(before / stream), records(after / stream)
        if old == new:
            print(f"same      {stream}: {len(old)} records")
            continue
        first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
        where = f"first difference at record {first + 1}" if first is not None else "a prefix"
        problems.append(f"DIFFERENT {stream}: {len(old)} -> {len(new)} records, {where}")
        print(problems[-1])
        if first is not None:
            print(f"  before: {json.dumps(old[first], sort_keys=True)[:400]}")
            print(f"  after:  {json.dumps(new[first], sort_keys=True)[:400]}")
    if not streams:
        problems.append(f"no <tap>/<stream>.jsonl files under {before} or {after}")
        print(problems[-1])
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if compare(Path(argv[0]), Path(argv[1])) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
