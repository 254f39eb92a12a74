"""Rev sessions: both logins, extension before expiry, one renewal after a 401, and a refused
login that is never retried."""

from __future__ import annotations

import json

import pytest
from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import ONE_AT_A_TIME, config_for, expected_counts

from emulators import EmulatorServer, Fault
from tap_vbrick_webcast.errors import LoginRefusedError
from tap_vbrick_webcast.tap import TapVbrickWebcast

LOGIN_PATHS = ("/api/v2/authenticate", "/api/v2/user/login")


def logins(server: EmulatorServer) -> list:
    return [r for r in server.requests if r.path in LOGIN_PATHS]


def test_api_key_login_sends_the_session_token(small_rev: EmulatorServer) -> None:
    run_tap(TapVbrickWebcast, config_for(small_rev))
    (login,) = logins(small_rev)
    assert login.path == "/api/v2/authenticate"
    assert json.loads(login.body) == {"apiKey": "emulator-api-key", "secret": "emulator-secret"}
    others = [r for r in small_rev.requests if r.path not in LOGIN_PATHS]
    tokens = {r.headers.get("Authorization", "").partition(" ")[::2] for r in others}
    assert len(tokens) == 1
    ((scheme, token),) = tokens
    assert scheme == "VBrick"
    assert token in small_rev.state.tokens


def test_username_login(small_rev: EmulatorServer) -> None:
    config = config_for(
        small_rev, api_key=None, secret=None, username="emulator-user", password="emulator-password"
    )
    result = run_tap(TapVbrickWebcast, config)
    assert [r.path for r in logins(small_rev)] == ["/api/v2/user/login"]
    assert len(result.records["webcasts"]) == 6


def test_refused_login_ends_the_sync_without_retrying(small_rev: EmulatorServer) -> None:
    result = run_tap(
        TapVbrickWebcast, config_for(small_rev, secret="wrong-secret"), expect_error=True
    )
    assert isinstance(result.error, LoginRefusedError)
    message = str(result.error)
    assert "refused the login" in message
    assert "not retried" in message
    assert "wrong-secret" not in message
    assert len(small_rev.requests) == 1  # one login, nothing else, no second try
    assert small_rev.state.failed_logins == 1
    assert not [m for m in result.messages if m["type"] == "RECORD"]


def test_login_answered_500_is_retried_then_works(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(Fault("status", path="/api/v2/authenticate", status=503, times=1))
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    assert len(logins(small_rev)) == 2
    assert len(result.records["webcasts"]) == 6


def test_session_is_extended_before_it_expires() -> None:
    # Two-second sessions and slow reports: the sync outlives several sessions.
    server = start_emulator(
        "vbrick", size=4, in_progress=0, upcoming=0, large_webcasts=0, token_lifetime_seconds=2.0
    )
    try:
        server.faults.add(Fault("slow", path="/post-event-report", delay=0.9, times=None))
        # One at a time: the four slow reports one after another outlast a session.
        result = run_tap(TapVbrickWebcast, config_for(server, **ONE_AT_A_TIME))
        assert server.state.logins == 1
        assert server.state.extends >= 1
        assert len(server.requests.matching("/user/extend-session")) == server.state.extends
        counts = expected_counts(server)
        assert (
            len(result.records["webcast_attendee_sessions"]) == counts["webcast_attendee_sessions"]
        )
    finally:
        server.stop()


def test_a_401_in_mid_sync_renews_the_session_once(small_rev: EmulatorServer) -> None:
    # An expired session: the 401, then Rev's session check says the session is not valid.
    small_rev.faults.add(Fault("status", path="/comments", status=401, skip=2, times=1))
    small_rev.faults.add(Fault("status", path="/api/v2/user/session", status=401, times=1))
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    assert small_rev.state.logins == 2
    assert len(result.records["webcast_comments"]) == expected_counts(small_rev)["webcast_comments"]


def test_a_401_that_survives_renewal_ends_the_sync(small_rev: EmulatorServer) -> None:
    # Rev's session check refuses the session too: renewed once, then the sync ends.
    small_rev.faults.add(
        Fault("status", path="/questions|/api/v2/user/session", status=401, times=None)
    )
    # One at a time: the sync ends at the first webcast's second 401, before any other
    # webcast's Q&A is asked for (each would be refused too).
    config = config_for(small_rev, **ONE_AT_A_TIME)
    result = run_tap(TapVbrickWebcast, config, expect_error=True)
    assert "freshly renewed session was refused too" in str(result.error)
    assert small_rev.state.logins == 2
    assert len(small_rev.requests.matching("/questions")) == 2


@pytest.mark.parametrize("status", [400, 403])
def test_a_refused_login_of_any_kind_is_not_retried(small_rev: EmulatorServer, status: int) -> None:
    small_rev.faults.add(Fault("status", path="/api/v2/authenticate", status=status, times=None))
    result = run_tap(TapVbrickWebcast, config_for(small_rev), expect_error=True)
    assert isinstance(result.error, LoginRefusedError)
    assert len(small_rev.requests) == 1
