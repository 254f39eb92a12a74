"""A small table printed as aligned text (first column left, the others right) or Markdown."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

#: The text's notes are wrapped to this (the tables themselves are kept narrower).
TEXT_WIDTH = 120


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        widths = [
            max(len(r[i]) for r in [self.headers, *self.rows]) for i in range(len(self.headers))
        ]

        def line(cells: list[str]) -> str:
            first = cells[0].ljust(widths[0])
            return "  ".join(
                [first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))]
            )

        body = [line(self.headers), "  ".join("-" * w for w in widths), *map(line, self.rows)]
        notes = [textwrap.fill(n, TEXT_WIDTH, subsequent_indent="  ") for n in self.notes]
        return "\n".join([textwrap.fill(self.title, TEXT_WIDTH), *body, *notes])

    def markdown(self) -> str:
        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        align = ["---", *["---:"] * (len(self.headers) - 1)]
        body = [line(self.headers), line(align), *map(line, self.rows)]
        notes = [f"\n{note}" for note in self.notes]
        return "\n".join([f"**{self.title}**\n", *body, *notes])
