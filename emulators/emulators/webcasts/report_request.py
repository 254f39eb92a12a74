"""A report request's parameters: time zone, date range and the documented filters, and the
question each filter asks of a viewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from emulators.webcasts.model import Viewer

ON_OFF = ("on", "off")
# The on/off filters, with their defaults when a request leaves them out.
SWITCHES: dict[str, bool] = {
    "dr_regs": True,
    "dr_sessions": True,
    "users_qa": False,
    "user_survey": False,
    "no_shows": False,
    "live_viewers": False,
    "od_viewers": False,
    "simlive_viewers": False,
}
LISTS = ("sti_filter", "excl_domain", "inclu_domain")
DATE_FORMAT = "%m/%d/%Y"


class BadParametersError(ValueError):
    """Answered with returnCode 72."""


@dataclass(frozen=True)
class ReportRequest:
    event_id: str
    timezone: str
    start: float | None
    end: float | None
    switches: dict[str, bool]
    lists: dict[str, tuple[str, ...]]
    #: A breakage to render (WebcastsState.break_report), None for a whole report.
    variant: str | None = None

    @classmethod
    def parse(
        cls, args: dict[str, str], timezones: frozenset[str], variant: str | None = None
    ) -> ReportRequest:
        event_id = args.get("ei", "")
        if not event_id.isdigit():
            raise BadParametersError("ei")
        tz_name = args.get("tz") or "GMT"
        if tz_name not in timezones:
            raise BadParametersError("tz")
        tz = ZoneInfo(tz_name)
        switches = {}
        for name, default in SWITCHES.items():
            value = args.get(name)
            if value is not None and value not in ON_OFF:  # case sensitive, as documented
                raise BadParametersError(name)
            switches[name] = default if value is None else value == "on"
        lists = {name: tuple(v for v in args.get(name, "").split("|") if v) for name in LISTS}
        if lists["excl_domain"] and lists["inclu_domain"]:
            raise BadParametersError("excl_domain with inclu_domain")
        try:
            start = _day(args.get("start"), tz, time(0, 0, 0))
            end = _day(args.get("end"), tz, time(23, 59, 59))
        except ValueError as exc:
            raise BadParametersError("start/end") from exc
        return cls(event_id, tz_name, start, end, switches, lists, variant)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def keeps(self, viewer: Viewer) -> bool:
        """Whether the filters let this viewer into the report."""
        s = self.switches
        if (self.start is not None or self.end is not None) and (s["dr_regs"] or s["dr_sessions"]):
            registered = s["dr_regs"] and self._within(viewer.registration_date)
            viewed = s["dr_sessions"] and any(self._within(x.start) for x in viewer.sessions)
            if not (registered or viewed):
                return False
        types = {x.type for x in viewer.sessions}
        domain = viewer.email.rpartition("@")[2].lower()
        checks = (
            not self.lists["sti_filter"]
            or viewer.answer("source_track_id") in self.lists["sti_filter"],
            not self.lists["excl_domain"] or domain not in self.lists["excl_domain"],
            not self.lists["inclu_domain"] or domain in self.lists["inclu_domain"],
            not s["users_qa"] or bool(viewer.qa),
            not s["user_survey"] or bool(viewer.survey_responses),
            not s["no_shows"] or not viewer.sessions,
            not s["live_viewers"] or "Live" in types,
            not s["od_viewers"] or "On-Demand" in types,
            not s["simlive_viewers"] or "SimLive" in types,
        )
        return all(checks)

    def _within(self, ts: float) -> bool:
        return (self.start is None or ts >= self.start) and (self.end is None or ts <= self.end)


def _day(value: str | None, tz: ZoneInfo, at: time) -> float | None:
    if not value:
        return None
    day = datetime.strptime(value, DATE_FORMAT).date()
    return datetime.combine(day, at, tzinfo=tz).timestamp()
