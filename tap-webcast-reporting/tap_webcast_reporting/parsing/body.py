"""A report body read as a file (what lxml's iterparse and csv want), in bounded blocks from the
HTTP response whatever its line length, with the first bytes kept aside so that the return code
can be read before parsing, and a repair hook.

A block ends where the repair may cut (XML: just after a ``>``), so that whatever the repair
mends lies within one block; bytes after the last such place are held back for the next block,
up to :data:`MAX_CARRY` (then the block is cut anyway, keeping a short tail). Memory held is
then at most about ``MAX_CARRY`` plus one chunk, a report on one line of 40 MB included
(:attr:`ReportBody.peak` says how much was held; the tests put a cap on it).

The XML report is first read as it came, in pieces of :data:`PIECE` bytes, a copy of it kept in
a temporary file (:meth:`ReportBody.keep_copy`): lxml refuses what needs a repair, and the
report is then read again from the copy with the repairs (:meth:`ReportBody.replay`), so that
well-formed XML pays nothing for them. The owner of the body closes it (the copy's disk)."""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from typing import IO

HEAD_BYTES = 4096
CHUNK = 256 * 1024
#: What a body read as it came hands out at once: lxml parses smaller blocks faster (cache).
PIECE = 64 * 1024
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
        self._head: bytes | None = None
        self.repair: Repair | None = None
        #: Blocks end just after this byte when a repair is set (XML: b">").
        self.cut_after = b"\n"
        self._line = 1  # number of the line the next block starts on
        self._carry = bytearray()  # bytes held back for the next block
        self._last_line_chars = 0
        self._peak = 0
        self._again: ReportBody | None = None  # the second reading, once replay() made it
        self._copy: IO[bytes] | None = None  # what was handed out as it came, for replay()
        self._copied = False  # whether the body was handed out as it came (lines not counted)
        self._raw, self._pos = b"", 0  # the chunk being handed out as it came, and where
        self._handed = 0  # bytes handed out as it came

    @property
    def head(self) -> bytes:
        """The first bytes (HEAD_BYTES), read on first use and handed out again by read()."""
        if self._head is None:
            self._head = self._fill(HEAD_BYTES)
            self._peak = max(self._peak, len(self._buffer))
        return self._head

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
        if self._copy is not None:  # as it came, copied aside, its lines counted if asked
            if self._pos >= len(self._raw):
                self._raw, self._pos = self._next_raw(), 0
                self._peak = max(self._peak, len(self._raw))
                self._copy.write(self._raw)
            piece = self._raw[self._pos : self._pos + PIECE]
            self._pos += len(piece)
            self._handed += len(piece)
            return piece
        while True:
            raw = self._next_raw()
            if not raw:
                return self._hand_out(len(self._carry))
            self._carry += raw
            self._peak = max(self._peak, len(self._carry))
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
        if self.repair is None or not data:
            return self._hand_out_raw(data)
        first = self._line
        self._hand_out_raw(data)
        return self.repair(data, first)

    def _hand_out_raw(self, data: bytes) -> bytes:
        """``data`` as it is, its lines counted."""
        breaks = data.count(b"\n")
        self._line += breaks
        tail = data[data.rfind(b"\n") + 1 :] if breaks else data
        continuing = len(tail) - len(tail.translate(None, _CONTINUATION))
        self._last_line_chars = (0 if breaks else self._last_line_chars) + len(tail) - continuing
        return data

    # A copy for a second reading ---------------------------------------------------------

    def keep_copy(self) -> None:
        """From now on, hand the body out as it came (no repair), keeping a copy of it in a
        temporary file for :meth:`replay`; its lines are counted from the copy when asked
        (counting them as they go costs about 3% of reading a report). :meth:`close` drops the
        copy."""
        assert not self._handed, "keep_copy() before the first read()"
        # Closed by replay()'s reader or close(): it outlives this call.
        self._copy = tempfile.TemporaryFile(prefix="tap-webcast-reporting-")  # noqa: SIM115
        self._copied = True

    def replay(self) -> ReportBody:
        """The body again from its first byte: the copy, then what was not read yet. The copy
        is this body's no more (the new body reads and closes it)."""
        copy, self._copy = self._copy, None
        assert copy is not None, "keep_copy() first"
        copy.seek(0)
        self._raw, self._pos = b"", 0  # in the copy whole, handed out or not

        def chunks() -> Iterator[bytes]:
            with copy:
                yield from iter(partial(copy.read, CHUNK), b"")
            yield from iter(self._next_raw, b"")

        self._again = ReportBody(chunks())
        return self._again

    def close(self) -> None:
        """Drop the copy kept for a second reading, if any (the temporary file and its disk)."""
        if self._copy is not None:
            self._copy.close()
            self._copy = None

    def _count_copy(self) -> None:
        """The lines and last line of what was handed out as it came, counted from the copy."""
        if self._copy is None:
            raise RuntimeError("the body was read as it came and its copy is closed: lines unknown")
        self._copy.flush()
        fd, offset, lines, last = self._copy.fileno(), 0, 1, 0
        while offset < self._handed:
            data = os.pread(fd, min(CHUNK, self._handed - offset), offset)
            offset += len(data)
            breaks = data.count(b"\n")
            lines += breaks
            tail = data[data.rfind(b"\n") + 1 :] if breaks else data
            continuing = len(tail) - len(tail.translate(None, _CONTINUATION))
            last = (0 if breaks else last) + len(tail) - continuing
        self._line, self._last_line_chars = lines, last

    @property
    def lines_read(self) -> int:
        """How many lines have been handed out (a last line without newline counts), by the
        second reading too once there is one."""
        if self._again is not None:
            return self._again.lines_read
        if self._copied:
            self._count_copy()
        return self._line

    @property
    def last_line_chars(self) -> int:
        """Characters handed out since the last line break (where a cut report's error is)."""
        if self._again is not None:
            return self._again.last_line_chars
        if self._copied:
            self._count_copy()
        return self._last_line_chars

    @property
    def peak(self) -> int:
        """The most bytes this reader held at once, its second reading's included (the tests
        cap it)."""
        return max(self._peak, self._again.peak if self._again is not None else 0)

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
