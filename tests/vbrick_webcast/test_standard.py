"""The Singer SDK's standard tap tests, against one emulator for the class."""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class
from testkit import start_emulator
from vbrick_webcast.tapkit import config_for

from tap_vbrick_webcast.streams import RealtimeAttendeesStream
from tap_vbrick_webcast.tap import TapVbrickWebcast

# The class syncs once when it is built: the emulator must already be serving, and the
# real-time pace shrunk (the tests run the tap in-process).
_SERVER = start_emulator(
    "vbrick",
    size=4,
    in_progress=1,
    upcoming=0,
    large_webcasts=0,
    rate_limits={"GET": 24000, "POST": 3600, "realtime": 1000},
)
RealtimeAttendeesStream.min_interval_seconds = 0.0

TestTapVbrickWebcast = get_tap_test_class(
    tap_class=TapVbrickWebcast,
    config=config_for(_SERVER, include_realtime=True),
    suite_config=SuiteConfig(max_records_limit=None),
)


def teardown_module() -> None:
    RealtimeAttendeesStream.min_interval_seconds = 30.0
    _SERVER.stop()
