"""A report body read as a file (what lxml's iterparse and csv want), in bounded blocks from the
HTTP response whatever its line length, with the first bytes kept aside so that the return code
can be read before parsing, and a repair hook.

A block ends where the repair may cut (XML: just after a ``>``), so that whatever the repair
mends lies within one block; bytes after the last such place are held back for the next block,
up to :data:`MAX_CARRY` (then the block is cut anyway, keeping a short tail). Memory held is
then at most about ``MAX_CARRY`` plus one chunk, a report on one line of 40 MB included
(:attr:`ReportBody.peak` says how much was held; the tests put a cap on it)."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator

HEAD_BYTES = 4096
CHUNK = 256 * 1024
#: The most bytes held back waiting for a place where the repair may cut.
MAX_CARRY = 1024 * 1024
#: When no such place came within MAX_CARRY, this many last bytes are still held back.
TAIL_KEEP = 256
#: Bytes of UTF-8 that continue a character (the column of an lxml error counts characters).
_CONTINUATION = bytes(range(0x80, 0xC0))

# A repair takes a block and the number of the block's first line, and returns it repaired.
Repair = Callable[[bytes, int], bytes]


class ReportBody:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self.eof = False
        self.head = self._fill(HEAD_BYTES)
        self.repair: Repair | None = None
        #: Blocks end just after this byte when a repair is set (XML: b">").
        self.cut_after = b"\n"
        self._line = 1  # number of the line the next block starts on
        self._carry = bytearray()  # bytes held back for the next block
        #: Characters handed out since the last line break (where a cut report's error is).
        self.last_line_chars = 0
        #: The most bytes this reader held at once (the tests cap it).
        self.peak = len(self._buffer)

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
        """The next block (about one chunk, whatever ``size`` asks), repaired."""
        while True:
            raw = self._next_raw()
            if not raw:
                return self._hand_out(len(self._carry))
            self._carry += raw
            self.peak = max(self.peak, len(self._carry))
            if self.repair is None:
                return self._hand_out(len(self._carry))
            cut = self._carry.rfind(self.cut_after)
            if cut >= 0:
                return self._hand_out(cut + 1)
            if len(self._carry) > MAX_CARRY:
                return self._hand_out(len(self._carry) - TAIL_KEEP)

    def _hand_out(self, end: int) -> bytes:
        data = bytes(self._carry[:end])
        del self._carry[:end]
        first = self._line
        breaks = data.count(b"\n")
        self._line += breaks
        tail = data[data.rfind(b"\n") + 1 :] if breaks else data
        continuing = len(tail) - len(tail.translate(None, _CONTINUATION))
        self.last_line_chars = (0 if breaks else self.last_line_chars) + len(tail) - continuing
        if self.repair is None or not data:
            return data
        return self.repair(data, first)

    @property
    def lines_read(self) -> int:
        """How many lines have been handed out (a last line without newline counts)."""
        return self._line

    def text_blocks(self, encoding: str = "utf-8") -> Iterator[str]:
        """The body as text, a bounded block at a time (for the CSV and JSON readers); a
        character cut between two blocks is decoded whole."""
        decoder = codecs.getincrementaldecoder(encoding)()
        while True:
            data = self.read(CHUNK)
            if not data:
                tail = decoder.decode(b"", final=True)
                if tail:
                    yield tail
                return
            text = decoder.decode(data)
            if text:
                yield text
