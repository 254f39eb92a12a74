"""Fixtures every tap's tests share; the plain helpers live in testkit.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from testkit import (  # noqa: F401  (re-exported for tests that import them from here)
    PgTarget,
    assert_no_secret,
    pg_url,
    read_jsonl,
    start_emulator,
)


def _connect_or_skip(url: str) -> None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            host = urlsplit(url).hostname
            pytest.fail(f"PostgreSQL at {host} is required (REQUIRE_POSTGRES=1): {exc}")
        pytest.skip(f"PostgreSQL unreachable ({exc}); set REQUIRE_POSTGRES=1 to fail instead")


@pytest.fixture
def pg_target() -> Iterator[PgTarget]:
    """A schema of this test's own in PostgreSQL (``PG_URL`` or the local test database)."""
    import psycopg

    url = pg_url()
    _connect_or_skip(url)
    target = PgTarget(url=url, schema=f"test_{uuid.uuid4().hex[:12]}")
    try:
        yield target
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')  # type: ignore[arg-type]
