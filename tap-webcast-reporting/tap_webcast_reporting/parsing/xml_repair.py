"""The repairs of vendor XML written by hand, applied to the report as it arrives (a bounded block
at a time, each block ending just after a ``>``), where only one reading exists:

- a bare ``<`` in text that cannot start a markup (``3 < 5``, ``<3``): escaped as ``&lt;``;
- a start tag that lost its ``>`` (``<ra id="email"agraystone@companyx.com</ra>``, the page's
  own sample): the ``>`` is put back when the whole element is on one line, its attributes
  whole, the text straight after the last attribute's quote, and the end tag its own;
- a bare ``&`` (``AT&T``, ``R&D``): escaped as ``&amp;``. A reference (``&amp;``, ``&#233;``)
  stays; a named one (``&copy;``) stays only when the report declares entities in a DOCTYPE.

Nothing inside a comment, a CDATA section or the DOCTYPE is touched. Each repair is logged with
the event id and the line (the first :data:`MAX_LOGGED` one by one, then a count). What no repair
settles (a ``<`` before a letter: ``Smith<Jones``) is left for the parser to refuse: the event is
then owed. lxml's recover mode is not used: it nests the following siblings inside a broken
element, silently."""

from __future__ import annotations

import logging
import re

MAX_LOGGED = 20

# A '<' that cannot start a tag, an end tag, a comment, a CDATA section or a declaration.
_BARE_LT = re.compile(rb"<(?=[^A-Za-z_:/!?])")
# <name attr="..."... TEXT</name> on one line, where TEXT follows the last attribute's quote
# directly (no ">"): group 1 the start tag, 3 the text, 4 the end tag.
_TAG_WITHOUT_CLOSE = re.compile(
    rb'(<([A-Za-z_][\w.-]*)(?:[ \t]+[\w:.-]+="[^"<>\n]*")+)(?=[^\s>/"=<])'
    rb"([^<>\n]*)(</\2>)"
)
_REFERENCE = rb"(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);"
_BARE_AMP = re.compile(rb"&(?!" + _REFERENCE + rb")")
_BARE_AMP_WITH_ENTITIES = re.compile(rb"&(?!" + _REFERENCE + rb"|[A-Za-z_:][\w.:-]*;)")
# Where the repairs stop: comments, CDATA sections and the DOCTYPE (its closing marker).
_UNTOUCHED = re.compile(rb"<!--|<!\[CDATA\[|<!DOCTYPE", re.IGNORECASE)
_CLOSERS = {b"<!--": b"-->", b"<![CDATA[": b"]]>"}


class XmlRepair:
    """The report's repairs, with what they need to remember from one block to the next."""

    def __init__(self, event_id: str, logger: logging.Logger) -> None:
        self.event_id = event_id
        self.logger = logger
        self.inside: bytes | None = None  # the end marker of the comment/CDATA/DOCTYPE we are in
        self.entities_declared = False
        self.repairs = 0

    def __call__(self, block: bytes, first_line: int) -> bytes:
        out: list[bytes] = []
        pos = 0
        while pos < len(block):
            if self.inside is not None:
                end = block.find(self.inside, pos)
                if end < 0:
                    out.append(block[pos:])
                    break
                end += len(self.inside)
                out.append(block[pos:end])
                pos, self.inside = end, None
                continue
            found = _UNTOUCHED.search(block, pos)
            stop = found.start() if found else len(block)
            line = first_line + block.count(b"\n", 0, pos)
            out.append(self.mend(block[pos:stop], line))
            if found is None:
                break
            opener = found.group().upper()
            if opener == b"<!DOCTYPE":
                self.entities_declared = True
                bracket, close = block.find(b"[", stop), block.find(b">", stop)
                self.inside = b"]>" if 0 <= bracket < close or close < 0 <= bracket else b">"
            else:
                self.inside = _CLOSERS[opener]
            out.append(found.group())
            pos = found.end()
        return b"".join(out)

    def mend(self, text: bytes, first_line: int) -> bytes:
        if b"<" in text:
            text = _BARE_LT.sub(lambda m: self.fixed(text, m, first_line, "'<'", b"&lt;"), text)
        if b'"' in text:
            text = _TAG_WITHOUT_CLOSE.sub(lambda m: self.closed(text, m, first_line), text)
        if b"&" in text:
            bare = _BARE_AMP_WITH_ENTITIES if self.entities_declared else _BARE_AMP
            text = bare.sub(lambda m: self.fixed(text, m, first_line, "'&'", b"&amp;"), text)
        return text

    def fixed(
        self, text: bytes, match: re.Match[bytes], first_line: int, what: str, escaped: bytes
    ) -> bytes:
        self.log(f"escaped a bare {what}", first_line + text.count(b"\n", 0, match.start()))
        return escaped

    def closed(self, text: bytes, match: re.Match[bytes], first_line: int) -> bytes:
        tag = match[1].decode("utf-8", "replace").strip()
        line = first_line + text.count(b"\n", 0, match.start())
        self.log(f"start tag {tag}> lacked its '>'", line)
        return match[1] + b">" + match[3] + match[4]

    def log(self, what: str, line: int) -> None:
        self.repairs += 1
        if self.repairs <= MAX_LOGGED:
            self.logger.warning(
                "Event %s: repaired the XML report at line %d: %s", self.event_id, line, what
            )

    def finish(self) -> None:
        """One line for the repairs past the first MAX_LOGGED."""
        if self.repairs > MAX_LOGGED:
            self.logger.warning(
                "Event %s: %d more repairs of the XML report were made (%d in all), not logged "
                "one by one",
                self.event_id,
                self.repairs - MAX_LOGGED,
                self.repairs,
            )
