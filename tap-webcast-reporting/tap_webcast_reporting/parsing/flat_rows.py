"""The flat layout the JSON ``data_headers`` and the CSV header share: which column is which,
and one row's cells as a :class:`ParsedViewer`.

Columns: ``Event Id, Event Title, Cost Center, Registered On``, one per registration question
(by label), ``Live/On-Demand/SimLive/Total Sessions``, the four durations (``hh:mm:ss``),
``Referrer``, ``Question k``/``Answer k`` pairs, ``Survey: <name>: <question>`` columns and
``sessions`` last.

Rows shorter than the header (every row of the page's own JSON sample): the page's rows lack
one registration cell before the totals, and list only the Q&A pairs and survey answers the
viewer gave. Such a row is mapped as the sample shows: the cells up to ``Email`` where they
are; the eight totals found by their shape (four counts, then four ``hh:mm:ss`` durations, each
total the sum of the three before it), ``Referrer`` after them; the registration cells between
``Email`` and the totals where they are, the cells that could belong to one of two columns kept
only when empty; and the Q&A pairs and survey answers after ``Referrer`` when their count fills
every such column. Whatever cannot be told apart without a guess is kept, as text, in
``unmapped_values`` (with one warning per report): nothing is guessed, nothing dropped."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tap_webcast_reporting import values as v
from tap_webcast_reporting.parsing.model import ID_OF_LABEL, ParsedViewer
from tap_webcast_reporting.parsing.reading import Reading

TOTALS = {
    "Live Sessions": ("live_sessions", v.integer),
    "On-Demand Sessions": ("od_sessions", v.integer),
    "SimLive Sessions": ("simlive_sessions", v.integer),
    "Total Sessions": ("total_sessions", v.integer),
    "Live Duration": ("live_duration", v.hhmmss_to_seconds),
    "On-Demand Duration": ("od_duration", v.hhmmss_to_seconds),
    "SimLive Duration": ("simlive_duration", v.hhmmss_to_seconds),
    "Total Duration": ("total_duration", v.hhmmss_to_seconds),
}
TOTALS_ORDER = tuple(TOTALS)
FIXED = ("Event Id", "Event Title", "Cost Center", "Registered On")
_QA = re.compile(r"^(Question|Answer) (\d+)$")
_COUNT = re.compile(r"^\d+$")
_DURATION = re.compile(r"^\d+:\d{2}:\d{2}$")
SURVEY_PREFIX = "Survey: "
SESSIONS = "sessions"


@dataclass
class Layout:
    headers: list[str]
    registration: list[tuple[int, str]] = field(default_factory=list)  # (column, label)
    totals: list[tuple[int, str, Callable[[Any], Any]]] = field(default_factory=list)
    qa: dict[int, dict[str, int]] = field(default_factory=dict)  # k -> {"Question": i, ...}
    surveys: list[tuple[int, str, str]] = field(default_factory=list)  # (column, name, label)
    referrer: int | None = None
    sessions: int | None = None
    email: int | None = None

    @classmethod
    def of(cls, headers: list[str]) -> Layout:
        layout = cls(headers)
        first_total = next((i for i, h in enumerate(headers) if h in TOTALS), len(headers))
        for i, header in enumerate(headers):
            if header in FIXED:
                continue
            if header in TOTALS:
                name, convert = TOTALS[header]
                layout.totals.append((i, name, convert))
            elif header == "Referrer":
                layout.referrer = i
            elif header == SESSIONS:
                layout.sessions = i
            elif header.startswith(SURVEY_PREFIX):
                name, _, label = header[len(SURVEY_PREFIX) :].partition(": ")
                layout.surveys.append((i, name, label.strip()))
            elif match := _QA.match(header):
                layout.qa.setdefault(int(match[2]), {})[match[1]] = i
            elif i < first_total:
                layout.registration.append((i, header))
                if header == "Email":
                    layout.email = i
        return layout

    @property
    def first_total(self) -> int | None:
        """Where the totals start, when they are the page's eight in a row, then Referrer."""
        if not self.totals:
            return None
        start = self.totals[0][0]
        names = tuple(self.headers[start : start + len(TOTALS_ORDER)])
        if names != TOTALS_ORDER or self.referrer != start + len(TOTALS_ORDER):
            return None
        return start

    def registration_questions(self) -> list[dict[str, Any]]:
        return [
            {"question_id": ID_OF_LABEL.get(label), "label": label}
            for _, label in self.registration
        ]

    def survey_list(self) -> list[dict[str, Any]]:
        surveys: dict[str, dict[str, Any]] = {}
        for _, name, label in self.surveys:
            survey = surveys.setdefault(
                name, {"survey_id": None, "name": name, "type": None, "questions": []}
            )
            if label:
                survey["questions"].append({"question_id": None, "type": None, "label": label})
        return list(surveys.values())

    def viewer(
        self,
        cells: list[Any],
        sessions: list[dict[str, Any]],
        reading: Reading,
        line: int | None,
    ) -> tuple[ParsedViewer, bool]:
        """The viewer of one row (cells without the sessions), and whether the row's cell count
        differs from the header's."""
        width = len(self.headers) - (1 if self.sessions is not None else 0)
        if len(cells) == width:
            return self._full(cells, sessions, reading, line), False
        totals_at = self._totals_in(cells)
        if totals_at is None:
            return self._up_to_email(cells, sessions, reading, line), True
        return self._short(cells, totals_at, sessions, reading, line), True

    # -- a row as long as the header ----------------------------------------------------------

    def _full(
        self, cells: list[Any], sessions: list[dict[str, Any]], reading: Reading, line: int | None
    ) -> ParsedViewer:
        viewer = self._start(cells, len(cells), sessions, reading, line)
        viewer.totals = {
            name: reading.value(convert, cells[i], name, viewer.unparsed)
            for i, name, convert in self.totals
        }
        viewer.referrer = v.text(cells[self.referrer]) if self.referrer is not None else None
        tail = [cells[i] if i is not None else None for i in self._tail_columns()]
        self._qa_and_surveys(viewer, tail)
        return viewer

    def _tail_columns(self) -> list[int | None]:
        """The Q&A columns (question, answer by pair), then the survey columns."""
        columns = [self.qa[k].get(part) for k in sorted(self.qa) for part in ("Question", "Answer")]
        return [*columns, *(i for i, _, _ in self.surveys)]

    def _qa_and_surveys(self, viewer: ParsedViewer, tail: list[Any]) -> None:
        """Q&A pairs and survey answers from the cells of every Q&A and survey column."""
        pairs = 2 * len(self.qa)
        for k in range(0, pairs, 2):
            question = v.text(tail[k])
            if question is not None:
                viewer.qa.append({"question": question, "answer": v.text(tail[k + 1])})
        for (_, name, label), cell in zip(self.surveys, tail[pairs:], strict=True):
            value = v.text(cell)
            if value is not None:
                viewer.survey_responses.append(
                    {
                        "survey_id": None,
                        "survey_name": name,
                        "question_id": None,
                        "question_label": label or None,
                        "value": value,
                    }
                )

    # -- a row shorter or longer than the header ----------------------------------------------

    def _totals_in(self, cells: list[Any]) -> int | None:
        """Where the row's eight totals are: at their column or up to the Email column's next,
        found by their shape; None when the header has no such block or the row none."""
        first = self.first_total
        if first is None or self.email is None:
            return None
        for at in range(min(first, len(cells) - len(TOTALS_ORDER)), self.email, -1):
            block = [str(c) if c is not None else "" for c in cells[at : at + len(TOTALS_ORDER)]]
            if not all(_COUNT.match(c) for c in block[:4]):
                continue
            if not all(_DURATION.match(c) for c in block[4:]):
                continue
            counts = [int(c) for c in block[:4]]
            seconds = [v.hhmmss_to_seconds(c) or 0 for c in block[4:]]
            if counts[3] == sum(counts[:3]) and seconds[3] == sum(seconds[:3]):
                return at
        return None

    def _short(
        self,
        cells: list[Any],
        at: int,
        sessions: list[dict[str, Any]],
        reading: Reading,
        line: int | None,
    ) -> ParsedViewer:
        assert self.first_total is not None
        missing = self.first_total - at  # registration cells the row lacks
        # Registration cells where they are; the last `missing` ones could each belong to the
        # next column as well: kept only when empty (nothing to place).
        certain = max(at - missing, (self.email or 0) + 1)
        viewer = self._start(cells, certain, sessions, reading, line)
        doubtful = [c for c in cells[certain:at] if v.text(c) is not None]
        viewer.totals = {
            name: reading.value(convert, cells[at + k], name, viewer.unparsed)
            for k, (_, name, convert) in enumerate(self.totals)
        }
        referrer = at + len(TOTALS_ORDER)
        viewer.referrer = v.text(cells[referrer]) if referrer < len(cells) else None
        tail = list(cells[referrer + 1 :])
        if len(tail) == len(self._tail_columns()):
            self._qa_and_surveys(viewer, tail)
            tail = []
        viewer.unmapped_values = [*doubtful, *tail]
        return viewer

    def _up_to_email(
        self, cells: list[Any], sessions: list[dict[str, Any]], reading: Reading, line: int | None
    ) -> ParsedViewer:
        """A row whose totals cannot be found: its cells up to Email, the rest kept as text."""
        limit = self.email + 1 if self.email is not None else 0
        viewer = self._start(cells, limit, sessions, reading, line)
        viewer.unmapped_values = list(cells[limit:])
        return viewer

    def _start(
        self,
        cells: list[Any],
        limit: int,
        sessions: list[dict[str, Any]],
        reading: Reading,
        line: int | None,
    ) -> ParsedViewer:
        """The viewer with its registration date and the answers of the cells before ``limit``."""
        answers = [
            {"question_id": ID_OF_LABEL.get(label), "label": label, "value": v.text(cells[i])}
            for i, label in self.registration
            if i < limit and v.text(cells[i]) is not None
        ]
        viewer = ParsedViewer(
            registration_date=None,
            answers=answers,
            sessions=sessions,
            qa=[],
            survey_responses=[],
            source_line=line,
        )
        registered = cells[3] if len(cells) > 3 else None
        viewer.registration_date = reading.time(registered, "registration_date", viewer.unparsed)
        return viewer


