"""tap-vbrick-webcast: Vbrick Rev webcasts and their reports, on the Meltano Singer SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter

from tap_vbrick_webcast import settings
from tap_vbrick_webcast.auth import Credentials, RevSessionAuthenticator
from tap_vbrick_webcast.client import (
    REALTIME_CALLS_PER_SECOND,
    RequestPacer,
    RunResources,
    logged_sleep,
)
from tap_vbrick_webcast.streams import STREAM_TYPES
from tap_vbrick_webcast.summaries import ReportSummaries
from tap_vbrick_webcast.values import format_utc


class TapVbrickWebcast(Tap):
    """Webcasts, attendee sessions, attendance totals, real-time attendees, comments, polls and
    Q&A from a Vbrick Rev tenant."""

    name = "tap-vbrick-webcast"
    message_writer_class = MsgSpecWriter
    config_jsonschema = settings.CONFIG_SCHEMA

    def __init__(self, *args: Any, validate_config: bool = True, **kwargs: Any) -> None:
        # settings.check gives every problem at once with secrets masked; the SDK's own check
        # (SDK 0.54) would stop at the schema and quote the whole config when a rule over several
        # settings fails, so it is told only to fill in the defaults.
        super().__init__(*args, validate_config=False, **kwargs)
        if validate_config:
            settings.check(self.config)

    def run_resources(self) -> RunResources:
        """What this run's streams share: the pacer of every request, one Rev session,
        Vbrick's pace for real-time attendees, the hand-off of the report totals, and "now"."""
        return RunResources(
            pacer=RequestPacer(self.config.get("max_requests_per_second")),
            session=RevSessionAuthenticator(
                api_url=str(self.config.get("api_url") or ""),
                credentials=Credentials.from_config(self.config),
                logger=self.logger,
                timeout=self.config["request_timeout"],
            ),
            realtime_pacer=RequestPacer(
                REALTIME_CALLS_PER_SECOND, sleep=logged_sleep(self.logger, "real-time attendees")
            ),
            report_summaries=ReportSummaries(),
            sync_started_at=format_utc(datetime.now(UTC)),
        )

    def discover_streams(self) -> list[Stream]:
        resources = self.run_resources()
        return [stream_type(self, resources=resources) for stream_type in STREAM_TYPES]


if __name__ == "__main__":
    TapVbrickWebcast.cli()
