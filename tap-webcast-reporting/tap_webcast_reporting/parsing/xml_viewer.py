"""One ``<viewer>`` of the XML report as a :class:`ParsedViewer`: the loop that runs for every
registrant, so it is written for speed (each element visited once, no path lookups, names bound
once per report, the common case of a value converted inline, nothing made that no wanted
stream takes). Every value still goes through the same conversion as before, and a value in a
form the tap does not expect still takes the slow path through :class:`Reading`, which keeps its
raw text in ``unparsed_values`` and counts it."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from tap_webcast_reporting import values as v
from tap_webcast_reporting.parsing.model import (
    OTHER_STANDARD,
    ParsedViewer,
    RegistrantRecord,
    SessionTime,
    session_totals,
)
from tap_webcast_reporting.parsing.reading import Reading

UNEXPECTED = v.UNEXPECTED
NO_SESSIONS = session_totals(())
#: The standard fields of a registrant who answered none (copied, then filled).
NO_ANSWERS: dict[str, str | None] = dict.fromkeys(OTHER_STANDARD)
ViewerReader = Callable[[Any], ParsedViewer | RegistrantRecord]


def registrant_template(event_id: str) -> dict[str, Any]:
    """The registrants record of a viewer who answered nothing and watched no session: the
    fields of ReportRecords' registrants record, in its order (a test holds the two records to
    be the same)."""
    return {
        "event_id": event_id,
        "email": "",
        "registration_date": None,
        **NO_ANSWERS,
        "answers": [],  # always replaced: the template is copied, not deep-copied
        "referrer": None,  # the XML report carries none
        **NO_SESSIONS,
        "unmapped_values": None,
    }


def viewer_reader(
    event_id: str,
    reading: Reading,
    labels: dict[str, str | None],
    streams: Collection[str] | None = None,
) -> ViewerReader:
    """The reader of the report's viewers, once its zone is settled. ``labels``: the
    registration questions' labels by id, from the report's header; ``streams``: the streams
    wanted (None: all). The registrants record is made here, as the viewer is read (the other
    streams' records by ReportRecords). The sessions are always read (the registrant's totals),
    their times only for ``viewing_sessions``; the Q&A and survey answers are left unread when
    no wanted stream takes them (they hold no value to check)."""
    utc = reading.utc
    label_of = labels.get
    template = registrant_template(event_id)
    keep_registrant = streams is None or "registrants" in streams
    keep_sessions = streams is None or "viewing_sessions" in streams
    keep_responses = streams is None or bool({"questions", "survey_responses"} & set(streams))
    only_registrant = keep_registrant and not (keep_sessions or keep_responses)
    standard = NO_ANSWERS

    def sessions_of(node: Any, into: dict[str, Any]) -> list[dict[str, Any]]:
        """The sessions as dicts (when wanted; else only each one's type and duration are
        read), their counts and durations written ``into`` a dict with the totals' fields."""
        sessions = []
        times: list[SessionTime] = []
        for s in node:
            kind = duration = None
            unparsed: dict[str, str] = {}
            if keep_sessions:
                start = end = media = None
                for f in s:  # the last of each name counts, as in a dict of them
                    tag = f.tag
                    if tag == "start_time":
                        start = f.text
                    elif tag == "end_time":
                        end = f.text
                    elif tag == "duration":
                        duration = f.text
                    elif tag == "type":
                        kind = f.text
                    elif tag == "media":
                        media = f.text
                try:
                    start_time = utc(start)
                except UNEXPECTED:
                    start_time = reading.time(start, "start_time", unparsed)
                try:
                    end_time = utc(end)
                except UNEXPECTED:
                    end_time = reading.time(end, "end_time", unparsed)
            else:
                for f in s:  # the last of each name counts
                    tag = f.tag
                    if tag == "duration":
                        duration = f.text
                    elif tag == "type":
                        kind = f.text
            if duration is not None:
                duration = duration.strip() or None
            try:
                seconds = None if duration is None else int(duration) / 1000  # v.ms_to_seconds
            except UNEXPECTED:
                seconds = reading.value(v.ms_to_seconds, duration, "duration", unparsed)
            if kind is not None:
                kind = kind.strip() or None
            times.append((kind, seconds, "duration" in unparsed))
            if keep_sessions:
                session = {
                    "type": kind,
                    "start_time": start_time,
                    "end_time": end_time,
                    "duration": seconds,
                    "media": media.strip() or None if media is not None else None,
                }
                if unparsed:
                    session["unparsed_values"] = unparsed
                sessions.append(session)
        session_totals(times, into)
        return sessions

    def question(node: Any) -> dict[str, Any]:
        """A question and the presenter's answer: the text of its first ``<answer>``."""
        answer = None
        for child in node:
            if child.tag == "answer":
                answer = v.text(child.text)
                break
        return {"question": v.text(node.text), "answer": answer}

    def response(node: Any) -> dict[str, Any]:
        value = node.text
        return {
            "survey_id": node.get("survey_id"),
            "survey_name": None,
            "question_id": node.get("question_id"),
            "question_label": None,
            "value": value.strip() or None if value is not None else None,
        }

    def read(node: Any) -> ParsedViewer | RegistrantRecord:
        record = template.copy()  # the registrants record, filled as the viewer is read
        registration_date = email = None
        answers: list[dict[str, Any]] = []
        answered = False
        sessions: list[dict[str, Any]] = []
        totals = None  # the session totals, once a <sessions> was read
        qa: list[dict[str, Any]] = []
        responses: list[dict[str, Any]] = []
        unparsed: dict[str, str] = {}
        for child in node:
            tag = child.tag
            if tag == "registration_answers":
                if answered:  # a later list of answers replaces the earlier one
                    record.update(NO_ANSWERS)
                answers, email, answered = [], None, True
                append = answers.append
                for a in child:
                    question_id = a.get("id")
                    value = a.text
                    if value is not None:
                        value = value.strip() or None
                    append(
                        {"question_id": question_id, "label": label_of(question_id), "value": value}
                    )
                    if question_id in standard:
                        record[question_id] = value
                    elif question_id == "email":
                        email = value
            elif tag == "registration_date":
                raw = child.text
                try:
                    registration_date = utc(raw)
                except UNEXPECTED:
                    registration_date = reading.time(raw, "registration_date", unparsed)
                else:
                    if registration_date is None and "registration_date" in unparsed:
                        reading.time(raw, "registration_date", unparsed)  # counted again
            elif tag == "sessions":
                totals = record if only_registrant else {}
                sessions = sessions_of(child, totals)
            elif tag == "qa" and keep_responses:
                qa = [question(q) for q in child]
            elif tag == "survey_responses" and keep_responses:
                responses = [response(r) for r in child]
        email = email or ""
        record["email"] = email
        record["registration_date"] = registration_date
        record["answers"] = answers
        if unparsed:
            record["unparsed_values"] = unparsed
        if only_registrant:
            return record
        if totals is None:
            totals = NO_SESSIONS.copy()
        else:
            record.update(totals)
        return ParsedViewer(
            registration_date,
            answers,
            sessions,
            qa,
            responses,
            totals,
            None,
            [],
            node.sourceline,
            unparsed,
            email,
            record if keep_registrant else None,
        )

    return read
