"""No secret (API secret, password, session token) in any log line, error or record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from testkit import assert_no_secret
from vbrick_webcast.tapkit import config_for, listed_webcasts

from emulators import EmulatorServer, Fault


def run_cli(config: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    exe = Path(sys.executable).with_name("tap-vbrick-webcast")
    return subprocess.run(
        [str(exe), "--config", str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_no_secret_in_logs_errors_or_records(small_rev: EmulatorServer, tmp_path: Path) -> None:
    small_rev.state.password = "pa55-w0rd-never-logged"
    small_rev.state.forbidden.add(listed_webcasts(small_rev)[1].id)
    small_rev.faults.add(Fault("status", path="/comments", status=401, times=1))
    small_rev.faults.add(Fault("status", path="/questions", status=500, times=1))
    small_rev.faults.add(Fault("status", path="/poll-results", status=429, times=1))
    config = config_for(
        small_rev,
        api_key=None,
        secret=None,
        username="emulator-user",
        password="pa55-w0rd-never-logged",
    )
    proc = run_cli(config, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "skipping webcast" in proc.stderr
    tokens = list(small_rev.state.tokens)
    assert len(tokens) == 2  # the 401 renewed the session: both tokens are checked
    assert_no_secret(proc.stderr, "pa55-w0rd-never-logged", *tokens)
    assert_no_secret(proc.stdout, "pa55-w0rd-never-logged", *tokens)


def test_a_refused_login_names_the_settings_not_their_values(
    small_rev: EmulatorServer, tmp_path: Path
) -> None:
    proc = run_cli(config_for(small_rev, secret="s3cr3t-value-never-logged"), tmp_path)
    assert proc.returncode != 0
    assert "refused the login with the configured api_key and secret" in proc.stderr
    assert_no_secret(proc.stderr, "s3cr3t-value-never-logged", "emulator-api-key")
    assert len(small_rev.requests) == 1


def test_the_credentials_never_show_in_a_repr() -> None:
    from tap_vbrick_webcast.auth import Credentials

    for config in (
        {"api_key": "key", "secret": "s3cr3t-in-repr"},
        {"username": "user", "password": "s3cr3t-in-repr"},
    ):
        assert "s3cr3t-in-repr" not in repr(Credentials.from_config(config))
