"""Each built wheel, installed into a new virtual environment outside the repository (its
dependencies from the package index, as ``pip install`` takes them), answers ``--about`` as the
tap in this workspace does and syncs every stream from its emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from published.builds import Built
from published.cases import CASES, Case
from published.outside import installed, new_venv, run, sync, uv
from testkit import ROOT, tap_executable


def about(executable: str | Path, cwd: Path) -> dict:
    done = run([str(executable), "--about", "--format=json"], cwd)
    return dict(json.loads(done.stdout))


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=[c.tap for c in CASES])
def test_the_wheel_alone_answers_about_and_syncs(
    case: Case, dists: dict[str, Built], tmp_path: Path
) -> None:
    python = new_venv(tmp_path / "venv")
    wheel = str(dists[case.tap].wheel)
    uv("pip", "install", "--quiet", "--python", str(python), wheel, cwd=tmp_path)
    module_file, _, path = installed(python, case.tap, tmp_path)
    assert module_file.is_relative_to(tmp_path / "venv"), module_file
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)], path

    executable = tmp_path / "venv" / "bin" / case.tap
    alone = about(executable, tmp_path)
    here = about(tap_executable(case.tap), tmp_path)
    for key in ("name", "version", "capabilities", "settings"):
        assert alone[key] == here[key], key

    server = case.start()
    try:
        counts = sync(executable, case.config(server), tmp_path)
    finally:
        server.stop()
    assert [s for s in case.streams if not counts[s]] == [], counts
