"""No secret (API secret, password, session token) in any log line, error or record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testkit import TapOutput, assert_no_secret, run_cli, tap_executable
from vbrick_webcast.helpers import config_for, listed_webcasts

from emulators import EmulatorServer, Fault


def run_tap_cli(config: dict[str, Any], tmp_path: Path) -> TapOutput:
    return run_cli(tap_executable("tap-vbrick-webcast"), config, tmp_path, timeout=120)


def test_no_secret_in_logs_errors_or_records(small_rev: EmulatorServer, tmp_path: Path) -> None:
    small_rev.state.password = "pa55-w0rd-never-logged"
    small_rev.state.forbidden.add(listed_webcasts(small_rev)[1].id)
    small_rev.faults.add(Fault("status", path="/comments", status=401, times=1))
    small_rev.faults.add(Fault("status", path="/api/v2/user/session", status=401, times=1))
    small_rev.faults.add(Fault("status", path="/questions", status=500, times=1))
    small_rev.faults.add(Fault("status", path="/poll-results", status=429, times=1))
    config = config_for(
        small_rev,
        api_key=None,
        secret=None,
        username="emulator-user",
        password="pa55-w0rd-never-logged",
    )
    output = run_tap_cli(config, tmp_path)
    assert output.returncode == 0, output.logs[-2000:]
    assert "skipping webcast" in output.logs
    tokens = list(small_rev.state.tokens)
    assert len(tokens) == 2  # the 401 renewed the session: both tokens are checked
    assert_no_secret(output.logs, "pa55-w0rd-never-logged", *tokens)
    stdout = "\n".join(json.dumps(message) for message in output.messages)
    assert_no_secret(stdout, "pa55-w0rd-never-logged", *tokens)


def test_a_refused_login_names_the_settings_not_their_values(
    small_rev: EmulatorServer, tmp_path: Path
) -> None:
    output = run_tap_cli(config_for(small_rev, secret="s3cr3t-value-never-logged"), tmp_path)
    assert output.returncode != 0
    assert "refused the login with the configured api_key and secret" in output.logs
    assert_no_secret(output.logs, "s3cr3t-value-never-logged", "emulator-api-key")
    assert len(small_rev.requests) == 1


def test_the_credentials_never_show_in_a_repr() -> None:
    from tap_vbrick_webcast.auth import Credentials

    for config in (
        {"api_key": "key", "secret": "s3cr3t-in-repr"},
        {"username": "user", "password": "s3cr3t-in-repr"},
    ):
        assert "s3cr3t-in-repr" not in repr(Credentials.from_config(config))
