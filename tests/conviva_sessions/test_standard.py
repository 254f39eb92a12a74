"""The Singer SDK's standard tap tests, against an emulator started before the class is built
(the generated class syncs once, at class scope)."""

from __future__ import annotations

import atexit
from datetime import UTC, datetime, timedelta

from conviva_sessions.helpers import conviva_emulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_conviva_sessions.tap import TapConvivaSessions

EMULATOR = conviva_emulator(size=3_000).start()
atexit.register(EMULATOR.stop)
_END = datetime.fromtimestamp(EMULATOR.state.now_ms / 1000, UTC).replace(
    second=0, microsecond=0
) - timedelta(minutes=10)

TestTapConvivaSessions = get_tap_test_class(
    TapConvivaSessions,
    config={
        "client_id": "emulator-client",
        "client_secret": "emulator-secret",
        "api_url": f"{EMULATOR.url}/insights/3.0",
        "start_date": (_END - timedelta(hours=2)).isoformat(),
        "end_date": _END.isoformat(),
        "viewer_ids": ["viewer-00042"],
        "viewer_ips": ["203.0.113.7"],
        "viewer_days": 7,
    },
    suite_config=SuiteConfig(max_records_limit=500),
)
