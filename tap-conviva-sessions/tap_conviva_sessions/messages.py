"""RECORD lines written straight from the stream (the same file in the four taps).

SDK 0.54 writes each record through a private method, ``Stream._write_record_message``: the
catalog's selection applied again, type conformance, the stream maps, a RecordMessage object
and its dict, then the message writer. For a stream whose records are already shaped to the
schema (only selected fields, values of their JSON types), with no stream map, no flattening
and no deselected field, that path ends in the same line as encoding
``{"type": "RECORD", "stream", "record", "time_extracted"}`` with the SDK's msgspec encoder,
and costs most of the tap's time per record. :class:`RecordLines` writes that line directly
when it :meth:`applies`, and leaves every other case to the SDK. The streams override the
private method in one place (the base class of the streams that write this way);
tests/project/test_record_lines.py fails when the SDK stops calling it or its line differs
from this one.
"""

from __future__ import annotations

import sys
import typing as t
from datetime import UTC, datetime

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform

if t.TYPE_CHECKING:
    from singer_sdk import Stream, Tap


class RecordLines:
    """Writes one stream's RECORD lines as the SDK's MsgSpecWriter does, without the SDK's
    per-record steps that cannot change such a stream's records."""

    def __init__(self, stream: Stream, tap: Tap) -> None:
        self.stream = stream
        self.tap = tap
        self.name = stream.name
        self.written = 0

    def applies(self) -> bool:
        """Whether the SDK's path would write exactly the line :meth:`write` writes."""
        stream = self.stream
        maps = stream.stream_maps
        return (
            type(self.tap.message_writer) is MsgSpecWriter
            and stream.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == stream.name
            and not maps[0].flattening_enabled
            and all(stream.mask.values())  # nothing deselected, nested fields included
            and not (
                stream.replication_method == "FULL_TABLE" and stream.emit_activate_version_messages
            )
        )

    def write(self, record: dict[str, t.Any]) -> None:
        line = {
            "type": "RECORD",
            "stream": self.name,
            "record": record,
            "time_extracted": datetime.now(UTC),
        }
        sys.stdout.buffer.write(serialize_jsonl(line))
        sys.stdout.flush()
        self.written += 1
