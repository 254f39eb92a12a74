"""``make demo``: start the emulators, run every extractor of meltano.yml into target-jsonl,
print how many records each stream produced and where they are, stop the emulators.

``DEMO_NOW=2026-12-01T08:00:00Z make demo`` pins the clock: every emulator serves its data as of
that instant and the taps read up to it, so two demo runs give the same records
(``scripts/compare_outputs.py`` compares them). ``python scripts/demo.py tap-x ...`` runs only
those extractors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from emulators import EmulatorServer, registry

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "output"

# Which emulator each extractor talks to in the `emulators` environment of meltano.yml.
EMULATOR_OF = {
    "tap-brightcove-audience": "brightcove",
    "tap-conviva-sessions": "conviva",
    "tap-vbrick-webcast": "vbrick",
    "tap-webcast-reporting": "webcasts",
}


def extractors() -> list[str]:
    """The base extractors: a partition (``inherit_from``) reads a slice of its base's data."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return [p["name"] for p in project["plugins"]["extractors"] if "inherit_from" not in p]


def pinned_clock(now: str) -> tuple[dict[str, Any], dict[str, str]]:
    """For ``DEMO_NOW``: the emulators' ``now`` option, and the settings that stop the taps at
    that instant instead of at the real time (Conviva reads up to 10 minutes before now)."""
    moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SystemExit(f"DEMO_NOW={now!r} must carry a time zone, e.g. 2026-12-01T08:00:00Z")
    tap_env = {
        "TAP_CONVIVA_SESSIONS_END_DATE": (moment - timedelta(minutes=10)).isoformat(),
        "TAP_VBRICK_WEBCAST_END_DATE": moment.isoformat(),
    }
    return {"now": moment.isoformat()}, tap_env


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def main(only: list[str]) -> int:
    taps = [t for t in extractors() if EMULATOR_OF.get(t) in registry.available()]
    if only:
        unknown = sorted(set(only) - set(taps))
        if unknown:
            raise SystemExit(f"no such extractor with an emulator: {', '.join(unknown)}")
        taps = [t for t in taps if t in only]
    servers: dict[str, EmulatorServer] = {}
    failed: list[str] = []
    rows: list[tuple[str, str, int, str]] = []
    env = {**os.environ, "MELTANO_ENVIRONMENT": "emulators"}
    options: dict[str, Any] = {}
    if now := os.environ.get("DEMO_NOW"):
        options, tap_env = pinned_clock(now)
        env |= tap_env
        print(f"clock pinned at {options['now']}", flush=True)
    try:
        for tap in taps:
            vendor = EMULATOR_OF[tap]
            servers[vendor] = EmulatorServer(vendor, **options).start()
            env[f"{vendor.upper()}_EMULATOR_URL"] = servers[vendor].url
            print(f"emulator {vendor:<11} {servers[vendor].url}", flush=True)
        for tap in taps:
            out = OUTPUT / tap
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            print(
                f"\n$ meltano run {tap} target-jsonl  (output: {out.relative_to(ROOT)})", flush=True
            )
            started = time.monotonic()
            proc = subprocess.run(
                ["meltano", "run", "--full-refresh", tap, "target-jsonl"],
                cwd=ROOT,
                env={**env, "TARGET_JSONL_DESTINATION_PATH": str(out)},
                check=False,
            )
            elapsed = time.monotonic() - started
            if proc.returncode != 0:
                failed.append(tap)
                print(f"  FAILED: {tap} exited {proc.returncode}", file=sys.stderr)
                continue
            print(f"  done in {elapsed:.1f}s", flush=True)
            for path in sorted(out.glob("*.jsonl")):
                rows.append((tap, path.stem, count_lines(path), str(path.relative_to(ROOT))))
    finally:
        for server in servers.values():
            server.stop()

    print(f"\n{'extractor':<26} {'stream':<30} {'records':>9}  file")
    for tap, stream, count, file in rows:
        print(f"{tap:<26} {stream:<30} {count:>9}  {file}")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if not rows:
        print(
            "no records: no extractor with an emulator is declared in meltano.yml", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
