"""Synthetic view events and leads, computed record by record from (seed, account, index).

Record ``i`` of a data set is placed in the time slot ``[start + i*step, start + (i+1)*step)``:
``created_at`` in the first half of the slot, the base ``updated_at`` in the second half. Both are
therefore strictly increasing in ``i``, so the emulator finds the index range of any ``from``/
``to`` window (or any sort position) with arithmetic instead of holding the records in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulators.datagen import (
    COMPANIES,
    COUNTRIES,
    DOMAINS,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    iso_ms,
    pick,
    rng,
    stable_int,
)

VIDEO_NAMES = (
    "Horses Heading to the Track",
    "Sea Marvels",
    "Tiger Cubs at Play",
    "Product Launch Keynote",
    "Onboarding Part 1",
    "Onboarding Part 2",
    "Quarterly Results",
    "How to Install the App",
    "Customer Story: Globex",
    "Webinar Replay: Streaming at Scale",
    "Behind the Scenes",
    "City Timelapse",
)
PLAYER_IDS = ("V1s6NOwRx", "BkgFuzyhg", "Hk4TBqzL", "rJxq9Wk2", "default")
CUSTOM_EVENTS = ("cta_click", "form_shown", "chapter_2", "share", "fullscreen")


@dataclass(frozen=True)
class Timeline:
    """Where record ``i`` sits in time: the arithmetic behind every range query."""

    start_ms: int
    step_ms: int
    size: int

    def created_at(self, seed: int, account: str, kind: str, i: int) -> int:
        half = self.step_ms // 2
        return self.start_ms + i * self.step_ms + stable_int(seed, account, kind, "c", i) % half

    def base_updated_at(self, seed: int, account: str, i: int) -> int:
        half = self.step_ms // 2
        offset = half + stable_int(seed, account, "ve", "u", i) % (self.step_ms - half)
        return self.start_ms + i * self.step_ms + offset

    def first_index_at_or_after(self, ms: int, key: Any) -> int:
        """The smallest index whose key (a function of the index, increasing, with key(i) in
        slot i) is >= ms; ``size`` when there is none."""
        if ms <= self.start_ms:
            return 0
        i = min((ms - self.start_ms) // self.step_ms, self.size)
        if i < self.size and key(i) < ms:
            i += 1
        return min(i, self.size)


def video(seed: int, account: str, i: int) -> tuple[str, str]:
    """(video_id, video_name): each account has a catalogue of 40 videos."""
    n = stable_int(seed, account, "video", i) % 40
    return str(4_842_718_056_001 + n * 1_003), VIDEO_NAMES[n % len(VIDEO_NAMES)]


def page_url(account: str, player_id: str, video_id: str) -> str:
    return (
        f"http://players.brightcove.net/{account}/{player_id}_default/index.html?videoId={video_id}"
    )


def view_event(
    seed: int,
    account: str,
    i: int,
    timeline: Timeline,
    updated_ms: int | None = None,
    progress: int = 0,
) -> dict[str, Any]:
    """View event ``i``; ``updated_ms``/``progress`` come from the processing overlay when the
    event was processed again after it first appeared."""
    r = rng(seed, account, "ve", i)
    video_id, video_name = video(seed, account, i)
    player_id = PLAYER_IDS[r.randrange(len(PLAYER_IDS))]
    duration = r.randrange(30, 1800)
    watched = min(100, r.randrange(1, 100) + progress * 7)
    has_external = r.random() < 0.3
    return {
        "created_at": iso_ms(timeline.created_at(seed, account, "ve", i) / 1000),
        "updated_at": iso_ms(
            (updated_ms if updated_ms is not None else timeline.base_updated_at(seed, account, i))
            / 1000
        ),
        "video_id": video_id,
        "video_name": video_name,
        "player_id": player_id,
        "page_url": page_url(account, player_id, video_id),
        "tracking_id": f"trk-{r.randrange(10**6):06d}" if r.random() < 0.5 else None,
        "external_id": f"{r.getrandbits(64):016x}-{i:x}" if has_external else None,
        "watched": watched,
        "time_watched": duration * watched // 100,
        "is_synced": has_external and progress > 0,
        "event_1": CUSTOM_EVENTS[r.randrange(len(CUSTOM_EVENTS))] if r.random() < 0.2 else None,
        "event_2": None,
        "event_3": None,
        "metric_1": round(r.random() * 100, 2) if r.random() < 0.2 else None,
        "metric_2": None,
        "metric_3": None,
    }


def lead(seed: int, account: str, i: int, timeline: Timeline) -> dict[str, Any]:
    r = rng(seed, account, "lead", i)
    video_id, _name = video(seed, account, i)
    player_id = PLAYER_IDS[r.randrange(len(PLAYER_IDS))]
    first = pick(seed, FIRST_NAMES, account, "first", i)
    last = pick(seed, LAST_NAMES, account, "last", i)
    domain = pick(seed, DOMAINS, account, "domain", i)
    detailed = r.random() < 0.6
    return {
        "created_at": iso_ms(timeline.created_at(seed, account, "lead", i) / 1000),
        "email_address": f"{first}.{last}.{i}@{domain}".lower(),
        "first_name": first,
        "last_name": last,
        "video_id": video_id,
        "player_id": player_id,
        "page_url": page_url(account, player_id, video_id),
        "external_id": f"{r.getrandbits(64):016x}" if r.random() < 0.3 else None,
        "business_phone": f"+1-555-{r.randrange(10**4):04d}" if detailed else None,
        "country": COUNTRIES[r.randrange(len(COUNTRIES))] if detailed else None,
        "company_name": COMPANIES[r.randrange(len(COMPANIES))] if detailed else None,
        "industry": INDUSTRIES[r.randrange(len(INDUSTRIES))] if detailed else None,
    }
