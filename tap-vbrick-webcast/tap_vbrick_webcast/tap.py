"""tap-vbrick-webcast: Vbrick Rev webcasts and their reports, on the Meltano Singer SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_vbrick_webcast.auth import Credentials, RevSessionAuthenticator
from tap_vbrick_webcast.pacing import Pacer
from tap_vbrick_webcast.settings import CONFIG_SCHEMA, config_errors
from tap_vbrick_webcast.streams import STREAM_TYPES
from tap_vbrick_webcast.summaries import ReportSummaries
from tap_vbrick_webcast.timefmt import format_utc


class TapVbrickWebcast(Tap):
    """Webcasts, attendee sessions, attendance totals, real-time attendees, comments, polls and
    Q&A from a Vbrick Rev tenant."""

    name = "tap-vbrick-webcast"
    message_writer_class = MsgSpecWriter
    config_jsonschema = CONFIG_SCHEMA

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # "Now" for the whole sync: the search window's end and what counts as still open.
        self.sync_started_at = format_utc(datetime.now(UTC))
        self.report_summaries = ReportSummaries()
        self.realtime_pacer = Pacer()
        super().__init__(*args, **kwargs)

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, then ours (credentials, dates, ranges): before any request."""
        errors = super()._validate_config(raise_errors=False)
        errors += [e for e in config_errors(dict(self.config)) if e not in errors]
        if errors and raise_errors:
            raise ConfigValidationError("tap-vbrick-webcast settings are not valid", errors=errors)
        return errors

    @cached_property
    def rev_session(self) -> RevSessionAuthenticator:
        """One Rev session for every stream."""
        return RevSessionAuthenticator(
            api_url=self.config["api_url"],
            credentials=Credentials.from_config(dict(self.config)),
            logger=self.logger,
        )

    def discover_streams(self) -> list[Stream]:
        return [stream_type(self) for stream_type in STREAM_TYPES]


if __name__ == "__main__":
    TapVbrickWebcast.cli()
