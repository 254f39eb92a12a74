"""``meltano invoke target-postgres:check``: can target-postgres reach its server? One line.

target-postgres 0.8.1 says it only as the last of a long traceback, after the tap has run. Meltano
runs this command in target-postgres's own environment (its psycopg, its settings as
``TARGET_POSTGRES_*`` variables), so it connects as the loader would, with a short timeout, and
prints one line either way: exit 0 when connected, 1 when not. The password is never printed.
"""

from __future__ import annotations

import os
import sys

import psycopg

TIMEOUT_SECONDS = 10


def setting(name: str, default: str = "") -> str:
    return os.environ.get(f"TARGET_POSTGRES_{name.upper()}", default)


def reason(exc: BaseException) -> str:
    """psycopg's message, its last ``failed:`` part and first line (the cause, not the hints)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rsplit("failed: ", 1)[-1].strip()


def main() -> int:
    if setting("sqlalchemy_url"):
        print("target-postgres:check reads host, port, user and database, not sqlalchemy_url")
        return 1
    host, port = setting("host", "localhost"), setting("port", "5432")
    user, database = setting("user"), setting("database")
    where = f"PostgreSQL at {host}:{port} (database {database}, user {user})"
    try:
        psycopg.connect(
            host=host,
            port=port,
            user=user,
            password=setting("password"),
            dbname=database,
            connect_timeout=TIMEOUT_SECONDS,
        ).close()
    except psycopg.Error as exc:
        print(f"cannot connect to {where}: {reason(exc)}", file=sys.stderr)
        return 1
    print(f"connected to {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
