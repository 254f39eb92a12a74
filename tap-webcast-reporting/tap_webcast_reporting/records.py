"""One report's header and viewers as records of the report streams, whatever the format."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from tap_webcast_reporting.parsing.model import (
    OTHER_STANDARD,
    ParsedViewer,
    ReportHeader,
    ReportItem,
    session_totals,
)

#: The streams made of each viewer's records.
VIEWER_STREAMS = ("registrants", "viewing_sessions", "questions", "survey_responses")
Emitted = tuple[str, dict[str, Any]]


class ReportRecords:
    """Turns a report into ``(stream name, record)`` pairs."""

    def __init__(
        self, event_id: str, header: ReportHeader, streams: Collection[str] | None = None
    ) -> None:
        """``streams``: the streams whose records are wanted (None: all); the records of the
        others are not made."""
        self.event_id = event_id
        self.header = header
        wanted = set(VIEWER_STREAMS if streams is None else streams)
        self._wanted = {name: name in wanted for name in VIEWER_STREAMS}
        self._labels = {
            q["question_id"]: q["label"] for q in header.registration_questions if q["question_id"]
        }
        self._surveys = {s["survey_id"]: s for s in header.surveys if s["survey_id"]}
        self._questions = {
            (s["survey_id"], q["question_id"]): q["label"]
            for s in header.surveys
            for q in s["questions"]
            if q["question_id"]
        }

    def header_records(self) -> Iterator[Emitted]:
        e = self.event_id
        for position, q in enumerate(self.header.registration_questions, 1):
            yield "registration_questions", {"event_id": e, "position": position, **q}
        for survey in self.header.surveys:
            yield (
                "surveys",
                {
                    "event_id": e,
                    "survey_id": survey["survey_id"],
                    "name": survey["name"],
                    "type": survey["type"],
                    "question_count": len(survey["questions"]),
                },
            )
            for position, q in enumerate(survey["questions"], 1):
                yield (
                    "survey_questions",
                    {
                        "event_id": e,
                        "survey_id": survey["survey_id"],
                        "survey_name": survey["name"],
                        "question_id": q["question_id"],
                        "type": q["type"],
                        "label": q["label"],
                        "position": position,
                    },
                )

    def viewer_records(self, viewer: ParsedViewer) -> list[Emitted]:
        """One viewer's records (this runs for every registrant: kept tight, a list rather
        than a generator)."""
        e = self.event_id
        wanted = self._wanted
        email = viewer.email
        if email is None:
            email = _by_id(viewer.answers).get("email") or ""
        records: list[Emitted] = []
        if wanted["registrants"]:
            registrant = viewer.registrant
            if registrant is None:
                registrant = self._registrant(viewer, email)
            records.append(("registrants", registrant))
        if wanted["viewing_sessions"]:
            for n, s in enumerate(viewer.sessions, 1):
                session = {"event_id": e, "email": email, "session_number": n, **s}
                records.append(("viewing_sessions", session))
        if wanted["questions"]:
            for n, q in enumerate(viewer.qa, 1):
                question = {"event_id": e, "email": email, "question_number": n, **q}
                records.append(("questions", question))
        if wanted["survey_responses"]:
            surveys = self._surveys
            for n, r in enumerate(viewer.survey_responses, 1):
                response = {"event_id": e, "email": email, "response_number": n, **r}
                survey = surveys.get(r["survey_id"])
                if survey is not None:
                    response["survey_name"] = response["survey_name"] or survey["name"]
                    label = self._questions.get((r["survey_id"], r["question_id"]))
                    response["question_label"] = response["question_label"] or label
                records.append(("survey_responses", response))
        return records

    def _registrant(self, viewer: ParsedViewer, email: str) -> dict[str, Any]:
        """The registrants record of a viewer whose reader did not make it."""
        by_id = _by_id(viewer.answers)
        registrant: dict[str, Any] = {
            "event_id": self.event_id,
            "email": email,
            "registration_date": viewer.registration_date,
            **{qid: by_id.get(qid) for qid in OTHER_STANDARD},
            "answers": self._labelled(viewer.answers),
            "referrer": viewer.referrer,
            **(viewer.totals or self._totals(viewer.sessions)),
            "unmapped_values": [str(x) for x in viewer.unmapped_values] or None,
        }
        if viewer.unparsed:
            registrant["unparsed_values"] = viewer.unparsed
        return registrant

    def _labelled(self, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each answer with its question's label: the report's own, else the header's."""
        labels = self._labels
        return [{**a, "label": a["label"] or labels.get(a["question_id"])} for a in answers]

    @staticmethod
    def _totals(sessions: list[dict[str, Any]]) -> dict[str, Any]:
        """Session counts and durations from the sessions (a report that states none)."""
        return session_totals(
            (s["type"], s["duration"], "duration" in s.get("unparsed_values", ())) for s in sessions
        )


def _by_id(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers' values by question id (the last of each)."""
    return {a["question_id"]: a["value"] for a in answers if a["question_id"]}


class ReportShaping:
    """A report reader's items as ``(stream name, record)`` pairs, the one path from a parsed
    report to records (``event_reports`` spools them; the parse bench counts them). The header
    goes through ``check`` before any record is made; the header and the number of registrants
    are kept for the ``event_reports`` record."""

    def __init__(
        self,
        event_id: str,
        check: Callable[[ReportHeader], None] | None = None,
        streams: Collection[str] | None = None,
    ) -> None:
        self.event_id = event_id
        self.check = check
        self.streams = streams  # the streams whose records are wanted (None: all)
        self.header: ReportHeader | None = None
        self.count = 0

    def records(self, items: Iterable[ReportItem]) -> Iterator[Emitted]:
        shaper: ReportRecords | None = None
        count = 0
        try:
            for item in items:
                if isinstance(item, dict):  # the registrants record, made by the reader
                    assert shaper is not None  # every reader yields the header first
                    count += 1
                    yield "registrants", item
                elif isinstance(item, ParsedViewer):
                    assert shaper is not None
                    count += 1
                    yield from shaper.viewer_records(item)
                else:
                    if self.check is not None:
                        self.check(item)
                    self.header, shaper = item, ReportRecords(self.event_id, item, self.streams)
                    yield from shaper.header_records()
        finally:
            self.count = count
