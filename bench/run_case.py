"""One case's runs, each emulator a process of its own: the tap then its floor at 0 ms on one
emulator (the Conviva floor replays the windows the tap asked for from its request log), then,
for a case with a documented request rate, the tap at the bench's latency with its default
concurrency and with one request at a time, each on a fresh emulator (no rate-limit window
left over from the run before)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.case import BenchCase
from bench.emulator_process import EmulatorError, EmulatorProcess
from bench.measure import Measured, measure_floor, measure_tap

#: The bench's latency spread: each answer up to this much later than the latency (a loopback
#: emulator otherwise answers in lockstep, which no real API does).
LATENCY_SPREAD_SECONDS = 0.020
# The runs at 0 ms measure the cost per record: the vendor's limits are lifted and the tap
# keeps no pace of its own, so neither the tap nor its floor waits. Waiting is not free on a
# shared virtual machine: the same work interleaved with 20 ms sleeps took 60 % more CPU time
# here (caches and cores go cold), so a tap pacing itself at the vendor's limit and a floor
# that does not would not compare.


@dataclass
class CaseResult:
    case: BenchCase
    tap: Measured
    floor: Measured
    #: At the bench's latency (None: the case has no documented rate to reach).
    tap_at_latency: Measured | None = None
    tap_one_at_a_time: Measured | None = None


def describe(case: BenchCase, what: str, measured: Measured) -> str:
    """One progress line: a run's figures beside the emulator's counts for that run."""
    head = f"{case.label}: {what}:"
    if measured.run is None:
        return f"{head} failed: {measured.failure}"
    run = measured.run
    text = (
        f"{head} {run.records} records in {run.wall_seconds:.1f} s ({run.rate:.0f} rec/s), "
        f"CPU {run.cpu_seconds:.1f} s ({run.records_per_cpu_second:.0f} rec/CPU-s), "
        f"peak RSS {run.peak_rss_mb:.0f} MB"
    )
    if measured.counts is not None:
        rate = measured.requests_per_second
        text += (
            f"; emulator: {measured.counts.requests} requests"
            + (f" ({rate:.1f}/s)" if rate is not None else "")
            + f", {measured.counts.throttled} x 429"
        )
    return text + (f"; FAILED {measured.failure}" if measured.failure else "")


def _on_emulator(
    case: BenchCase,
    latency: float,
    runs: list[Callable[[EmulatorProcess], Measured]],
    *,
    unthrottled: bool = False,
) -> list[Measured]:
    """The runs one after another on one emulator process (with the vendor's limits lifted if
    ``unthrottled``); a run the emulator failed is recorded as failed (why, in its failure) and
    the next one still tried."""
    spread = LATENCY_SPREAD_SECONDS if latency else 0.0
    options = {**case.emulator_options, **(case.unthrottled_options if unthrottled else {})}
    done: list[Measured] = []
    try:
        with EmulatorProcess(
            case.vendor, latency=latency, latency_spread=spread, options=options
        ) as emulator:
            for run in runs:
                try:
                    done.append(run(emulator))
                except EmulatorError as exc:
                    done.append(Measured(failure=str(exc)))
    except EmulatorError as exc:  # it did not start
        done += [Measured(failure=str(exc)) for _ in runs[len(done) :]]
    return done


def run_case(case: BenchCase, latency: float, report: Callable[[str], None]) -> CaseResult:
    tap, floor = _on_emulator(
        case,
        0.0,
        [lambda e: measure_tap(case, e, unpaced=True), lambda e: measure_floor(case, e)],
        unthrottled=True,
    )
    report(describe(case, "tap at 0 ms", tap))
    report(describe(case, "floor at 0 ms", floor))
    if tap.ok and floor.ok and tap.run and floor.run and tap.run.records != floor.run.records:
        report(
            f"warning: {case.label}: the tap wrote {tap.run.records} records, "
            f"the floor {floor.run.records}"
        )
    result = CaseResult(case, tap, floor)
    if case.documented_rate is None:
        return result
    ms = f"{latency * 1000:g} ms"
    (result.tap_at_latency,) = _on_emulator(case, latency, [lambda e: measure_tap(case, e)])
    report(describe(case, f"tap at {ms}", result.tap_at_latency))
    (result.tap_one_at_a_time,) = _on_emulator(
        case, latency, [lambda e: measure_tap(case, e, max_concurrent_requests=1)]
    )
    report(describe(case, f"tap at {ms}, max_concurrent_requests 1", result.tap_one_at_a_time))
    return result
