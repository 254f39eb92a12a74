"""Helpers every tap's tests share (importable as ``testkit``: pytest's ``pythonpath`` setting
puts tests/ on the import path).

The one harness that runs a tap (:func:`run_tap` in-process, :func:`run_cli` as its console
script) and what it returns (:class:`TapOutput`); emulators on loopback; the check that no
secret leaked; a private PostgreSQL schema; what target-jsonl wrote."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from singer_sdk import Tap

from emulators import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def start_emulator(vendor: str, **options: object) -> EmulatorServer:
    """An emulator on a free loopback port; the caller stops it (use in class/session fixtures,
    since the SDK's standard test class syncs once per class)."""
    return EmulatorServer(vendor, **options).start()


def assert_no_secret(text: str, *secrets: str) -> None:
    """Fail naming the line that holds any of the secrets, without printing the secret."""
    for secret in secrets:
        if not secret:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if secret in line:
                pytest.fail(
                    f"a secret ({len(secret)} chars) leaked on line {number}: "
                    f"{line.replace(secret, '<SECRET>')[:300]}"
                )


def read_jsonl(path: Path) -> list[dict]:
    """The records target-jsonl wrote for one stream."""
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pg_url() -> str:
    return os.environ.get("PG_URL", DEFAULT_PG_URL)


@dataclass(frozen=True)
class PgTarget:
    """Where a test loads: a fresh schema in the test database, dropped afterwards."""

    url: str
    schema: str

    @property
    def parts(self) -> dict[str, str]:
        u = urlsplit(self.url)
        return {
            "host": u.hostname or "127.0.0.1",
            "port": str(u.port or 5432),
            "user": u.username or "postgres",
            "password": u.password or "",
            "database": (u.path or "/test").lstrip("/") or "test",
        }

    def meltano_env(self) -> dict[str, str]:
        """target-postgres settings as Meltano environment variables."""
        env = {f"TARGET_POSTGRES_{k.upper()}": v for k, v in self.parts.items()}
        env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = self.schema
        return env

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def load(self, output: TapOutput, tmp_path: Path) -> None:
        """Load what a tap wrote into this schema with the project's target-postgres (upsert on
        each stream's key), as ``tap | target-postgres`` would."""
        exe = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin" / "target-postgres"
        assert exe.exists(), "target-postgres is not installed: run `make plugins`"
        config = tmp_path / f"target-postgres-{len(list(tmp_path.glob('target-postgres-*')))}.json"
        config.write_text(
            json.dumps(
                {
                    **self.parts,
                    "port": int(self.parts["port"]),
                    "default_target_schema": self.schema,
                    "load_method": "upsert",
                    "add_record_metadata": False,
                    "activate_version": False,
                    "hard_delete": False,
                }
            )
        )
        lines = "".join(json.dumps(m) + "\n" for m in output.messages)
        done = subprocess.run(
            [str(exe), "--config", str(config)],
            input=lines,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def key_counts(self, table: str, *key: str) -> dict[tuple[Any, ...], int]:
        """How many rows each key has in a loaded table (upserts keep one per key)."""
        columns = ", ".join(f'"{k}"' for k in key)
        rows = self.query(
            f'SELECT {columns}, count(*) FROM "{self.schema}"."{table}" GROUP BY {columns}'  # noqa: S608
        )
        return {tuple(row[:-1]): int(row[-1]) for row in rows}


# -- running a tap ---------------------------------------------------------------------------


@dataclass
class TapOutput:
    """What one run of a tap wrote: its Singer messages, and how it ended.

    In-process runs (:func:`run_tap`) set ``error`` to what the sync raised; CLI runs
    (:func:`run_cli`) set ``returncode``. ``logs`` holds the run's log lines either way."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None
    returncode: int | None = None
    logs: str = ""

    @property
    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Records by stream name (a stream that wrote none maps to ``[]``)."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.messages:
            if message["type"] == "RECORD":
                out[message["stream"]].append(message["record"])
        return out

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def state(self) -> dict[str, Any]:
        """The last STATE message's value ({} when none was written)."""
        states = self.states
        return states[-1] if states else {}

    def bookmark(self, stream: str, **partition: Any) -> Any:
        """The stream's ``replication_key_value`` in the last state; with ``partition`` given
        (``account_id="1"``), the one of the partition whose context holds those values."""
        entry = self.state.get("bookmarks", {}).get(stream, {})
        if not partition:
            return entry.get("replication_key_value")
        for item in entry.get("partitions", []):
            context = item.get("context", {})
            if all(context.get(k) == v for k, v in partition.items()):
                return item.get("replication_key_value")
        return None

    def keys(self, stream: str, *names: str) -> list[tuple[Any, ...]]:
        """Each record's values of ``names``, in the order written."""
        return [tuple(r.get(n) for n in names) for r in self.records[stream]]

    def duplicates(self, stream: str, *names: str) -> list[tuple[Any, ...]]:
        """Keys (``names``) written more than once: the standard tests cannot see these."""
        seen: set[tuple[Any, ...]] = set()
        repeated = []
        for key in self.keys(stream, *names):
            if key in seen:
                repeated.append(key)
            seen.add(key)
        return repeated

    def log_lines(self, text: str) -> list[str]:
        return [line for line in self.logs.splitlines() if text in line]

    def error_lines(self) -> list[str]:
        """The log lines at level ERROR (CLI and in-process formats alike)."""
        return [line for line in self.logs.splitlines() if re.search(r"\bERROR\s*\|", line)]


def _parse_messages(lines: Iterable[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.strip()]


@contextmanager
def _captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the run (root logger, any level), as the CLI would print them."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s | %(name)s | %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, logging.INFO) if previous else logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _choose(tap: Tap, streams: Iterable[str] | None = None, deselect: Iterable[str] = ()) -> None:
    if streams is not None:
        wanted = set(streams)
        unknown = wanted - set(tap.streams)
        assert not unknown, f"no such streams: {sorted(unknown)}"
        for name, stream in tap.streams.items():
            stream.selected = name in wanted
    for name in deselect:
        tap.streams[name].selected = False


def run_tap(
    tap_class: type[Tap],
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    streams: Iterable[str] | None = None,
    deselect: Iterable[str] = (),
    expect_error: bool = False,
) -> TapOutput:
    """Build the tap (settings checked, as the CLI does) and sync it in this process.

    ``streams`` selects exactly those streams, ``deselect`` drops some. An exception is
    re-raised unless ``expect_error``; then it is on the output (and its absence fails)."""
    output = TapOutput()
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with _captured_logs() as logs:
        try:
            with redirect_stdout(stdout):
                tap = tap_class(config=config, state=state or {}, catalog=catalog)
                _choose(tap, streams, deselect)
                tap.sync_all()
        except Exception as exc:
            output.error = exc
        finally:
            stdout.flush()
            stdout.seek(0)
            output.messages = _parse_messages(stdout.read().splitlines())
            output.logs = logs.getvalue()
    if output.error is not None and not expect_error:
        raise output.error
    if expect_error and output.error is None:
        raise AssertionError("the sync was expected to fail but succeeded")
    return output


def console_script(name: str) -> str:
    """A console script of the workspace venv (a tap, meltano, moto_server): beside this
    interpreter (``.venv/bin/pytest``), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run the tests through `make test`")
    return found


def tap_executable(name: str) -> str:
    """A tap's console script."""
    return console_script(name)


def run_cli(
    executable: str,
    config: dict[str, Any],
    tmp_path: Path,
    *,
    state: dict[str, Any] | None = None,
    streams: Iterable[str] | None = None,
    catalog: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    stop_after: Callable[[list[dict[str, Any]]], bool] | None = None,
    stop_signal: int = signal.SIGKILL,
    timeout: float = 300,
) -> TapOutput:
    """Run a tap's console script as a user does (config, catalog and state files).

    ``streams`` selects exactly those streams in the catalog from ``--discover`` (``catalog``
    gives one outright); ``stop_after(messages)`` returning True sends ``stop_signal``: SIGKILL
    (the default) stops the tap at once, as a killed container; after another signal the tap's
    last words (its final STATE) are still read."""
    run_dir = Path(tmp_path) / f"run-{len(list(Path(tmp_path).glob('run-*')))}"
    run_dir.mkdir(parents=True)
    config_path = run_dir / "config.json"
    config_path.write_text(json.dumps(config))
    args = [executable, "--config", str(config_path)]
    full_env = {**os.environ, **(env or {})}
    if streams is not None:
        discovered = subprocess.run(
            [*args, "--discover"], capture_output=True, text=True, check=True, env=full_env
        )
        assert catalog is None, "give streams or catalog, not both"
        catalog = json.loads(discovered.stdout)
        wanted = set(streams)
        for entry in catalog["streams"]:
            for metadata in entry["metadata"]:
                if metadata["breadcrumb"] == []:
                    metadata["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    if catalog is not None:
        (run_dir / "catalog.json").write_text(json.dumps(catalog))
        args += ["--catalog", str(run_dir / "catalog.json")]
    if state is not None:
        (run_dir / "state.json").write_text(json.dumps(state))
        args += ["--state", str(run_dir / "state.json")]
    stderr_path = run_dir / "stderr.log"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=stderr, text=True, env=full_env
        )
        watchdog = threading.Timer(timeout, proc.kill)  # a hung tap fails the test, not CI
        watchdog.start()
        assert proc.stdout is not None
        messages: list[dict[str, Any]] = []
        try:
            for line in proc.stdout:
                if line.strip():
                    messages.append(json.loads(line))
                if stop_after is not None and stop_after(messages):
                    proc.send_signal(stop_signal)
                    stop_after = None
                    if stop_signal == signal.SIGKILL:
                        break
            proc.stdout.close()
            code = proc.wait()
        finally:
            watchdog.cancel()
    return TapOutput(messages=messages, returncode=code, logs=stderr_path.read_text())
