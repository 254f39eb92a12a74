"""No secret (client secret, Basic credentials, access token) in anything the tap prints, on a
sync that goes through token refreshes, retries and a fatal error."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from brightcove_audience.helpers import ACCOUNTS, CLIENT_ID, CLIENT_SECRET, TAP, tap_config
from testkit import assert_no_secret, run_cli, tap_executable

from emulators import EmulatorServer, Fault


def test_no_secret_in_output_or_logs(server: EmulatorServer, tmp_path: Path) -> None:
    config = tap_config(server.url, account_ids=ACCOUNTS[:1], page_size=20)
    # leads (synced first): a refresh after a 401; view_events: a retry, then a fatal error.
    server.state.expire_tokens(after_requests=2)
    server.faults.add(Fault("status", path="/view_events", status=500, times=1))
    server.faults.add(Fault("status", path="/view_events", status=400))
    run = run_cli(tap_executable(TAP), config, tmp_path, env={"LOGLEVEL": "DEBUG"}, timeout=120)
    assert run.returncode == 1
    assert "HTTP 400 BAD_REQUEST_ERROR" in run.logs
    assert "token refused (401), fetching a new one" in run.logs
    tokens = server.state.issued_tokens
    assert len(tokens) == 2  # the sync's first, and the one fetched after the 401
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert_no_secret(json.dumps(run.messages) + run.logs, CLIENT_SECRET, basic, *tokens)
