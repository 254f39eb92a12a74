"""No secret (client secret, Basic credentials, access token) in anything the tap prints, on a
sync that goes through token refreshes, retries and a fatal error."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from testkit import assert_no_secret

from emulators import EmulatorServer, Fault

from .conftest import ACCOUNTS, CLIENT_ID, CLIENT_SECRET, tap_config


def test_no_secret_in_output_or_logs(server: EmulatorServer, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tap_config(server.url, account_ids=ACCOUNTS[:1], page_size=20)))
    # leads (synced first): a refresh after a 401; view_events: a retry, then a fatal error.
    server.state.expire_tokens(after_requests=2)
    server.faults.add(Fault("status", path="/view_events", status=500, times=1))
    server.faults.add(Fault("status", path="/view_events", status=400))
    run = subprocess.run(
        [Path(sys.executable).with_name("tap-brightcove-audience"), "--config", config],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"LOGLEVEL": "DEBUG", "PATH": str(Path(sys.executable).parent)},
    )
    assert run.returncode == 1
    assert "HTTP 400 BAD_REQUEST_ERROR" in run.stderr
    assert "token refused (401), fetching a new one" in run.stderr
    tokens = server.state.issued_tokens
    assert len(tokens) == 2  # the sync's first, and the one fetched after the 401
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert_no_secret(run.stdout + run.stderr, CLIENT_SECRET, basic, *tokens)
