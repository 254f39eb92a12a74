"""tap-brightcove-audience: the Brightcove Audience API's view events and leads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter

from tap_brightcove_audience import settings
from tap_brightcove_audience.auth import BrightcoveAuthenticator
from tap_brightcove_audience.client import RequestPacer, RunResources
from tap_brightcove_audience.streams import STREAM_TYPES


class TapBrightcoveAudience(Tap):
    """Singer tap for the Brightcove Audience API."""

    name = settings.TAP_NAME
    message_writer_class = MsgSpecWriter
    config_jsonschema = settings.CONFIG_SCHEMA

    def __init__(self, *args: Any, validate_config: bool = True, **kwargs: Any) -> None:
        # settings.check gives every problem at once with secrets masked; the SDK's own check
        # (SDK 0.54) would stop at the schema and quote the whole config when a rule over several
        # settings fails, so it is told only to fill in the defaults.
        super().__init__(*args, validate_config=False, **kwargs)
        if validate_config:
            settings.check(self.config)

    def discover_streams(self) -> list[Stream]:
        # The run's shared objects, made once: one pace and one token for the whole sync,
        # whichever stream asks first, and one `to` for every request.
        resources = RunResources(
            pacer=RequestPacer(self.config.get("max_requests_per_second")),
            authenticator=BrightcoveAuthenticator.from_config(self.config),
            state_writer=self.state_writer,
            sync_started=datetime.now(UTC),
        )
        return [stream_type(self, resources=resources) for stream_type in STREAM_TYPES]


if __name__ == "__main__":
    TapBrightcoveAudience.cli()
