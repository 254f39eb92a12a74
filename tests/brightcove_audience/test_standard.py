"""The SDK's standard tap tests against the emulator (started before the class is built, since
the class syncs once when it is collected)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from brightcove_audience.helpers import tap_config
from singer_sdk.testing import get_tap_test_class
from testkit import start_emulator

from tap_brightcove_audience.tap import TapBrightcoveAudience

EMULATOR = start_emulator("brightcove", size=150)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator() -> Iterator[None]:
    yield
    EMULATOR.stop()


TestTapBrightcoveAudience = get_tap_test_class(
    TapBrightcoveAudience, config=tap_config(EMULATOR.url, page_size=40)
)
