"""The taps' built packages, made by the script `make dist` runs (scripts/build_dists.py)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from testkit import ROOT

BUILD = ROOT / "scripts" / "build_dists.py"


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


def build(folder: Path, taps: list[str]) -> dict[str, Built]:
    """Each tap's wheel and sdist, built into ``folder``."""
    done = subprocess.run(
        [sys.executable, str(BUILD), str(folder)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    built = {}
    for tap in taps:
        stem = tap.replace("-", "_")
        (wheel,) = folder.glob(f"{stem}-*.whl")
        (sdist,) = folder.glob(f"{stem}-*.tar.gz")
        built[tap] = Built(wheel, sdist)
    return built
