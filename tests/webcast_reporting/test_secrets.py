"""The password travels in the login's query string: no log line (at DEBUG too), no error and
no record may hold it. Every tap run of this test directory is also checked (conftest)."""

from __future__ import annotations

import logging
from pathlib import Path

from testkit import assert_no_secret, run_cli
from webcast_reporting.helpers import SECRETS_SEEN, TAP, config, printed, seen

from emulators import EmulatorServer, Fault
from emulators.webcasts import DEFAULT_PASSWORD
from tap_webcast_reporting.redaction import RedactingFilter, redact


def test_debug_run_through_retries_and_errors_never_prints_the_password(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.faults.add(Fault("drop", path="/login"))  # the login, retried by the contract
    server.faults.add(Fault("status", path="/eventlist", status=503))  # the SDK's backoff
    server.state.answer_code(11, "/report/")  # a new login mid-sync
    server.state.answer_code(72, "/report/")  # and a fatal error at the end
    run = seen(
        run_cli(TAP, config(server.url, event_ids=["2227117"]), tmp_path, env={"LOGLEVEL": "DEBUG"})
    )
    assert run.returncode != 0
    output = printed(run)
    assert "DEBUG" in output
    assert "returnCode 72" in output
    assert "/api/login: could not connect); trying again" in output
    assert "password=***" in output  # urllib3's DEBUG request line, redacted
    assert len(server.state.sessions) >= 2
    assert_no_secret(output, DEFAULT_PASSWORD)
    # The session id is a credential too.
    for _ui, si in server.state.sessions:
        assert_no_secret(output, si)


def test_redaction_masks_secret_query_values_and_known_secrets() -> None:
    url = "https://api.webcasts.com/api/login?username=u&password=p%40ss&ver=2.0&si=abc"
    assert (
        redact(url) == "https://api.webcasts.com/api/login?username=u&password=***&ver=2.0&si=***"
    )
    assert redact("failed: hunter2 was refused", ["hunter2"]) == "failed: *** was refused"
    record = logging.LogRecord("urllib3", logging.DEBUG, "", 0, '"GET %s HTTP/1.1"', (url,), None)
    RedactingFilter().filter(record)
    assert "p%40ss" not in record.getMessage()


def test_no_tap_run_of_this_session_printed_the_password() -> None:
    """Runs after the others in this file; the conftest checks each test's runs as it ends."""
    assert SECRETS_SEEN, "no tap output was collected"
    for output in SECRETS_SEEN:
        assert_no_secret(output, DEFAULT_PASSWORD)
