"""What a webcast's report is made of: one model that the XML, JSON and CSV renderers all read,
so that the three formats agree."""

from __future__ import annotations

from dataclasses import dataclass

# The standard registration questions, with the ids of the page's XML sample and the labels its
# JSON sample's data_headers use.
STANDARD_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("firstname", "First Name"),
    ("lastname", "Last Name"),
    ("company", "Company"),
    ("email", "Email"),
    ("title", "Title"),
    ("country", "Country"),
    ("address1", "Address 1"),
    ("address2", "Address 2"),
    ("city", "City"),
    ("state", "State/Province/Region"),
    ("postalcode", "Postal Code"),
    ("phone", "Phone Number"),
    ("mobile", "Mobile Number"),
    ("fax", "Fax Number"),
    ("source_track_id", "Campaign ID"),
)

SESSION_TYPES = ("Live", "On-Demand", "SimLive")


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    type: str
    label: str


@dataclass(frozen=True)
class Survey:
    id: str
    name: str
    type: str
    questions: tuple[SurveyQuestion, ...]


@dataclass(frozen=True)
class Session:
    type: str
    start: float  # epoch seconds, UTC
    end: float
    duration_ms: int
    media: str


@dataclass(frozen=True)
class SurveyResponse:
    survey_id: str
    question_id: str | None
    value: str


@dataclass(frozen=True)
class Viewer:
    registration_date: float
    answers: tuple[tuple[str, str], ...]  # (question id, value), in question order
    sessions: tuple[Session, ...]
    qa: tuple[tuple[str, str | None], ...]  # (question, answer or None)
    survey_responses: tuple[SurveyResponse, ...]
    referrer: str = ""

    def answer(self, question_id: str) -> str:
        return next((v for q, v in self.answers if q == question_id), "")

    @property
    def email(self) -> str:
        return self.answer("email")


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    cost_center: str
    creator: str
    created: float
    live_start: float | None
    live_end: float | None
    od_first_published: float | None
    od_expiration: float | None
    pre_live_scheduled: float | None
    sim_live_scheduled: float | None
    folder_id: str
    is_expired: bool
    registration_questions: tuple[tuple[str, str], ...]  # (id, label)
    surveys: tuple[Survey, ...]
    registrant_count: int
    max_qa: int  # Q&A column pairs in the flat formats
    latest_registration: float
    latest_session: float


@dataclass(frozen=True)
class Analytics:
    total_sessions: int
    total_registrants: int
    no_shows: int
    live_sessions: int
    unique_live_viewers: int
    live_registrants: int
    od_sessions: int
    unique_od_viewers: int
    simlive_sessions: int
    unique_simlive_viewers: int

    @property
    def total_conversion_rate(self) -> str:
        return _percent(self.total_registrants - self.no_shows, self.total_registrants)

    @property
    def live_conversion_rate(self) -> str:
        return _percent(self.unique_live_viewers, self.live_registrants)


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    value = round(100 * part / whole, 1)
    return f"{value:g}%"
