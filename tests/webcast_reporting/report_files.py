"""XML reports as the emulator serves them, rendered without a server (its Flask app's test
client) into a file, and read back in blocks as an HTTP answer's body arrives: for the tests of
the readers on large reports."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME, create_app

EVENT = "2227117"  # the emulator's first generated event
FROZEN_NOW = "2026-03-08T06:30:00Z"  # the same bytes at every rendering
BLOCK = 256 * 1024


def render_report(
    path: Path, size: int, *, variant: str | None = None, timezone: str = "GMT"
) -> Path:
    """The report of an event of ``size`` registrants (``variant``: a ``break_report`` kind),
    streamed into ``path``."""
    app = create_app(size=size, events=1, expired_events=0, samples=False, now=FROZEN_NOW)
    if variant:
        app.extensions["emulator_state"].break_report(variant)
    client = app.test_client()
    login = client.get(
        "/api/login/json",
        query_string={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD, "ver": "2.0"},
    ).get_json()
    params = {"ui": login["userid"], "si": login["sessionid"], "ver": "2.0", "ei": EVENT}
    answer = client.get(
        "/api/reporting/report/xml", query_string={**params, "tz": timezone}, buffered=False
    )
    try:
        with path.open("wb") as out:
            for block in answer.iter_encoded():
                out.write(block)
    finally:
        answer.close()
    return path


def blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(partial(handle.read, BLOCK), b"")
