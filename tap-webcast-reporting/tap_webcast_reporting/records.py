"""One report's header and viewers as records of the report streams, whatever the format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tap_webcast_reporting.parsing.model import STANDARD_QUESTIONS, ParsedViewer, ReportHeader

SESSION_TOTALS = {"Live": "live", "On-Demand": "od", "SimLive": "simlive"}
Emitted = tuple[str, dict[str, Any]]


class ReportRecords:
    """Turns a report into ``(stream name, record)`` pairs."""

    def __init__(self, event_id: str, header: ReportHeader) -> None:
        self.event_id = event_id
        self.header = header
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

    def viewer_records(self, viewer: ParsedViewer) -> Iterator[Emitted]:
        e = self.event_id
        by_id = {a["question_id"]: a["value"] for a in viewer.answers if a["question_id"]}
        email = by_id.get("email") or ""
        registrant: dict[str, Any] = {
            "event_id": e,
            "email": email,
            "registration_date": viewer.registration_date,
        }
        for qid in STANDARD_QUESTIONS:
            if qid != "email":
                registrant[qid] = by_id.get(qid)
        registrant["answers"] = [
            {**a, "label": a["label"] or self._labels.get(a["question_id"])} for a in viewer.answers
        ]
        registrant["referrer"] = viewer.referrer
        registrant.update(viewer.totals or self._totals(viewer))
        registrant["unmapped_values"] = [str(x) for x in viewer.unmapped_values] or None
        if viewer.unparsed:
            registrant["unparsed_values"] = viewer.unparsed
        yield "registrants", registrant
        for n, s in enumerate(viewer.sessions, 1):
            yield "viewing_sessions", {"event_id": e, "email": email, "session_number": n, **s}
        for n, q in enumerate(viewer.qa, 1):
            yield "questions", {"event_id": e, "email": email, "question_number": n, **q}
        for n, r in enumerate(viewer.survey_responses, 1):
            record = {"event_id": e, "email": email, "response_number": n, **r}
            if r["survey_id"] in self._surveys:
                record["survey_name"] = (
                    record["survey_name"] or self._surveys[r["survey_id"]]["name"]
                )
                label = self._questions.get((r["survey_id"], r["question_id"]))
                record["question_label"] = record["question_label"] or label
            yield "survey_responses", record

    @staticmethod
    def _totals(viewer: ParsedViewer) -> dict[str, Any]:
        """Session counts and durations from the sessions (the XML report has no totals). A
        duration the tap could not read makes its sums unknown (null), never smaller."""
        totals: dict[str, Any] = {}
        for kind in SESSION_TOTALS.values():
            totals[f"{kind}_sessions"] = 0
            totals[f"{kind}_duration"] = 0
        unknown: set[str] = set()  # the kinds whose duration sums are unknown
        for s in viewer.sessions:
            short = SESSION_TOTALS.get(s["type"] or "")
            if "duration" in s.get("unparsed_values", {}):
                unknown.add(short or "")
            if short:
                totals[f"{short}_sessions"] += 1
                totals[f"{short}_duration"] += int(s["duration"] or 0)
        totals["total_sessions"] = len(viewer.sessions)
        totals["total_duration"] = sum(int(s["duration"] or 0) for s in viewer.sessions)
        if unknown:
            totals["total_duration"] = None
            for kind in unknown - {""}:
                totals[f"{kind}_duration"] = None
        return totals
