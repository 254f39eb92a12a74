"""The report in XML, written viewer by viewer (a generator: a million viewers never sit in
memory), in the node layout of the page's sample."""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

from emulators.webcasts.dataset import DataSet
from emulators.webcasts.formatting import display_name, local_time
from emulators.webcasts.model import Event, Viewer
from emulators.webcasts.report_request import ReportRequest

#: What "unexpected_values" writes where the page shows a time, a count or a duration.
UNEXPECTED = "N/A"
#: Free text as a vendor writes it by hand: a bare '&' and a bare '<' (repairable), and a '<'
#: before a letter (no repair can tell it from a tag).
BARE_TEXT = "AT&T R&D < 5 people"
UNREPAIRABLE_TEXT = "Smith<Jones & Co"


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def render(data: DataSet, event: Event, req: ReportRequest, now: float) -> Iterator[str]:
    tz = req.tz
    a = data.analytics(event)

    def odd(value: object) -> str:
        """A value as the page writes it, or one the tap's parsers do not expect."""
        return UNEXPECTED if req.variant == "unexpected_values" else str(value)

    yield '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<convey_api version="2.0">\n'
    if req.variant != "no_timezone":
        yield f"<currentTimeZone>{escape(display_name(req.timezone))}</currentTimeZone>\n"
    yield f"<currentDateTime>{local_time(now, tz)}</currentDateTime>\n"
    yield "<result>\n<returnCode>1</returnCode>\n"
    yield "<report_type>Audience Details Report</report_type>\n"
    if req.start is None and req.end is None:
        yield "<report_date_range/>\n"
    else:
        yield (
            f"<report_date_range><start>{local_time(req.start, tz)}</start>"
            f"<end>{local_time(req.end, tz)}</end></report_date_range>\n"
        )
    s, lists = req.switches, req.lists
    yield (
        "<filters>\n"
        f"<registration_date_filter>{_on_off(s['dr_regs'])}</registration_date_filter>\n"
        f"<viewing_session_date_filter>{_on_off(s['dr_sessions'])}</viewing_session_date_filter>\n"
        f"<sti_filter>{escape('|'.join(lists['sti_filter']))}</sti_filter>\n"
        "<email_domain_exclude_filter>"
        f"{escape('|'.join(lists['excl_domain']))}</email_domain_exclude_filter>\n"
        "<email_domain_include_filter>"
        f"{escape('|'.join(lists['inclu_domain']))}</email_domain_include_filter>\n"
        f"<qa_data_filter>{_on_off(s['users_qa'])}</qa_data_filter>\n"
        f"<survey_data_filter>{_on_off(s['user_survey'])}</survey_data_filter>\n"
        f"<no_show_filter>{_on_off(s['no_shows'])}</no_show_filter>\n"
        f"<live_viewers_filter>{_on_off(s['live_viewers'])}</live_viewers_filter>\n"
        f"<od_viewers_filter>{_on_off(s['od_viewers'])}</od_viewers_filter>\n"
        f"<simlive_viewers_filter>{_on_off(s['simlive_viewers'])}</simlive_viewers_filter>\n"
        "</filters>\n"
    )
    yield (
        "<report_data>\n"
        f"<eventid>{event.id}</eventid>\n<eventtitle>{escape(event.title)}</eventtitle>\n"
        f"<costcenter>{escape(event.cost_center)}</costcenter>\n"
        f"<event_create_time>{local_time(event.created, tz)}</event_create_time>\n"
        f"<live_start_time>{odd(local_time(event.live_start, tz))}</live_start_time>\n"
        f"<live_end_time>{local_time(event.live_end, tz)}</live_end_time>\n"
        "<od_first_published_time>"
        f"{local_time(event.od_first_published, tz)}</od_first_published_time>\n"
        f"<od_expiration_time>{local_time(event.od_expiration, tz)}</od_expiration_time>\n"
        "<event_analytics>\n"
        f"<total_sessions>{odd(a.total_sessions)}</total_sessions>\n"
        f"<total_registrants>{a.total_registrants}</total_registrants>\n"
        f"<no_shows>{a.no_shows}</no_shows>\n"
        f"<total_conversion_rate>{a.total_conversion_rate}</total_conversion_rate>\n"
        f"<live_sessions>{a.live_sessions}</live_sessions>\n"
        f"<unique_live_viewers>{a.unique_live_viewers}</unique_live_viewers>\n"
        f"<live_registrants>{a.live_registrants}</live_registrants>\n"
        f"<live_conversion_rate>{a.live_conversion_rate}</live_conversion_rate>\n"
        f"<od_sessions>{a.od_sessions}</od_sessions>\n"
        f"<unique_od_viewers>{a.unique_od_viewers}</unique_od_viewers>\n"
        f"<simlive_sessions>{a.simlive_sessions}</simlive_sessions>\n"
        f"<unique_simlive_viewers>{a.unique_simlive_viewers}</unique_simlive_viewers>\n"
        "</event_analytics>\n<registration_questions>\n"
    )
    for qid, label in event.registration_questions:
        yield f"<rq id={quoteattr(qid)}>{escape(label)}</rq>\n"
    yield "</registration_questions>\n<surveys>\n"
    for survey in event.surveys:
        attrs = (
            f"id={quoteattr(survey.id)} name={quoteattr(survey.name)} type={quoteattr(survey.type)}"
        )
        if not survey.questions:
            yield f"<survey {attrs}/>\n"
            continue
        yield f"<survey {attrs}>\n"
        for q in survey.questions:
            yield f"<sq id={quoteattr(q.id)} type={quoteattr(q.type)}>{escape(q.label)}</sq>\n"
        yield "</survey>\n"
    yield "</surveys>\n"
    if req.variant == "no_viewers":
        yield "</report_data>\n</result>\n</convey_api>\n"
        return
    yield "<viewers>\n"
    batch: list[str] = []
    first = True
    for viewer in data.viewers(event):
        if req.keeps(viewer):
            batch.append(_viewer(viewer, req, req.variant if first else None))
            first = False
            if len(batch) >= 200:
                yield "".join(batch)
                batch.clear()
    yield "".join(batch)
    yield "</viewers>\n</report_data>\n</result>\n</convey_api>\n"


