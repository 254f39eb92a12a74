"""The tables at the end of ``make bench``, from every case's results."""

from __future__ import annotations

from bench.case import request_rate_goal
from bench.measure import Measured
from bench.parse_vs_lxml import PEAK_RSS_GOAL_MB, RATE_RATIO_GOAL, ParseResult
from bench.run_case import CaseResult
from bench.table import Table

NONE = "-"
FAILED = "failed"


def _number(value: float | None, digits: int = 0) -> str:
    return NONE if value is None else f"{value:,.{digits}f}"


def _met(met: bool) -> str:
    return "met" if met else "NOT met"


def _cell(measured: Measured | None, value: float | None, digits: int = 0) -> str:
    if measured is None:
        return NONE
    return FAILED if not measured.ok else _number(value, digits)


def _failures(results: list[CaseResult]) -> list[str]:
    notes = []
    for r in results:
        runs = {
            "tap at 0 ms": r.tap,
            "floor": r.floor,
            "tap at the latency": r.tap_at_latency,
            "tap with max_concurrent_requests 1": r.tap_one_at_a_time,
        }
        notes += [
            f"{r.case.label}, {what}: failed: {m.failure}"
            for what, m in runs.items()
            if m is not None and m.failure
        ]
    return notes


def throughput_table(results: list[CaseResult], latency: float) -> Table:
    ms = f"{latency * 1000:g}ms"
    table = Table(
        f"Throughput: records/s at 0 and {ms}; at {ms}, the emulator's requests/s beside the "
        "documented rate",
        [
            "case",
            "records",
            "rec/s 0ms",
            f"rec/s {ms}",
            f"req/s {ms}",
            "req/s c=1",
            "documented",
            "goal",
            "met",
            "429s",
        ],
    )
    for r in results:
        slow, one = r.tap_at_latency, r.tap_one_at_a_time
        records = r.tap.run.records if r.tap.ok and r.tap.run else None
        row = [r.case.label, _number(records), _cell(r.tap, r.tap.run.rate if r.tap.run else None)]
        if r.case.documented_rate is None or slow is None or one is None:
            table.rows.append([*row, *[NONE] * 7])
            continue
        goal = request_rate_goal(r.case.documented_rate, one.requests_per_second)
        slow_rate = slow.requests_per_second
        throttled = [m.counts.throttled if m.counts else None for m in (r.tap, slow, one)]
        met = slow.ok and slow_rate is not None and slow_rate >= goal and throttled[1] == 0
        row += [
            _cell(slow, slow.run.rate if slow.run else None),
            _cell(slow, slow_rate, 1),
            _cell(one, one.requests_per_second, 1),
            _number(r.case.documented_rate),
            _number(goal, 1),
            _met(met),
            "/".join(NONE if t is None else str(t) for t in throttled),
        ]
        table.rows.append(row)
    table.notes = [
        "0ms: the vendor's limits lifted and the tap unpaced (the cost runs, below); "
        f"goal: min(0.8 x documented, 5 x req/s at c=1) requests/s at {ms}, with no 429; c=1: "
        "max_concurrent_requests 1; 429s: the tap at 0ms / at "
        f"{ms} / at {ms} with c=1 (the emulator's counts)",
        *_failures(results),
    ]
    return table


def cost_table(results: list[CaseResult]) -> Table:
    table = Table(
        "Cost per record at 0 ms, the vendor's limits lifted and the tap unpaced (neither side "
        "waits): records per CPU-second (user + system) of the tap's own process beside its "
        "floor's",
        [
            "case",
            "records",
            "tap rec/CPU-s",
            "floor rec/CPU-s",
            "tap/floor",
            "goal",
            "met",
            "tap RSS",
            "floor RSS",
        ],
    )
    for r in results:
        tap, floor = r.tap.run, r.floor.run
        ratio = None
        if r.tap.ok and r.floor.ok and tap and floor and floor.records_per_cpu_second:
            ratio = tap.records_per_cpu_second / floor.records_per_cpu_second
        goal = r.case.floor_ratio_goal
        table.rows.append(
            [
                r.case.label,
                _cell(r.tap, tap.records if tap else None),
                _cell(r.tap, tap.records_per_cpu_second if tap else None),
                _cell(r.floor, floor.records_per_cpu_second if floor else None),
                _number(ratio, 2),
                NONE if goal is None else f">= {goal}",
                NONE if goal is None else _met(ratio is not None and ratio >= goal),
                _cell(r.tap, tap.peak_rss_mb if tap else None) + " MB" * r.tap.ok,
                _cell(r.floor, floor.peak_rss_mb if floor else None) + " MB" * r.floor.ok,
            ]
        )
    table.notes = [
        "floor: the same pages fetched and decoded with requests + json (lxml for XML), each "
        "record written as a Singer RECORD line with msgspec; RSS: peak VmHWM of each process"
    ]
    return table


def parse_table(result: ParseResult) -> Table:
    table = Table(
        f"webcasts.com parse: one report of {result.registrants:,} registrants on disk, the tap's "
        "parse beside bare lxml iterparse",
        ["parse", "records", "wall s", "rec/s", "CPU s", "rec/CPU-s", "peak RSS"],
    )
    if result.unavailable:
        table.notes = [f"not available: {result.unavailable}"]
        return table
    for name, m in (("tap", result.tap), ("bare lxml", result.lxml)):
        run = m.run
        table.rows.append(
            [
                name,
                _cell(m, run.records if run else None),
                _cell(m, run.wall_seconds if run else None, 1),
                _cell(m, run.rate if run else None),
                _cell(m, run.cpu_seconds if run else None, 1),
                _cell(m, run.records_per_cpu_second if run else None),
                _cell(m, run.peak_rss_mb if run else None) + " MB" * m.ok,
            ]
        )
    ratio, tap = result.rate_ratio, result.tap.run
    rss_met = result.tap.ok and tap is not None and tap.peak_rss_mb <= PEAK_RSS_GOAL_MB
    table.notes = [
        f"tap/lxml rate {_number(ratio, 2)} (goal >= {RATE_RATIO_GOAL}): "
        f"{_met(ratio is not None and ratio >= RATE_RATIO_GOAL)}; tap peak RSS "
        f"{_number(tap.peak_rss_mb if tap and result.tap.ok else None)} MB "
        f"(goal <= {PEAK_RSS_GOAL_MB:g} MB): {_met(rss_met)}",
        *[
            f"{n}: failed: {m.failure}"
            for n, m in (("tap", result.tap), ("lxml", result.lxml))
            if m.failure
        ],
    ]
    return table
