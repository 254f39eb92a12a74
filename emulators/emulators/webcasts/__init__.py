"""The webcasts.com Reporting API emulator (``EmulatorServer("webcasts")``).

Routes (``api_url`` = ``<base>/api``, ``reporting_url`` = ``<base>/api/reporting``):
``/api/login[/xml|/json]``, ``/api/reporting/eventlist``, ``/api/reporting/timezones``,
``/api/reporting/report[/xml|/json|/csv]`` and ``/api/reporting/expiredreport[/...]``.

Options: ``seed``, ``size`` (registrants of each generated event), ``events`` (generated events),
``expired_events`` (how many of them are expired), ``samples`` (serve the page's sample events
123456 (XML, broken attribute included) and 20786 (JSON, broken row included)), ``username``,
``password``, ``session_lifetime`` (s, default two hours), ``max_reports_per_hour`` (1000, as
the page says) and ``max_expired_reports_per_hour`` (50): past them, and for a second report
while one is still being answered, the call is answered with HTTP 200 and return code 62, the
API's own refusal (quotas.py), ``now`` (a frozen clock: epoch seconds or ISO 8601), and the
other plausible answers to the tap's assumed names: ``parameter_names`` (``{"tz": "timezone"}``:
the report call knows the parameter by another name, so the tap's is ignored), ``report_path``,
``expired_report_path`` (a path the tap does not use: its own is answered 404),
``event_element`` (the event list's element name) and ``csv_sessions`` (False: a CSV report
without the assumed ``sessions`` column).
Tests switch ``app.extensions["emulator_state"]`` (:class:`WebcastsState`, the same names as
attributes): ``answer_code``, ``break_report`` / ``mend_reports`` (an answer that is not the
report's shape, vendor XML broken by hand, unexpected values, a report on one line...),
``advance``, ``expire_sessions``.
"""

from __future__ import annotations

from flask import Flask

from emulators.datagen import epoch_seconds
from emulators.webcasts import codes
from emulators.webcasts.app import register_routes
from emulators.webcasts.dataset import DataSet
from emulators.webcasts.quotas import Quotas
from emulators.webcasts.state import WebcastsState

DEFAULT_USERNAME = "emulator-user"
DEFAULT_PASSWORD = "emulator-Pa55word!"  # noqa: S105 - the emulator's demo account

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USERNAME", "WebcastsState", "create_app", "error_body"]


def create_app(
    *,
    seed: int = 42,
    size: int = 50,
    events: int = 4,
    expired_events: int = 1,
    samples: bool = True,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    session_lifetime: float = 7200.0,
    max_reports_per_hour: int = 1000,
    max_expired_reports_per_hour: int = 50,
    now: str | float | None = None,
    parameter_names: dict[str, str] | None = None,
    report_path: str = "report",
    expired_report_path: str = "expiredreport",
    event_element: str = "event_info",
    csv_sessions: bool = True,
) -> Flask:
    app = Flask("emulators.webcasts")
    state = WebcastsState(
        data=DataSet(seed, events, size, expired_events, samples),
        quotas=Quotas(max_reports_per_hour, max_expired_reports_per_hour),
        username=username,
        password=password,
        session_lifetime=session_lifetime,
        frozen_at=None if now is None else epoch_seconds(now),
        parameter_names=dict(parameter_names or {}),
        report_path=report_path,
        expired_report_path=expired_report_path,
        event_element=event_element,
        csv_sessions=csv_sessions,
    )
    app.extensions["emulator_state"] = state
    register_routes(app, state)
    return app


def error_body(status: int) -> tuple[str, str]:
    """A framework status fault's body: the API's XML failure (50: service unavailable)."""
    return codes.failure(50 if status >= 500 else 0, "xml")
