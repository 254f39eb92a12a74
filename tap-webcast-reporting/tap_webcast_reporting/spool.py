"""One report feeds eight streams. The report is read once, as a stream, and each stream's
records go to a temporary file of their own; the child streams then read their file back. Disk,
not memory, holds a large report, and a report fetched again after a cut connection starts its
files afresh, so no record is emitted twice. The folder is made on the first report and removed
with the run (the Tap ties :meth:`ReportSpool.remove` to its own lifetime)."""

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
        self._folder: Path | None = None
        self._files: dict[str, IO[bytes]] = {}
        self.event_id: str | None = None
        #: The streams whose records this report's files take (the others' are not made).
        self.streams: frozenset[str] = frozenset()

    @property
    def _dir(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="tap-webcast-reporting-"))
        return self._folder

    def start(self, event_id: str, streams: set[str]) -> None:
        """Empty files for one event's report, for the streams wanted."""
        self.close()
        self.event_id = event_id
        self.streams = frozenset(streams)
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
        if event_id != self.event_id:
            return
        path = self._dir / f"{stream}.jsonl"
        if not path.exists():
            return
        with path.open("rb") as handle:
            for line in handle:
                yield _decoder.decode(line)
        path.unlink()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        if self._folder is not None:
            for path in self._folder.glob("*.jsonl"):
                path.unlink()
        self._files = {}
        self.event_id = None

    def remove(self) -> None:
        self.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
