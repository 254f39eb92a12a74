"""The flat layout the JSON ``data_headers`` and the CSV header share: which column is which,
and one row's cells as a :class:`ParsedViewer`.

Columns: ``Event Id, Event Title, Cost Center, Registered On``, one per registration question
(by label), ``Live/On-Demand/SimLive/Total Sessions``, the four durations (``hh:mm:ss``),
``Referrer``, ``Question k``/``Answer k`` pairs, ``Survey: <name>: <question>`` columns and
``sessions`` last. A row whose cell count differs from the header's (the page's JSON sample has
such rows) cannot be mapped past the registrant's identity without guessing: its first columns
up to ``Email`` are mapped, its sessions kept, the other cells kept in ``unmapped_values``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tap_webcast_reporting import values as v
from tap_webcast_reporting.parsing.model import ID_OF_LABEL, ParsedViewer

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
FIXED = ("Event Id", "Event Title", "Cost Center", "Registered On")
_QA = re.compile(r"^(Question|Answer) (\d+)$")
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
        tz: ZoneInfo,
        line: int | None,
    ) -> tuple[ParsedViewer, bool]:
        """The viewer of one row (cells without the sessions), and whether it was ragged."""
        width = len(self.headers) - (1 if self.sessions is not None else 0)
        ragged = len(cells) != width
        limit = (self.email + 1 if self.email is not None else 0) if ragged else len(cells)

        def cell(i: int | None) -> Any:
            return cells[i] if i is not None and i < limit else None

        answers = [
            {"question_id": ID_OF_LABEL.get(label), "label": label, "value": v.text(cell(i))}
            for i, label in self.registration
            if i < limit and v.text(cell(i)) is not None
        ]
        viewer = ParsedViewer(
            registration_date=v.local_to_utc(cell(3), tz),
            answers=answers,
            sessions=sessions,
            qa=[],
            survey_responses=[],
            source_line=line,
        )
        if ragged:
            viewer.unmapped_values = [c for c in cells[limit:]]
            return viewer, True
        viewer.totals = {name: convert(cell(i)) for i, name, convert in self.totals}
        viewer.referrer = v.text(cell(self.referrer))
        for k in sorted(self.qa):
            question = v.text(cell(self.qa[k].get("Question")))
            if question is not None:
                viewer.qa.append(
                    {"question": question, "answer": v.text(cell(self.qa[k].get("Answer")))}
                )
        for i, name, label in self.surveys:
            value = v.text(cell(i))
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
        return viewer, False


def session(parts: list[Any], tz: ZoneInfo) -> dict[str, Any]:
    """``[type, start, end, duration_ms, media]`` as a session."""
    parts = list(parts) + [None] * (5 - len(parts))
    return {
        "type": v.text(parts[0]),
        "start_time": v.local_to_utc(parts[1], tz),
        "end_time": v.local_to_utc(parts[2], tz),
        "duration": v.ms_to_seconds(parts[3]),
        "media": v.text(parts[4]) if isinstance(parts[4], str) else parts[4],
    }
