"""What a report reader yields, whatever the format: the report's header, then its viewers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

# Event analytics in every format: counts (integers) and conversion rates (percent).
ANALYTICS_COUNTS = (
    "total_sessions",
    "total_registrants",
    "no_shows",
    "live_sessions",
    "unique_live_viewers",
    "live_registrants",
    "od_sessions",
    "unique_od_viewers",
    "simlive_sessions",
    "unique_simlive_viewers",
)
ANALYTICS_RATES = ("total_conversion_rate", "live_conversion_rate")

# The standard registration questions: XML id <-> JSON/CSV column label.
STANDARD_QUESTIONS: dict[str, str] = {
    "firstname": "First Name",
    "lastname": "Last Name",
    "company": "Company",
    "email": "Email",
    "title": "Title",
    "country": "Country",
    "address1": "Address 1",
    "address2": "Address 2",
    "city": "City",
    "state": "State/Province/Region",
    "postalcode": "Postal Code",
    "phone": "Phone Number",
    "mobile": "Mobile Number",
    "fax": "Fax Number",
    "source_track_id": "Campaign ID",
}
ID_OF_LABEL = {label: qid for qid, label in STANDARD_QUESTIONS.items()}
#: The standard questions but email, in the registrant record's order.
OTHER_STANDARD = tuple(qid for qid in STANDARD_QUESTIONS if qid != "email")


@dataclass
class ReportHeader:
    """Event data, analytics, filters, registration questions and surveys."""

    event: dict[str, Any] = field(default_factory=dict)
    analytics: dict[str, Any] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)
    # {"question_id", "label"}; a custom question has no id in JSON and CSV.
    registration_questions: list[dict[str, Any]] = field(default_factory=list)
    # {"survey_id", "name", "type", "questions": [{"question_id", "type", "label"}]}
    surveys: list[dict[str, Any]] = field(default_factory=list)
    #: The raw text of the event's values the tap could not read, by field name.
    unparsed: dict[str, str] = field(default_factory=dict)
    #: The zone the report's times are in (what it says; see Reading.settle_zone).
    zone: ZoneInfo | None = None


@dataclass(slots=True)
class ParsedViewer:
    """One registrant, as far as the format carries it (and as far as the streams wanted need:
    a reader may leave out the sessions, Q&A or survey answers no wanted stream takes)."""

    registration_date: str | None
    answers: list[dict[str, Any]]  # {"question_id", "label", "value"}
    sessions: list[dict[str, Any]]  # {"type", "start_time", "end_time", "duration", "media"}
    qa: list[dict[str, Any]]  # {"question", "answer"}
    survey_responses: list[dict[str, Any]]  # {"survey_id", "survey_name", "question_id", ...}
    #: Session counts and durations (JSON/CSV: their columns; XML: summed by the reader).
    totals: dict[str, Any] = field(default_factory=dict)
    referrer: str | None = None
    unmapped_values: list[Any] = field(default_factory=list)
    source_line: int | None = None
    #: The raw text of the registrant's values the tap could not read, by field name.
    unparsed: dict[str, str] = field(default_factory=dict)
    #: The email ("" when none), when the reader kept it as it read (else taken from answers).
    email: str | None = None
    #: The ``registrants`` record itself, when the reader made it as it read (XML: the hot
    #: path); else the records are made from the fields above.
    registrant: dict[str, Any] | None = None

    def answer(self, question_id: str) -> str | None:
        return next((a["value"] for a in self.answers if a["question_id"] == question_id), None)


#: A viewer's registrants record, made by the reader itself (XML), when it is the only record
#: of the viewer wanted: no ParsedViewer is made (this runs for every registrant).
RegistrantRecord = dict[str, Any]
ReportItem = ReportHeader | ParsedViewer | RegistrantRecord

#: A session's type -> the prefix of its count and duration fields.
SESSION_KINDS = {"Live": "live", "On-Demand": "od", "SimLive": "simlive"}
#: A session as the totals see it: (type, duration in seconds, whether the duration was
#: unreadable).
SessionTime = tuple[str | None, float | None, bool]


def session_totals(
    sessions: Iterable[SessionTime], into: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Session counts and durations summed from the sessions (the XML report states none), as
    a new dict or written ``into`` one (a record that has the fields already). A duration the
    tap could not read makes its sums unknown (null), never smaller. (Sums in locals, not a
    dict by kind: this runs for every registrant.)"""
    live = od = simlive = live_duration = od_duration = simlive_duration = 0
    sessions_seen = total = 0
    unknown: set[str] | None = None  # the kinds whose duration sums are unknown
    for kind, seconds, unreadable in sessions:
        sessions_seen += 1
        duration = int(seconds or 0)
        total += duration
        if kind == "Live":
            live += 1
            live_duration += duration
        elif kind == "On-Demand":
            od += 1
            od_duration += duration
        elif kind == "SimLive":
            simlive += 1
            simlive_duration += duration
        if unreadable:
            unknown = unknown or set()
            unknown.add(SESSION_KINDS.get(kind or "", ""))
    totals: dict[str, Any] = {} if into is None else into
    totals["live_sessions"] = live
    totals["live_duration"] = live_duration
    totals["od_sessions"] = od
    totals["od_duration"] = od_duration
    totals["simlive_sessions"] = simlive
    totals["simlive_duration"] = simlive_duration
    totals["total_sessions"] = sessions_seen
    totals["total_duration"] = total
    if unknown:
        totals["total_duration"] = None
        for short in unknown - {""}:
            totals[f"{short}_duration"] = None
    return totals