def _answer(question_id: str, value: str, variant: str | None) -> str:
    """One registration answer; the first viewer's company or email broken as ``variant`` asks
    (free text written by hand: a bare '&' and '<', a tag that lost its '>', or a '<' before
    a letter that no repair settles)."""
    if question_id == "company" and variant == "unescaped":
        return f"<ra id={quoteattr(question_id)}>{BARE_TEXT}</ra>\n"
    if question_id == "company" and variant == "unrepairable":
        return f"<ra id={quoteattr(question_id)}>{UNREPAIRABLE_TEXT}</ra>\n"
    if question_id == "email" and variant == "missing_gt":
        return f"<ra id={quoteattr(question_id)}{escape(value)}</ra>\n"
    return f"<ra id={quoteattr(question_id)}>{escape(value)}</ra>\n"


def _viewer(v: Viewer, req: ReportRequest, variant: str | None = None) -> str:
    tz = req.tz
    registered = local_time(v.registration_date, tz)
    parts = [
        "<viewer>\n",
        f"<registration_date>{UNEXPECTED if variant == 'unexpected_values' else registered}"
        "</registration_date>\n",
        "<registration_answers>\n",
    ]
    answers = dict(v.answers)
    if variant in ("unescaped", "unrepairable") and "company" not in answers:
        answers["company"] = ""
    parts += [_answer(q, value, variant) for q, value in answers.items()]
    parts.append("</registration_answers>\n")
    if v.sessions:
        parts.append("<sessions>\n")
        for s in v.sessions:
            media = f"<media>{escape(s.media)}</media>" if s.media else "<media/>"
            duration = UNEXPECTED if variant == "unexpected_values" else s.duration_ms
            parts.append(
                f"<session>\n<type>{s.type}</type>\n"
                f"<start_time>{local_time(s.start, tz)}</start_time>\n"
                f"<end_time>{local_time(s.end, tz)}</end_time>\n"
                f"<duration>{duration}</duration>\n{media}\n</session>\n"
            )
        parts.append("</sessions>\n")
    if v.qa:
        parts.append("<qa>\n")
        for question, answer in v.qa:
            inner = f"<answer>{escape(answer)}</answer>\n" if answer else ""
            parts.append(f"<question>\n{escape(question)}\n{inner}</question>\n")
        parts.append("</qa>\n")
    else:
        parts.append("<qa/>\n")
    if v.survey_responses:
        parts.append("<survey_responses>\n")
        for r in v.survey_responses:
            qid = f" question_id={quoteattr(r.question_id)}" if r.question_id else ""
            parts.append(f"<sr survey_id={quoteattr(r.survey_id)}{qid}>{escape(r.value)}</sr>\n")
        parts.append("</survey_responses>\n")
    else:
        parts.append("<survey_responses/>\n")
    parts.append("</viewer>\n")
    return "".join(parts)
