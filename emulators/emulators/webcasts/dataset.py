"""The emulator's webcasts: generated ones (viewer ``i`` of event ``e`` computed from
(seed, e, i), never a list of viewers in memory) and the page's own sample event 123456."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from emulators import datagen
from emulators.webcasts.model import (
    STANDARD_QUESTIONS,
    Analytics,
    Event,
    Session,
    Survey,
    SurveyQuestion,
    SurveyResponse,
    Viewer,
)

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_XML_EVENT = "123456"  # the page's XML sample, served as it is (broken attribute included)
SAMPLE_JSON_EVENT = "20786"  # the page's JSON sample (broken row): JSON only, on request
SAMPLE_TIMEZONE = "America/New_York"  # the XML sample says "Eastern Standard Time"
FIRST_EVENT_ID = 2227117  # the page's event list sample
EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: generated webcasts are created after it
DAY = 86_400.0

CUSTOM_QUESTIONS = (
    ("559607bd0f63f65f6892eff0477b5be1c123582d", "Department"),
    (
        "86cb4cddbaf8762010db311d9e035d59c755ad3a",
        "Have you previously attended one of our webcasts?",
    ),
)
DEPARTMENTS = ("Marketing", "Sales", "Engineering", "Finance", "Product Strategy")
TITLES = ("Analyst", "Manager", "Director", "VP", "Engineer", "")
MEDIA = ("HTML5 Video", "Unknown", "Flash", "Mobile")
QUESTIONS = (
    "Will the slides be shared after the webcast?",
    "How does this integrate with our CRM?",
    "What is the pricing model?",
    "Can you repeat the last point?",
)
ANSWERS = ("Yes, we will email them.", "We will cover that at the end.", None)


class DataSet:
    def __init__(self, seed: int, events: int, size: int, expired: int, samples: bool) -> None:
        self.seed = seed
        self.size = size
        self.samples = samples
        ids = [str(FIRST_EVENT_ID + k) for k in range(events)]
        self._expired = set(ids[len(ids) - expired :]) if expired else set()
        self._generated = ids
        self._analytics: dict[str, Analytics] = {}

    def event_ids(self) -> list[str]:
        """The event list: the sample event first, then the generated ones."""
        samples = [SAMPLE_XML_EVENT, SAMPLE_JSON_EVENT] if self.samples else []
        return samples + self._generated

    def event(self, event_id: str) -> Event | None:
        if event_id == SAMPLE_XML_EVENT and self.samples:
            return sample_event()[0]
        if event_id == SAMPLE_JSON_EVENT and self.samples:
            return json_sample_event()
        if event_id in self._generated:
            return self._generate_event(event_id)
        return None

    def viewers(self, event: Event) -> Iterator[Viewer]:
        if event.id == SAMPLE_XML_EVENT:
            yield from sample_event()[1]
            return
        for i in range(event.registrant_count):
            yield self._viewer(event, i)

    def analytics(self, event: Event) -> Analytics:
        """Event totals over every viewer (one pass, remembered per event)."""
        if event.id not in self._analytics:
            self._analytics[event.id] = compute_analytics(self.viewers(event), event)
        return self._analytics[event.id]

    def _generate_event(self, event_id: str) -> Event:
        k = int(event_id) - FIRST_EVENT_ID
        r = datagen.rng(self.seed, "event", event_id)
        created = EPOCH + k * 3 * DAY + r.randint(0, 3600)
        live_start = created + 7 * DAY
        live_end = live_start + r.choice((30, 45, 60)) * 60
        last_registration = live_start + 30 * DAY
        return Event(
            id=event_id,
            title=f"{datagen.pick(self.seed, datagen.INDUSTRIES, event_id)} Webcast {k + 1}",
            cost_center=datagen.pick(self.seed, ("Marketing", "Sales", ""), event_id, "cc"),
            creator="admin1",
            created=created,
            live_start=live_start,
            live_end=live_end,
            od_first_published=live_end + 600,
            od_expiration=live_end + 180 * DAY,
            pre_live_scheduled=live_start,
            sim_live_scheduled=live_start + 14 * DAY,
            folder_id=f"{datagen.stable_int(self.seed, 'folder', event_id):040x}"[-40:],
            is_expired=event_id in self._expired,
            registration_questions=(
                *STANDARD_QUESTIONS,
                *((f"{qid}_{event_id}", label) for qid, label in CUSTOM_QUESTIONS),
            ),
            surveys=(
                Survey(
                    f"{event_id}a.{k:08d}",
                    "Halftime Survey",
                    "In Event",
                    (
                        SurveyQuestion(f"{event_id}q1.{k:08d}", "Radio Vertical", "Useful so far?"),
                        SurveyQuestion(f"{event_id}q2.{k:08d}", "Textbox", "Topics for next time?"),
                    ),
                ),
                Survey(f"{event_id}b.{k:08d}", "Attendance Check", "Attendance", ()),
            ),
            registrant_count=self.size,
            max_qa=2,
            latest_registration=last_registration,
            latest_session=live_end + 60 * DAY,
        )

    def _viewer(self, event: Event, i: int) -> Viewer:
        r = datagen.rng(self.seed, "viewer", event.id, i)
        assert event.live_start is not None
        assert event.live_end is not None
        span = event.latest_registration - event.created
        registered = event.created + span * i / max(event.registrant_count, 1) + r.randint(0, 59)
        registered = min(registered, event.latest_registration)
        first, last = r.choice(datagen.FIRST_NAMES), r.choice(datagen.LAST_NAMES)
        company = r.choice(datagen.COMPANIES)
        values = {
            "firstname": first,
            "lastname": last,
            "company": company,
            "email": f"{first}.{last}.{i}@{r.choice(datagen.DOMAINS)}".lower(),
            "title": r.choice(TITLES),
            "country": r.choice(datagen.COUNTRIES),
            "source_track_id": r.choice(("", "", "Linkedin Campaign", "Newsletter")),
        }
        custom = [q for q, _ in event.registration_questions if q.endswith(f"_{event.id}")]
        values[custom[0]] = r.choice(DEPARTMENTS)
        values[custom[1]] = r.choice(("Yes", "No"))
        answers = tuple(
            (q, values[q]) for q, _ in event.registration_questions if values.get(q, "")
        )
        sessions = []
        for _ in range(r.choice((0, 1, 1, 2, 3))):
            kind = r.choice(("Live", "Live", "On-Demand", "SimLive"))
            if kind == "Live" and registered > event.live_end:
                kind = "On-Demand"  # registered after the live event: only the archive is left
            if kind == "Live":
                start = event.live_start + r.randint(0, 600)
                end = min(start + r.randint(60, 3600), event.live_end)
                end = max(end, start + 1)
            else:
                start = max(event.live_end, registered) + r.randint(600, 50 * int(DAY))
                end = start + r.randint(60, 3600)
            sessions.append(Session(kind, start, end, int(end - start) * 1000, r.choice(MEDIA)))
        sessions.sort(key=lambda s: s.start)
        qa = tuple((r.choice(QUESTIONS), r.choice(ANSWERS)) for _ in range(r.choice((0, 0, 1, 2))))
        responses: list[SurveyResponse] = []
        if sessions and r.random() < 0.6:
            halftime, attendance = event.surveys
            responses.append(SurveyResponse(halftime.id, halftime.questions[0].id, "Yes"))
            responses.append(
                SurveyResponse(halftime.id, halftime.questions[1].id, r.choice(QUESTIONS))
            )
            responses.append(SurveyResponse(attendance.id, None, "Yes"))
        return Viewer(
            registration_date=float(int(registered)),
            answers=answers,
            sessions=tuple(sessions),
            qa=qa,
            survey_responses=tuple(responses),
            referrer=r.choice(("", "https://www.linkedin.com/", "https://news.example.com/")),
        )


def compute_analytics(viewers: Iterator[Viewer], event: Event) -> Analytics:
    totals = dict.fromkeys(SESSIONS_BY_TYPE.values(), 0)
    uniques = dict.fromkeys(SESSIONS_BY_TYPE.values(), 0)
    registrants = no_shows = live_registrants = 0
    for viewer in viewers:
        registrants += 1
        if not viewer.sessions:
            no_shows += 1
        if event.live_end is None or viewer.registration_date <= event.live_end:
            live_registrants += 1
        seen = set()
        for session in viewer.sessions:
            key = SESSIONS_BY_TYPE[session.type]
            totals[key] += 1
            seen.add(key)
        for key in seen:
            uniques[key] += 1
    return Analytics(
        total_sessions=sum(totals.values()),
        total_registrants=registrants,
        no_shows=no_shows,
        live_sessions=totals["live"],
        unique_live_viewers=uniques["live"],
        live_registrants=live_registrants,
        od_sessions=totals["od"],
        unique_od_viewers=uniques["od"],
        simlive_sessions=totals["simlive"],
        unique_simlive_viewers=uniques["simlive"],
    )


SESSIONS_BY_TYPE = {"Live": "live", "On-Demand": "od", "SimLive": "simlive"}


def sample_xml() -> bytes:
    """The page's XML sample, byte for byte (its broken ``<ra id="email"agraystone...`` too)."""
    return (SAMPLES / f"report_{SAMPLE_XML_EVENT}.xml").read_bytes()


