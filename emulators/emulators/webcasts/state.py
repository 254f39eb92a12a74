"""What a test can see and switch in the webcasts.com emulator: the clock, login sessions,
quotas, and return codes to answer on request."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from emulators.webcasts.dataset import DataSet
from emulators.webcasts.quotas import Quotas


@dataclass
class ScriptedCode:
    path: str  # a part of the request path ("/report/", "/login", "/eventlist", ...)
    code: int
    event_id: str | None = None
    times: int | None = 1


#: What ``break_report`` can make a report answer (each a plausible answer of the real API, or
#: vendor XML written by hand): see :meth:`WebcastsState.break_report`.
BREAKAGES = (
    "html",  # an HTML page with HTTP 200 (a proxy's or a maintenance page), no returnCode
    "error_without_code",  # a failure answer without returnCode (JSON: {"error": ...})
    "no_viewers",  # XML without <viewers>, JSON without data_rows: not the report's shape
    "no_timezone",  # XML/JSON without currentTimeZone
    "unexpected_values",  # "N/A" in a duration, a count and a time of one viewer and the event
    "unescaped",  # free text with a bare '&' and a bare '<' (repairable)
    "missing_gt",  # a start tag that lost its '>' (the sample's break; repairable)
    "unrepairable",  # free text with '<' before a letter: no repair settles it
    "one_line",  # the whole report without a line break
)


@dataclass
class Breakage:
    kind: str
    event_id: str | None = None
    times: int | None = None  # None: every matching report until cleared


@dataclass
class WebcastsState:
    data: DataSet
    quotas: Quotas
    username: str
    password: str
    session_lifetime: float
    clock_offset: float = 0.0
    #: A frozen clock (epoch seconds; the ``now`` option): every answer is stamped the same, so
    #: two runs give the same records. None: the real time.
    frozen_at: float | None = None
    sessions: dict[tuple[str, str], float] = field(default_factory=dict)  # (ui, si) -> expiry
    scripted: list[ScriptedCode] = field(default_factory=list)
    broken: list[Breakage] = field(default_factory=list)
    #: The names the report call reads its parameters under, where they are not the tap's
    #: assumed ones ({"tz": "timezone"}: a ``tz`` parameter is ignored, as an API would).
    parameter_names: dict[str, str] = field(default_factory=dict)
    #: The report calls' paths under /api/reporting (the tap's assumed names by default).
    report_path: str = "report"
    expired_report_path: str = "expiredreport"
    #: The event list's element name (the page's sample: event_info).
    event_element: str = "event_info"
    #: Whether a CSV report has the (assumed) last column ``sessions``.
    csv_sessions: bool = True
    logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        base = time.time() if self.frozen_at is None else self.frozen_at
        return base + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock (session expiry, quota windows) forward."""
        self.clock_offset += seconds

    def answer_code(
        self, code: int, path: str = "/report/", event_id: str | None = None, times: int | None = 1
    ) -> None:
        """Make the next ``times`` matching calls answer ``code`` (with HTTP 200)."""
        with self._lock:
            self.scripted.append(ScriptedCode(path, code, event_id, times))

    def scripted_code(self, path: str, event_id: str | None) -> int | None:
        with self._lock:
            for item in self.scripted:
                if item.path in path and item.event_id in (None, event_id):
                    if item.times is not None:
                        item.times -= 1
                        if item.times <= 0:
                            self.scripted.remove(item)
                    return item.code
        return None

    def break_report(
        self, kind: str, event_id: str | None = None, times: int | None = None
    ) -> None:
        """Make the reports of ``event_id`` (every event: None) answer broken, ``times`` times
        (None: until ``mend_reports``). Kinds: :data:`BREAKAGES`."""
        if kind not in BREAKAGES:
            raise ValueError(f"breakage must be one of {BREAKAGES}, not {kind!r}")
        with self._lock:
            self.broken.append(Breakage(kind, event_id, times))

    def mend_reports(self) -> None:
        """Every report answers whole again."""
        with self._lock:
            self.broken.clear()

    def breakage(self, event_id: str | None) -> str | None:
        """The breakage this report answers with (counted), if any."""
        with self._lock:
            for item in self.broken:
                if item.event_id in (None, event_id):
                    if item.times is not None:
                        item.times -= 1
                        if item.times <= 0:
                            self.broken.remove(item)
                    return item.kind
        return None

    def login(self, username: str, password: str) -> tuple[str, str] | None:
        if username != self.username or password != self.password:
            return None
        ui = secrets.token_hex(20)
        si = secrets.token_hex(20)
        with self._lock:
            self.sessions[(ui, si)] = self.now() + self.session_lifetime
            self.logins += 1
        return ui, si

    def valid(self, ui: str | None, si: str | None) -> bool:
        expiry = self.sessions.get((ui or "", si or ""))
        return expiry is not None and self.now() < expiry

    def expire_sessions(self) -> None:
        """Invalidate every session now (the next call answers returnCode 11)."""
        with self._lock:
            self.sessions.clear()
