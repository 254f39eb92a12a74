"""How the Reporting API writes values: local times ``MM/DD/YYYY hh:mm:ss AM``, durations
``hh:mm:ss``, and the flat column layout the JSON ``data_headers`` and the CSV header share."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from emulators.webcasts.model import Event, Viewer

TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
TIMEZONE_NAMES = {"GMT": "Greenwich Mean Time", "America/New_York": "Eastern Standard Time"}


def local_time(ts: float | None, tz: ZoneInfo) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz).strftime(TIME_FORMAT)


def hhmmss(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def display_name(tz_name: str) -> str:
    return TIMEZONE_NAMES.get(tz_name, tz_name)


def flat_headers(event: Event) -> list[str]:
    headers = ["Event Id", "Event Title", "Cost Center", "Registered On"]
    headers += [label for _, label in event.registration_questions]
    headers += [
        "Live Sessions",
        "On-Demand Sessions",
        "SimLive Sessions",
        "Total Sessions",
        "Live Duration",
        "On-Demand Duration",
        "SimLive Duration",
        "Total Duration",
        "Referrer",
    ]
    for k in range(1, event.max_qa + 1):
        headers += [f"Question {k}", f"Answer {k}"]
    for survey in event.surveys:
        if survey.questions:
            headers += [f"Survey: {survey.name}: {q.label}" for q in survey.questions]
        else:
            headers.append(f"Survey: {survey.name}: ")
    return headers


def flat_values(event: Event, viewer: Viewer, tz: ZoneInfo) -> list[str]:
    """One viewer's cells in ``flat_headers`` order (the sessions come separately)."""
    counts = dict.fromkeys(("Live", "On-Demand", "SimLive"), 0)
    durations = dict.fromkeys(("Live", "On-Demand", "SimLive"), 0)
    for s in viewer.sessions:
        counts[s.type] = counts.get(s.type, 0) + 1
        durations[s.type] = durations.get(s.type, 0) + s.duration_ms
    row = [event.id, event.title, event.cost_center, local_time(viewer.registration_date, tz)]
    row += [viewer.answer(q) for q, _ in event.registration_questions]
    row += [str(counts[t]) for t in ("Live", "On-Demand", "SimLive")]
    row.append(str(sum(counts.values())))
    row += [hhmmss(durations[t]) for t in ("Live", "On-Demand", "SimLive")]
    row.append(hhmmss(sum(durations.values())))
    row.append(viewer.referrer)
    for k in range(event.max_qa):
        question, answer = viewer.qa[k] if k < len(viewer.qa) else ("", None)
        row += [question.strip(), (answer or "").strip()]
    for survey in event.surveys:
        question_ids: list[str | None] = [q.id for q in survey.questions] or [None]
        for question_id in question_ids:
            row.append(
                "|".join(
                    r.value
                    for r in viewer.survey_responses
                    if r.survey_id == survey.id and r.question_id == question_id
                )
            )
    return row