def sample_json() -> bytes:
    """The page's JSON sample, byte for byte (its broken third row too)."""
    return (SAMPLES / f"report_{SAMPLE_JSON_EVENT}.json").read_bytes()


def json_sample_event() -> Event:
    """Event 20786 of the JSON sample, as the event list shows it (its report exists only as
    the page's JSON; the emulator answers returnCode 10 for it in XML and CSV)."""
    gmt = ZoneInfo("GMT")

    def when(value: str) -> float:
        return datetime.strptime(value, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=gmt).timestamp()

    return Event(
        id=SAMPLE_JSON_EVENT,
        title="Sample API Event",
        cost_center="",
        creator="admin1",
        created=when("05/24/2017 03:25:03 PM"),
        live_start=when("05/24/2017 03:37:28 PM"),
        live_end=when("05/24/2017 03:48:28 PM"),
        od_first_published=None,
        od_expiration=when("11/24/2017 03:43:35 PM"),
        pre_live_scheduled=when("05/24/2017 04:00:00 PM"),
        sim_live_scheduled=None,
        folder_id="4fdc91f0ec60425c502f02f965c72b3abcc5ca71",
        is_expired=False,
        registration_questions=(),
        surveys=(),
        registrant_count=4,
        max_qa=3,
        latest_registration=when("05/24/2017 03:41:33 PM"),
        latest_session=when("05/24/2017 03:48:28 PM"),
    )


