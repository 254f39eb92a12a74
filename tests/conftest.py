"""Fixtures every tap's tests share: emulators on loopback, a private PostgreSQL schema,
and the check that no secret leaked into what a run printed or logged."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from emulators import EmulatorServer

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


def _connect_or_skip(url: str) -> None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(
                f"PostgreSQL at {urlsplit(url).hostname} is required and unreachable: {exc}"
            )
        pytest.skip(f"PostgreSQL unreachable ({exc}); set REQUIRE_POSTGRES=1 to fail instead")


@pytest.fixture
def pg_target() -> Iterator[PgTarget]:
    """A schema of this test's own in PostgreSQL (``PG_URL`` or the local test database)."""
    import psycopg

    url = os.environ.get("PG_URL", DEFAULT_PG_URL)
    _connect_or_skip(url)
    target = PgTarget(url=url, schema=f"test_{uuid.uuid4().hex[:12]}")
    try:
        yield target
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')  # type: ignore[arg-type]
