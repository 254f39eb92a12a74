"""RECORD lines written directly (messages.py, issue 10): every record of a sync goes through the
one private SDK method the tap overrides (``Stream._write_record_message``, SDK 0.54; see the
README's "Private SDK parts"), and the lines are those of the SDK's own path, where the sessions'
nested fields are decoded, conformed and encoded again. Fails when an SDK release stops calling
the method per record."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from conviva_sessions.helpers import CONTENT_SESSIONS, base_config

from emulators import EmulatorServer
from tap_conviva_sessions.messages import RecordLines
from tap_conviva_sessions.tap import TapConvivaSessions


def sync(config: dict[str, Any]) -> tuple[TapConvivaSessions, list[dict[str, Any]]]:
    """The tap (to read its streams after the sync) and the records it wrote."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(stdout):
        tap = TapConvivaSessions(config=config)
        for name, stream in tap.streams.items():
            stream.selected = name in CONTENT_SESSIONS
        tap.sync_all()
        stdout.flush()
    lines = stdout.buffer.getvalue().decode().splitlines()  # type: ignore[attr-defined]
    messages = [json.loads(line) for line in lines if line.strip()]
    return tap, [m["record"] for m in messages if m["type"] == "RECORD"]


def test_every_record_is_written_directly_as_the_sdk_would_write_it(
    conviva: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = base_config(conviva, window_minutes=30)

    tap, direct = sync(config)

    stream = tap.streams["content_sessions"]
    assert direct
    assert stream.record_lines.written == len(direct)  # type: ignore[attr-defined]
    assert stream.raw_fields  # type: ignore[attr-defined]  # nested fields kept as sent

    conviva.reset()
    monkeypatch.setattr(RecordLines, "applies", lambda self: False)
    tap, through_sdk = sync(config)

    assert tap.streams["content_sessions"].record_lines.written == 0  # type: ignore[attr-defined]
    assert through_sdk == direct


def test_a_root_field_the_schema_does_not_know_is_left_out_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = {"client_id": "c", "client_secret": "s", "start_date": "2026-11-01T00:00:00Z"}
    stream = TapConvivaSessions(config=config).streams["content_sessions"]
    session = {
        "conviva_session_id": "s1",
        "timestamps": {"start": {"epoch_ms": 0}, "end": {"epoch_ms": 1000}},
        "surprise": 1,
    }

    with caplog.at_level("WARNING"):
        first = stream.shaped(dict(session))  # type: ignore[attr-defined]
        second = stream.shaped(dict(session))  # type: ignore[attr-defined]

    assert (
        first
        == second
        == {
            "conviva_session_id": "s1",
            "timestamps": session["timestamps"],
            "session_start": "1970-01-01T00:00:00.000Z",
            "session_end": "1970-01-01T00:00:01.000Z",
        }
    )
    assert [r.getMessage() for r in caplog.records if "surprise" in r.getMessage()] == [
        "Properties ('surprise',) were present in the 'content_sessions' stream but not found "
        "in catalog schema. Ignoring."
    ]