@lru_cache(maxsize=1)
def sample_event() -> tuple[Event, tuple[Viewer, ...]]:
    """Event 123456 as a model, read from the XML sample (with its one broken attribute mended
    here, so that the JSON and CSV renderings carry the same six viewers)."""
    text = sample_xml().replace(b'<ra id="email"agraystone', b'<ra id="email">agraystone')
    root = etree.fromstring(text, etree.XMLParser(resolve_entities=False, no_network=True))
    data = root.find("result/report_data")
    assert data is not None
    tz = ZoneInfo(SAMPLE_TIMEZONE)

    def when(path: str, node: etree._Element = data) -> float | None:
        value = (node.findtext(path) or "").strip()
        if not value:
            return None
        local = datetime.strptime(value, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=tz)
        return local.timestamp()

    surveys = tuple(
        Survey(
            s.get("id", ""),
            s.get("name", ""),
            s.get("type", ""),
            tuple(
                SurveyQuestion(q.get("id", ""), q.get("type", ""), (q.text or "").strip())
                for q in s.findall("sq")
            ),
        )
        for s in data.iterfind("surveys/survey")
    )
    viewers = []
    for v in data.iterfind("viewers/viewer"):
        viewers.append(
            Viewer(
                registration_date=when("registration_date", v) or 0.0,
                answers=tuple(
                    (a.get("id", ""), (a.text or "").strip())
                    for a in v.iterfind("registration_answers/ra")
                ),
                sessions=tuple(
                    Session(
                        s.findtext("type", ""),
                        when("start_time", s) or 0.0,
                        when("end_time", s) or 0.0,
                        int(s.findtext("duration", "0")),
                        s.findtext("media", "") or "",
                    )
                    for s in v.iterfind("sessions/session")
                ),
                qa=tuple(
                    ((q.text or "").strip(), q.findtext("answer"))
                    for q in v.iterfind("qa/question")
                ),
                survey_responses=tuple(
                    SurveyResponse(r.get("survey_id", ""), r.get("question_id"), r.text or "")
                    for r in v.iterfind("survey_responses/sr")
                ),
            )
        )
    created = when("event_create_time") or 0.0
    event = Event(
        id=SAMPLE_XML_EVENT,
        title=data.findtext("eventtitle", ""),
        cost_center=data.findtext("costcenter", ""),
        creator="admin1",
        created=created,
        live_start=when("live_start_time"),
        live_end=when("live_end_time"),
        od_first_published=when("od_first_published_time"),
        od_expiration=when("od_expiration_time"),
        pre_live_scheduled=None,
        sim_live_scheduled=None,
        folder_id="4fdc91f0ec60425c502f02f965c72b3abcc5ca71",
        is_expired=False,
        registration_questions=tuple(
            (q.get("id", ""), (q.text or "").strip())
            for q in data.iterfind("registration_questions/rq")
        ),
        surveys=surveys,
        registrant_count=len(viewers),
        max_qa=max(len(v.qa) for v in viewers),
        latest_registration=max(v.registration_date for v in viewers),
        latest_session=max((s.end for v in viewers for s in v.sessions), default=created),
    )
    return event, tuple(viewers)
