"""messages.py (the same in the four taps): the RECORD line written directly is the line the
SDK's own path writes, and the SDK still calls the one private method the taps override for it
(``Stream._write_record_message``, SDK 0.54). Fails when an SDK release changes either."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import typing as t

import pytest
from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers.conform import TypeConformanceLevel
from testkit import start_emulator

PACKAGES = (
    "tap_brightcove_audience",
    "tap_conviva_sessions",
    "tap_vbrick_webcast",
    "tap_webcast_reporting",
)
RECORD = {
    "id": "a1",
    "when": "2026-01-02T03:04:05.678Z",
    "n": 3,
    "x": 1.5,
    "ok": True,
    "nested": {"k": [1, None]},
}


class Plain(Stream):
    name = "plain"
    schema: t.ClassVar[dict] = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "when": {"type": "string", "format": "date-time"},
            "n": {"type": "integer"},
            "x": {"type": "number"},
            "ok": {"type": "boolean"},
            "nested": {"type": "object", "properties": {"k": {"type": "array"}}},
        },
    }
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        return []


class PlainTap(Tap):
    name = "tap-plain"
    message_writer_class = MsgSpecWriter
    config_jsonschema: t.ClassVar[dict] = {"type": "object", "properties": {}}

    def discover_streams(self) -> list[Stream]:
        return [Plain(self)]


def _written(write: t.Callable[[], None]) -> dict[str, t.Any]:
    buffer = io.BytesIO()
    stdout = io.TextIOWrapper(buffer, encoding="utf-8")
    with contextlib.redirect_stdout(stdout):
        write()
        sys.stdout.flush()
    (line,) = buffer.getvalue().splitlines()
    message = json.loads(line)
    assert message.pop("time_extracted").endswith(("Z", "+00:00"))
    return message


@pytest.mark.parametrize("package", PACKAGES)
def test_the_direct_line_is_the_line_of_the_sdks_own_path(package: str) -> None:
    messages = importlib.import_module(f"{package}.messages")
    tap = PlainTap(config={})
    stream = tap.streams["plain"]
    lines = messages.RecordLines(stream, tap)
    assert lines.applies()
    sdk = _written(lambda: Stream._write_record_message(stream, dict(RECORD)))
    direct = _written(lambda: lines.write(dict(RECORD)))
    assert direct == sdk == {"type": "RECORD", "stream": "plain", "record": RECORD}


@pytest.mark.parametrize("package", PACKAGES)
def test_the_direct_line_is_left_to_the_sdk_where_its_path_would_change_the_record(
    package: str,
) -> None:
    messages = importlib.import_module(f"{package}.messages")
    stream_maps = {"plain": {"id": None}}  # a stream map: the SDK's path is needed
    tap = PlainTap(config={"stream_maps": stream_maps})
    assert not messages.RecordLines(tap.streams["plain"], tap).applies()
    tap = PlainTap(config={"flattening_enabled": True, "flattening_max_depth": 1})
    assert not messages.RecordLines(tap.streams["plain"], tap).applies()
    tap = PlainTap(config={})
    stream = tap.streams["plain"]
    stream.mask[("properties", "x")] = False  # a field deselected in the catalog
    assert not messages.RecordLines(stream, tap).applies()


def test_the_sdk_still_writes_each_record_through_the_overridden_method() -> None:
    from brightcove_audience.helpers import ACCOUNTS, tap_config

    from tap_brightcove_audience.tap import TapBrightcoveAudience

    server = start_emulator("brightcove", size=30)
    try:
        tap = TapBrightcoveAudience(config=tap_config(server.url, account_ids=ACCOUNTS[:1]))
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        with contextlib.redirect_stdout(stdout):
            tap.sync_all()
    finally:
        server.stop()
    # Every record went through the override, written directly (30 view events, 6 leads).
    written = {name: s.record_lines.written for name, s in tap.streams.items()}  # type: ignore[attr-defined]
    assert written == {"view_events": 30, "leads": 6}


def test_the_bookmark_step_written_directly_moves_the_state_as_the_sdks_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from brightcove_audience.helpers import tap_config
    from testkit import run_tap

    from tap_brightcove_audience.client import BrightcoveStream
    from tap_brightcove_audience.tap import TapBrightcoveAudience

    server = start_emulator("brightcove", size=120)
    try:
        config = tap_config(server.url, page_size=25)
        calls: list[str] = []
        sdk_step = Stream._increment_stream_state

        def counted(self: Stream, record: dict, *, context: t.Any = None) -> None:
            calls.append(self.name)
            sdk_step(self, record, context=context)

        monkeypatch.setattr(Stream, "_increment_stream_state", counted)
        direct = run_tap(TapBrightcoveAudience, config)
        assert calls == []  # the SDK called the override for every record, none went its way
        monkeypatch.setattr(BrightcoveStream, "_increment_stream_state", counted)
        sdk = run_tap(TapBrightcoveAudience, config)
        assert len(calls) == 2 * (120 + 24)  # two accounts: view events and leads
    finally:
        server.stop()
    assert direct.states == sdk.states
    assert direct.bookmark("view_events", account_id="1486906377") is not None
