"""Deterministic Rev data: webcast ``i`` and session ``k`` of its run ``r`` are computed from
``(seed, i, r, k)`` when asked for, so a data set of any size costs only the page served."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from emulators.datagen import (
    COMPANIES,
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    iso_ms,
    pick,
    rng,
    stable_int,
)
from emulators.vbrick.state import VbrickState

HOUR = 3600.0
BROWSERS = ("Chrome", "Edge", "Firefox", "Safari")
DEVICES = ("PC", "Mac", "Mobile", "Tablet")
ZONES = ("Default Zone", "HQ Campus", "EMEA Offices", "APAC Offices", "Remote")
STREAMS = ("HLS 1080p", "HLS 720p", "Multicast 720p", "eCDN 1080p", "WebRTC")
OS = (
    ("Windows", "Windows 11"),
    ("macOS", "macOS 14"),
    ("iOS", "iOS 17"),
    ("Android", "Android 14"),
)
TOPICS = (
    "Quarterly All Hands",
    "Product Launch",
    "Town Hall",
    "Security Briefing",
    "Sales Kickoff",
    "Engineering Demo Day",
    "Benefits Q&A",
    "Leadership Update",
)
POLL_QUESTIONS = (
    ("How clear was the roadmap?", ("Very clear", "Somewhat", "Not clear")),
    ("Which office do you join from?", ("HQ", "EMEA", "APAC", "Remote")),
    ("Rate the audio quality", ("Good", "Fair", "Poor")),
    ("Would you attend again?", ("Yes", "No")),
)


def guid(seed: int, *parts: object) -> str:
    high = stable_int(seed, "guid-hi", *parts)
    low = stable_int(seed, "guid-lo", *parts)
    return str(uuid.UUID(int=(high << 64) | low, version=4))


def webcast_guid(seed: int, index: int) -> str:
    """A webcast id that carries its index in the last group, so a lookup costs nothing."""
    head = guid(seed, "webcast", index)[:24]
    return f"{head}{index:012x}"


def timespan(seconds: float) -> str:
    """Seconds as .NET TimeSpan text (``[d.]hh:mm:ss[.fffffff]``), as Rev writes durations."""
    ticks = round(seconds * 10_000_000)
    days, rest = divmod(ticks, 86_400 * 10_000_000)
    hours, rest = divmod(rest, 3600 * 10_000_000)
    minutes, rest = divmod(rest, 60 * 10_000_000)
    secs, fraction = divmod(rest, 10_000_000)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if fraction:
        text += f".{fraction:07d}"
    return f"{days}.{text}" if days else text


@dataclass(frozen=True)
class Webcast:
    index: int
    id: str
    start: float
    end: float

    def status(self, now: float) -> str:
        if now < self.start:
            return "Scheduled"
        return "InProgress" if now < self.end else "Completed"

    def has_run(self, now: float) -> bool:
        return now >= self.start


class Catalog:
    """Which webcasts exist and what each one's reports hold."""

    def __init__(self, state: VbrickState) -> None:
        self.state = state
        self.seed = state.seed

    # Schedule --------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.state.size

    @property
    def completed(self) -> int:
        return max(0, self.size - self.state.in_progress - self.state.upcoming)

    def start_of(self, i: int) -> float:
        """Start times grow with the index: ended webcasts every ``spacing`` hours before the
        anchor, running ones from half an hour before it, upcoming ones after it."""
        st = self.state
        spacing = st.spacing_hours * HOUR
        done = self.completed
        if i < done:
            return st.anchor - (done - i) * spacing
        if i < done + st.in_progress:
            return st.anchor - 1800 + (i - done) * 60
        return st.anchor + (i - done - st.in_progress + 1) * spacing

    def webcast(self, i: int) -> Webcast:
        start = self.start_of(i)
        if self.completed <= i < self.completed + self.state.in_progress:
            duration = 3 * HOUR
        else:
            duration = (60 + stable_int(self.seed, "duration", i) % 121) * 60.0
        return Webcast(i, webcast_guid(self.seed, i), start, start + duration)

    def first_index_from(self, ts: float) -> int:
        """The first webcast starting at or after ``ts`` (start times grow with the index)."""
        lo, hi = 0, self.size
        while lo < hi:
            mid = (lo + hi) // 2
            if self.start_of(mid) < ts:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def find(self, webcast_id: str) -> Webcast | None:
        try:
            i = int(webcast_id[-12:], 16)
        except ValueError:
            return None
        if not 0 <= i < self.size or webcast_guid(self.seed, i) != webcast_id:
            return None
        return self.webcast(i)

    def status(self, w: Webcast) -> str:
        """Rev's status now, a webcast that runs late (``overruns``) included."""
        now = self.state.now()
        overrun = self.state.overruns.get(w.id, 0.0)
        if now < w.start:
            return "Scheduled"
        return "InProgress" if now < w.end + overrun else "Completed"

    def running_late(self, w: Webcast) -> bool:
        overrun = self.state.overruns.get(w.id)
        return overrun is not None and w.end <= self.state.now() < w.end + overrun

    def drop(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record without the fields ``drop_fields`` leaves out of this kind."""
        for name in self.state.drop_fields.get(kind, ()):
            record.pop(name, None)
        return record

    def is_large(self, i: int) -> bool:
        done, large = self.completed, min(self.state.large_webcasts, self.completed)
        return any(int((k + 0.5) * done / large) == i for k in range(large)) if large else False

    # Webcast records -------------------------------------------------------------------------
    def event(self, w: Webcast) -> dict[str, Any]:
        r = rng(self.seed, "event", w.index)
        topic = TOPICS[w.index % len(TOPICS)]
        slug = f"{topic.lower().replace(' ', '-').replace('&', 'and')}-{w.index}"
        has_preproduction = w.index % 4 == 0
        presenters = [guid(self.seed, "user", r.randint(1, 500)) for _ in range(r.randint(1, 3))]
        return {
            "id": w.id,
            "title": f"{topic} #{w.index}",
            "description": f"{topic} for {pick(self.seed, COMPANIES, 'co', w.index)} employees",
            "startDate": iso_ms(w.start),
            "endDate": iso_ms(w.end),
            "listingType": ("Public", "AllUsers", "Private")[w.index % 3],
            "eventUrl": f"https://tenant.rev.example/#/events/{w.id}",
            "backgroundImages": [
                {"url": f"https://tenant.rev.example/img/{w.id}/{size}.jpg", "scaleSize": size}
                for size in ("Original", "Small")
            ],
            "categories": [
                {
                    "categoryId": guid(self.seed, "category", w.index % 5),
                    "name": ("Corporate", "Sales", "Engineering", "HR", "Security")[w.index % 5],
                    "fullPath": "Company/"
                    + ("Corporate", "Sales", "Engineering", "HR", "Security")[w.index % 5],
                    "restricted": False,
                }
            ],
            "tags": [topic.split()[0].lower(), "webcast"],
            "unlisted": w.index % 9 == 0,
            "estimatedAttendees": r.randint(50, 5000),
            "lobbyTimeMinutes": r.choice((0, 5, 15)),
            "preProduction": {"duration": "01:00:00", "userIds": presenters, "groupIds": []}
            if has_preproduction
            else None,
            "shortcutName": slug,
            "shortcutNameUrl": f"https://tenant.rev.example/events/{slug}",
            "linkedVideoId": guid(self.seed, "video", w.index) if w.index % 3 == 0 else None,
            "autoAssociateVod": w.index % 2 == 0,
            "redirectVod": w.index % 6 == 0,
            "customFields": [
                {
                    "id": guid(self.seed, "field", 1),
                    "name": "Department",
                    "fieldType": "Select",
                    "required": False,
                    "displayedToUsers": True,
                    "value": ("Sales", "Engineering", "HR", "Finance")[w.index % 4],
                }
            ],
            "webcastType": "Rev",
            "presenterId": presenters[0],
            "presenterIds": presenters,
            "attendeeJoinMethod": "Registration" if w.index % 3 == 0 else None,
            "externalPresenters": [
                {"name": "Dana Guest", "title": "Analyst", "email": "dana@partner.example"}
            ]
            if w.index % 5 == 0
            else [],
            "reactionsSettings": {
                "enabled": w.index % 2 == 1,
                "emojis": [{"character": "\U0001f44f", "name": "clap"}],
            },
        }

    # Attendee sessions (post-event report) ---------------------------------------------------
    def session_count(self, w: Webcast, run: int) -> int:
        if not w.has_run(self.state.now()):
            return 0
        if run > 0:
            has_preproduction = w.index % 4 == 0
            return (
                3 + stable_int(self.seed, "pre", w.index) % 10
                if has_preproduction and run == 1
                else 0
            )
        if self.state.sessions_per_webcast is not None:
            count = self.state.sessions_per_webcast
        elif self.is_large(w.index):
            count = 1001 + stable_int(self.seed, "large", w.index) % 400
        else:
            count = 20 + stable_int(self.seed, "count", w.index) % 181
        # A webcast running late: only the sessions closed so far (the first half).
        return count // 2 if self.running_late(w) else count

    def session(self, w: Webcast, run: int, k: int) -> dict[str, Any]:
        r = rng(self.seed, "session", w.index, run, k)
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        username = f"{first.lower()}.{last.lower()}{k}"
        attendee_type = (
            "Host"
            if k == 0
            else "Moderator"
            if k < 3
            else "AccountAdmin"
            if k % 17 == 3
            else "Attendee"
        )
        entered = w.start + k * 2.0 + r.randint(0, 1999) / 1000
        length = float(r.randint(60, 7200))
        viewing = round(length * r.uniform(0.5, 1.0), 3)
        public_cdn = round(viewing * r.uniform(0.0, 1.0), 3)
        polls = []
        if r.random() < 0.3:
            question, answers = POLL_QUESTIONS[k % len(POLL_QUESTIONS)]
            polls.append(
                {
                    "pollId": guid(self.seed, "poll", w.index, run, k % len(POLL_QUESTIONS)),
                    "question": question,
                    "answers": r.choice(answers),
                    "when": iso_ms(entered + 600),
                }
            )
        return {
            "userType": "User" if k % 11 else "Guest",
            "name": f"{first} {last}",
            "username": username,
            "email": f"{username}@{r.choice(DOMAINS)}",
            "ipAddress": f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
            "browser": r.choice(BROWSERS),
            "deviceType": r.choice(DEVICES),
            "zone": r.choice(ZONES),
            "deviceAccessed": r.choice(("Desktop", "Mobile App", "Teams")),
            "streamAccessed": r.choice(STREAMS),
            "sessionTime": timespan(length),
            "viewingTime": timespan(viewing),
            "publicCDNTime": timespan(public_cdn),
            "eCDNTime": timespan(viewing - public_cdn),
            "enteredDate": iso_ms(entered),
            "exitedDate": iso_ms(entered + length),
            "viewingStartTime": iso_ms(entered + r.randint(1000, 20000) / 1000),
            "experiencedErrors": r.choice((0, 0, 0, 1, 2)),
            "multicastErrors": r.choice((0, 0, 0, 0, 1)),
            "bufferEvents": r.randint(0, 12),
            "rebufferEvents": r.randint(0, 6),
            "rebufferDuration": r.randint(0, 40),
            "attendeeType": attendee_type,
            "polls": polls,
        }

    def report_totals(self, w: Webcast, run: int) -> dict[str, Any]:
        n = self.session_count(w, run)
        r = rng(self.seed, "totals", w.index, run)
        hosts, moderators = min(1, n), max(0, min(2, n - 1))
        return {
            "totalSessions": n,
            "totalPublicCDNTime": timespan(n * r.uniform(600, 2400)),
            "totalECDNTime": timespan(n * r.uniform(300, 1800)),
            "hostCount": hosts,
            "moderatorCount": moderators,
            "attendeeCount": n - hosts - moderators,
            "experiencedRebufferingPercentage": r.randint(0, 15) if n else 0,
            "averageExperiencedRebufferDuration": r.randint(0, 20) if n else 0,
            "experiencedErrorsPerAttendees": r.randint(0, 2) if n else 0,
            "multicastErrorsPerAttendees": r.randint(0, 1) if n else 0,
        }

    # Comments, polls, questions --------------------------------------------------------------
    def comments(self, w: Webcast, run: int) -> list[dict[str, Any]]:
        if not w.has_run(self.state.now()) or (run > 0 and self.session_count(w, run) == 0):
            return []
        count = stable_int(self.seed, "comments", w.index, run) % (41 if run == 0 else 4)
        if run == 0 and self.state.comments_per_webcast is not None:
            count = self.state.comments_per_webcast
        out = []
        for k in range(count):
            r = rng(self.seed, "comment", w.index, run, k)
            user = f"{r.choice(FIRST_NAMES).lower()}.{r.choice(LAST_NAMES).lower()}"
            text = r.choice(
                (
                    "Great session!",
                    "Can you share the slides?",
                    "Audio is choppy",
                    "Thanks all",
                    "Where is the recording?",
                )
            )
            out.append(
                {
                    "commentId": guid(self.seed, "comment", w.index, run, k),
                    "userId": guid(self.seed, "user", user),
                    "username": user,
                    "date": iso_ms(w.start + 60 + k * 45 + r.randint(0, 44_000) / 1000),
                    "comment": text,
                    "htmlComment": f"<p>{text}</p>",
                    "hidden": k % 13 == 7,
                }
            )
        return out

    def polls(self, w: Webcast, run: int) -> list[dict[str, Any]] | None:
        """The polls of one run, or None for a run that never happened (Rev: empty body)."""
        if not w.has_run(self.state.now()) or self.session_count(w, run) == 0:
            return None
        count = stable_int(self.seed, "polls", w.index, run) % 4
        polls = []
        for k in range(count):
            r = rng(self.seed, "pollresult", w.index, run, k)
            question, answers = POLL_QUESTIONS[(w.index + k) % len(POLL_QUESTIONS)]
            votes = [r.randint(0, 120) for _ in answers]
            no_response = r.randint(0, 40)
            polls.append(
                {
                    "id": guid(self.seed, "poll", w.index, run, k),
                    "question": question,
                    "totalResponses": sum(votes),
                    "totalNoResponses": no_response,
                    "allowMultipleAnswers": k % 2 == 1,
                    "whenPollCreated": iso_ms(w.start + 300 + k * 600),
                    "pollAnswers": [
                        {"answer": a, "votes": v} for a, v in zip(answers, votes, strict=True)
                    ],
                }
            )
        return polls

    def questions(self, w: Webcast, run: int) -> list[dict[str, Any]]:
        if not w.has_run(self.state.now()) or (run > 0 and self.session_count(w, run) == 0):
            return []
        count = stable_int(self.seed, "questions", w.index, run) % 26
        out = []
        for k in range(count):
            r = rng(self.seed, "question", w.index, run, k)
            asker = f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
            asked = w.start + 120 + k * 90 + r.randint(0, 89_000) / 1000
            answered = r.random() < 0.7
            out.append(
                {
                    "questionId": guid(self.seed, "question", w.index, run, k),
                    "whenAsked": iso_ms(asked),
                    "question": r.choice(
                        (
                            "When is the next release?",
                            "Is this recorded?",
                            "What about remote staff?",
                            "Can we get the deck?",
                        )
                    ),
                    "userName": asker.lower().replace(" ", "."),
                    "repliedUserName": "host.user" if answered else None,
                    "askedBy": asker,
                    "repliedBy": "Host User" if answered else None,
                    "whenReplied": iso_ms(asked + r.randint(30, 900)) if answered else None,
                    "lastAction": "Replied" if answered else "Asked",
                    "reply": "Yes, shortly after the event." if answered else None,
                    "isPublic": r.random() < 0.8,
                }
            )
        return out

    # Real-time attendees ---------------------------------------------------------------------
    def realtime_count(self, w: Webcast) -> int:
        if self.state.realtime_attendees is not None:
            return self.state.realtime_attendees
        return 50 + stable_int(self.seed, "realtime", w.index) % 601

    def realtime_attendee(self, w: Webcast, k: int, details: str) -> dict[str, Any]:
        r = rng(self.seed, "rt", w.index, k)
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        username = f"{first.lower()}.{last.lower()}{k}"
        start = w.start + k * 1.5 + r.randint(0, 1499) / 1000
        base = {
            "UserId": guid(self.seed, "rtuser", w.index, k),
            "Username": username,
            "Email": f"{username}@{r.choice(DOMAINS)}",
            "StartTime": iso_ms(start),
            "SessionId": guid(self.seed, "rtsession", w.index, k),
            "FullName": f"{first} {last}",
        }
        if details != "All":
            return base
        os_family, os_name = r.choice(OS)
        return {
            **base,
            "UserType": "User",
            "AttendeeType": "Host" if k == 0 else "Attendee",
            "Status": "Online" if r.random() < 0.8 else "Offline",
            "ExperiencedErrors": r.choice((0, 0, 1)),
            "MulticastFailovers": r.choice((0, 0, 0, 1)),
            "ExperiencedBufferingDuration": round(r.uniform(0, 30), 2),
            "ExperiencedBufferingCount": r.randint(0, 8),
            "AvgExperiencedBufferingDuration": round(r.uniform(0, 4), 2),
            "AvgBitrateKbps": round(r.uniform(800, 6000), 1),
            "AvgBandwidthMbps": round(r.uniform(2, 90), 1),
            "ViewingStartTime": iso_ms(start + 3),
            "ZoneId": guid(self.seed, "zone", k % len(ZONES)),
            "ZoneName": ZONES[k % len(ZONES)],
            "IpAddress": f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
            "StreamDevice": r.choice(("Encoder 1", "Encoder 2")),
            "StreamAccessed": r.choice(STREAMS),
            "PlayerDevice": r.choice(DEVICES),
            "Browser": r.choice(BROWSERS),
            "VideoPlayer": "Rev Player",
            "VideoFormat": "HLS",
            "UserAgent": f"Mozilla/5.0 ({os_name})",
            "OsName": os_name,
            "OsFamily": os_family,
            "DeviceId": guid(self.seed, "device", w.index, k),
            "RevConnect": r.random() < 0.3,
            "StreamType": r.choice(("Unicast", "Multicast", "eCDN")),
            "ProfileImageUrl": f"https://tenant.rev.example/img/users/{username}.png",
        }
