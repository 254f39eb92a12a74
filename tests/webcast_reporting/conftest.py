"""Fixtures of the tap-webcast-reporting tests: one small emulator per module, reset between
tests, and the check that no run ever printed the password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import assert_no_secret
from webcast_reporting.helpers import SECRETS_SEEN

from emulators import EmulatorServer
from emulators.webcasts import DEFAULT_PASSWORD


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer("webcasts", size=12, events=3, expired_events=1) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults, recorded requests, scripted codes, broken reports, renamed parameters and quotas
    from one test never reach the next;
    and nothing a test's tap run printed holds the password."""
    before = len(SECRETS_SEEN)
    if "server" in request.fixturenames:
        srv: EmulatorServer = request.getfixturevalue("server")
        srv.reset()
        srv.state.scripted.clear()
        srv.state.mend_reports()
        srv.state.parameter_names.clear()
        srv.state.report_path, srv.state.expired_report_path = "report", "expiredreport"
        srv.state.event_element = "event_info"
        srv.state.csv_sessions = True
        srv.state.quotas.__init__(  # type: ignore[misc]
            srv.state.quotas.per_hour, srv.state.quotas.expired_per_hour
        )
    yield
    for output in SECRETS_SEEN[before:]:
        assert_no_secret(output, DEFAULT_PASSWORD)
