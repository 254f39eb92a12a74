"""A report body read as a file (what lxml's iterparse and csv want), chunk by chunk from the
HTTP response, with the first bytes kept aside so the return code can be read before parsing,
and a line-level repair hook."""

from __future__ import annotations

from collections.abc import Callable, Iterator

HEAD_BYTES = 4096
CHUNK = 256 * 1024

# A repair takes a block of whole lines and the number of the block's first line, and returns
# the block as repaired.
Repair = Callable[[bytes, int], bytes]


class ReportBody:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self.eof = False
        self.head = self._fill(HEAD_BYTES)
        self.repair: Repair | None = None
        self._line = 1  # number of the first line still in the buffer
        self._pending = bytearray()  # the part of a line not yet given to the repair

    @classmethod
    def from_bytes(cls, data: bytes) -> ReportBody:
        return cls(iter([data]))

    def _fill(self, wanted: int) -> bytes:
        while len(self._buffer) < wanted and not self.eof:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.eof = True
                break
            self._buffer += chunk
        return bytes(self._buffer[:wanted])

    def _next_raw(self) -> bytes:
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        if self.eof:
            return b""
        try:
            return next(self._chunks)
        except StopIteration:
            self.eof = True
            return b""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of whole lines, repaired (a partial last line waits)."""
        while True:
            raw = self._next_raw()
            if not raw:
                data = bytes(self._pending)
                self._pending.clear()
                return self._repaired(data)
            self._pending += raw
            cut = self._pending.rfind(b"\n")
            if cut < 0:
                continue
            data = bytes(self._pending[: cut + 1])
            del self._pending[: cut + 1]
            return self._repaired(data)

    @property
    def lines_read(self) -> int:
        """How many lines have been handed out (a last line without newline counts)."""
        return self._line

    def _repaired(self, data: bytes) -> bytes:
        first = self._line
        self._line += data.count(b"\n")
        if self.repair is None or not data:
            return data
        return self.repair(data, first)

    def text_lines(self, encoding: str = "utf-8") -> Iterator[str]:
        """The body as text, a block of lines at a time (for the CSV and JSON readers)."""
        while True:
            data = self.read(CHUNK)
            if not data:
                return
            yield data.decode(encoding)