class Ragged:
    """The rows whose cell count differs from the header, and the registrants whose Total
    Sessions differ from the sessions listed: one warning each per report."""

    def __init__(self) -> None:
        self.rows = self.unmapped = self.sessions_off = 0
        self.first_line = self.first_sessions_line = 0

    def count(self, viewer: ParsedViewer, ragged: bool, line: int) -> None:
        if ragged:
            self.rows += 1
            self.first_line = self.first_line or line
            self.unmapped += bool(viewer.unmapped_values)
        total = viewer.totals.get("total_sessions")
        if isinstance(total, int) and total != len(viewer.sessions):
            self.sessions_off += 1
            self.first_sessions_line = self.first_sessions_line or line

    def report(self, event_id: str, what: str, header: str, logger: logging.Logger) -> None:
        if self.rows:
            logger.warning(
                "Event %s: %d rows of the %s have a cell count that differs from %s (first at "
                "line %d): read as the page's sample shows; %d of them hold cells whose column "
                "cannot be told, kept in unmapped_values",
                event_id,
                self.rows,
                what,
                header,
                self.first_line,
                self.unmapped,
            )
        if self.sessions_off:
            logger.warning(
                "Event %s: %d registrants of the %s count other Total Sessions than the sessions "
                "it lists (first at line %d): viewing_sessions holds only the sessions listed",
                event_id,
                self.sessions_off,
                what,
                self.first_sessions_line,
            )


def session(parts: list[Any], reading: Reading) -> dict[str, Any]:
    """``[type, start, end, duration_ms, media]`` as a session."""
    parts = list(parts) + [None] * (5 - len(parts))
    unparsed: dict[str, str] = {}
    result = {
        "type": v.text(str(parts[0])) if parts[0] is not None else None,
        "start_time": reading.time(parts[1], "start_time", unparsed),
        "end_time": reading.time(parts[2], "end_time", unparsed),
        "duration": reading.value(v.ms_to_seconds, parts[3], "duration", unparsed),
        "media": v.text(parts[4]) if isinstance(parts[4], str) else parts[4],
    }
    if unparsed:
        result["unparsed_values"] = unparsed
    return result
