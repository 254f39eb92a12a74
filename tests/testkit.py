"""Helpers every tap's tests share (importable as ``testkit``: pytest puts tests/ on sys.path).

Emulators on loopback, the check that no secret leaked, a private PostgreSQL schema, and what
target-jsonl wrote."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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
