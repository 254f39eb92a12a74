"""The Singer SDK's standard tap tests, against one emulator for the class."""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class
from testkit import start_emulator
from vbrick_webcast.helpers import UnpacedTap, config_for

# The class syncs once when it is built: the emulator must already be serving. The tests run
# the tap in-process without Vbrick's real-time pace (the emulator allows 1,000 calls a minute).
_SERVER = start_emulator(
    "vbrick",
    size=4,
    in_progress=1,
    upcoming=0,
    large_webcasts=0,
    rate_limits={"GET": 24000, "POST": 3600, "realtime": 1000},
)

TestTapVbrickWebcast = get_tap_test_class(
    tap_class=UnpacedTap,
    config=config_for(_SERVER, include_realtime=True),
    suite_config=SuiteConfig(max_records_limit=None),
)


def teardown_module() -> None:
    _SERVER.stop()
