"""Fixtures of the orchestrator's tests: Airflow installed, a Meltano system database of the
test's own on PostgreSQL (the state every worker shares)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from orchestrator.airflow_stack import ensure_installed
from orchestrator.meltano_cli import meltano
from testkit import PgTarget


@pytest.fixture(scope="session")
def airflow_installed() -> None:
    ensure_installed()


@pytest.fixture
def meltano_system_db(pg_target: PgTarget) -> Iterator[str]:
    """MELTANO_DATABASE_URI of a new PostgreSQL database, migrated once before any job runs
    (jobs that start together on a fresh database would race to migrate it), dropped after.
    On the server of ``pg_target`` (which skips, or fails, when there is none)."""
    import psycopg

    url = pg_target.url
    name = f"meltano_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    parts = urlsplit(url)
    uri = urlunsplit(parts._replace(scheme="postgresql+psycopg", path=f"/{name}"))
    try:
        meltano("upgrade", "database", env={"MELTANO_DATABASE_URI": uri})
        yield uri
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
