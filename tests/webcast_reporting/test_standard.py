"""The SDK's standard tap tests against the emulator (started before the class is built, since
the class syncs once when it is collected), in each report format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from singer_sdk.testing import get_tap_test_class
from testkit import start_emulator
from webcast_reporting.helpers import config

from tap_webcast_reporting.tap import TapWebcastReporting

EMULATOR = start_emulator("webcasts", size=8, events=2, expired_events=1)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator() -> Iterator[None]:
    yield
    EMULATOR.stop()


TestTapWebcastReporting = get_tap_test_class(
    TapWebcastReporting,
    config=config(EMULATOR.url, include_expired=True),
)

TestTapWebcastReportingJson = get_tap_test_class(
    TapWebcastReporting,
    config=config(EMULATOR.url, include_expired=True, report_format="json", timezone="GMT"),
)
