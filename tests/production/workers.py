"""Workers as production has them: each a fresh copy of the Meltano project (its meltano.yml, no
state of its own), all sharing one Meltano system database or state backend; and a local
S3-compatible server (moto's, a process of its own) for the S3 state backend."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from testkit import ROOT, PgTarget, console_script


@dataclass
class Worker:
    """A fresh copy of the project in ``root``: meltano.yml only, and the plugin venvs of the
    repository's `make plugins` linked in (a container would have run `meltano install`; the
    same pip_url keeps Meltano from installing again)."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fresh(cls, root: Path, env: dict[str, str]) -> Worker:
        (root / ".meltano").mkdir(parents=True)
        shutil.copy(ROOT / "meltano.yml", root / "meltano.yml")
        for kind in ("extractors", "loaders"):
            installed = ROOT / ".meltano" / kind
            assert installed.is_dir(), "the plugins are not installed: run `make plugins`"
            (root / ".meltano" / kind).symlink_to(installed)
        return cls(root, env)

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {
            **os.environ,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "emulators",
            **self.env,
            **(extra or {}),
        }

    def meltano(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [console_script("meltano"), *args],
            cwd=self.root,
            env=self._env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            command = " ".join(args)
            pytest.fail(f"meltano {command} exited {done.returncode}:\n{done.stderr[-4000:]}")
        return done

    def script(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        """One of the repository's scripts/, run in this copy as a worker would."""
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / name), *args],
            cwd=self.root,
            env=self._env(None),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"scripts/{name} exited {done.returncode}:\n{done.stderr[-4000:]}")
        return done

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """``meltano ARGS`` in the background; the caller waits on it (:func:`finish`)."""
        return subprocess.Popen(
            [console_script("meltano"), *args],
            cwd=self.root,
            env=self._env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def state(self, state_id: str) -> dict[str, Any]:
        return dict(json.loads(self.meltano("state", "get", state_id).stdout))


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> str:
    """Wait for a :meth:`Worker.start` process; fail with its stderr unless it exited 0."""
    _, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, proc.args))} exited {proc.returncode}:\n{err[-4000:]}")
    return err


def drop_schema(target: PgTarget) -> None:
    import psycopg

    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')  # type: ignore[arg-type]


@contextmanager
def meltano_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of the test's own for Meltano's system database (its tables live in
    ``public``), as the ``postgresql+psycopg://`` URI Meltano takes; dropped afterwards."""
    import psycopg

    name = f"meltano_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3-compatible server on a free loopback port (a real HTTP server process); its
    URL once it listens (read from the line it prints, no polling)."""
    proc = subprocess.Popen(
        [console_script("moto_server"), "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if found := re.search(r"Running on (http://127\.0\.0\.1:\d+)", line):
                break
        else:
            pytest.fail(f"moto_server exited {proc.wait()} before listening")
        # Keep reading what it prints (a line per request), so that its pipe never fills.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
