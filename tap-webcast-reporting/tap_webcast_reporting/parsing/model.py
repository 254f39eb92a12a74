"""What a report reader yields, whatever the format: the report's header, then its viewers."""

from __future__ import annotations

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


@dataclass
class ParsedViewer:
    """One registrant, as far as the format carries it."""

    registration_date: str | None
    answers: list[dict[str, Any]]  # {"question_id", "label", "value"}
    sessions: list[dict[str, Any]]  # {"type", "start_time", "end_time", "duration", "media"}
    qa: list[dict[str, Any]]  # {"question", "answer"}
    survey_responses: list[dict[str, Any]]  # {"survey_id", "survey_name", "question_id", ...}
    totals: dict[str, Any] = field(default_factory=dict)  # JSON/CSV: session counts, durations
    referrer: str | None = None
    unmapped_values: list[Any] = field(default_factory=list)
    source_line: int | None = None
    #: The raw text of the registrant's values the tap could not read, by field name.
    unparsed: dict[str, str] = field(default_factory=dict)

    def answer(self, question_id: str) -> str | None:
        return next((a["value"] for a in self.answers if a["question_id"] == question_id), None)


ReportItem = ReportHeader | ParsedViewer
