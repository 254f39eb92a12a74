"""One report feeds eight streams. The report is read once, as a stream, and each stream's
records go to a temporary file of their own; the child streams then read their file back. Disk,
not memory, holds a large report, and a report fetched again after a cut connection starts its
files afresh, so no record is emitted twice."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class ReportSpool:
    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="tap-webcast-reporting-"))
        self._files: dict[str, IO[bytes]] = {}
        self.event_id: str | None = None

    def start(self, event_id: str, streams: set[str]) -> None:
        """Empty files for one event's report, for the streams wanted."""
        self.close()
        self.event_id = event_id
        self._files = {name: (self._dir / f"{name}.jsonl").open("wb") for name in streams}

    def add(self, stream: str, record: dict[str, Any]) -> None:
        handle = self._files.get(stream)
        if handle is not None:
            handle.write(_encoder.encode(record) + b"\n")

    def finish(self) -> None:
        for handle in self._files.values():
            handle.close()

    def read(self, stream: str, event_id: str) -> Iterator[dict[str, Any]]:
        """The records spooled for ``stream`` from event ``event_id``'s report, once."""
        path = self._dir / f"{stream}.jsonl"
        if event_id != self.event_id or not path.exists():
            return
        with path.open("rb") as handle:
            for line in handle:
                yield _decoder.decode(line)
        path.unlink()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        for path in self._dir.glob("*.jsonl"):
            path.unlink()
        self._files = {}
        self.event_id = None

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self._dir, ignore_errors=True)
