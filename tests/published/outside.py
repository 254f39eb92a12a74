"""Running things as a user outside this repository would: in a folder of their own, with an
environment that names nothing of this checkout (no workspace venv, no PYTHONPATH, no Meltano
or tap settings of ours), Meltano Hub unreachable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from testkit import ROOT

#: A closed port on loopback: any request to the Hub fails at once, so a test passes only
#: when nothing asks it.
NO_HUB = "http://127.0.0.1:9"
_LEAKY = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX")
_LEAKY_PREFIXES = ("UV_PROJECT", "MELTANO_", "TAP_", "TARGET_")


def outside_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _LEAKY and not k.startswith(_LEAKY_PREFIXES) and not k.endswith("_EMULATOR_URL")
    }
    # PATH without the workspace venv's bin/: only what we name by full path runs from there.
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["MELTANO_HUB_URL"] = NO_HUB
    return {**env, **extra}


def run(
    args: list[str], cwd: Path, *, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run a command outside the repository; fail the test with its output if it fails."""
    assert not Path(cwd).resolve().is_relative_to(ROOT), f"{cwd} is inside the repository"
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env or outside_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {done.returncode}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        )
    return done


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """This workspace's uv (a tool, as a user has theirs), run outside the repository."""
    return run([sys.executable, "-m", "uv", *args], cwd)


def new_venv(folder: Path) -> Path:
    """A virtual environment of the Python running the tests, with nothing installed; its
    python."""
    uv("venv", "--quiet", "--python", sys.executable, str(folder), cwd=folder.parent)
    return folder / "bin" / "python"


def sync(executable: Path, config: dict[str, Any], folder: Path) -> Counter[str]:
    """A whole sync of the tap (every stream, no catalog, no state) from ``folder``: the number
    of records of each stream."""
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(config))
    done = run([str(executable), "--config", str(config_path)], folder)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return Counter(m["stream"] for m in messages if m["type"] == "RECORD")


#: What an interpreter imports a tap from: its module file, its installed version, sys.path.
_PROBE = (
    "import importlib, importlib.metadata, json, sys; tap = sys.argv[1]; "
    "module = importlib.import_module(tap.replace('-', '_')); "
    "print(json.dumps([module.__file__, importlib.metadata.version(tap), sys.path]))"
)


def installed(python: Path, tap: str, cwd: Path) -> tuple[Path, str, list[str]]:
    """Where ``python`` imports the tap from, its version, and the import path it searches."""
    module_file, version, path = json.loads(run([str(python), "-c", _PROBE, tap], cwd).stdout)
    return Path(module_file), str(version), list(path)
