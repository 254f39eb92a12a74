"""The tap: its settings (settings.py), the objects one run shares, and the streams."""

from __future__ import annotations

from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter

from tap_conviva_sessions import settings, streams
from tap_conviva_sessions.client import OpenEndpoints, RequestPacer, RunResources


class TapConvivaSessions(Tap):
    """Conviva Insights Sessions V3: sampled sessions, viewer sessions and summaries."""

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
        resources = RunResources(
            pacer=RequestPacer(self.config.get("max_requests_per_second")),
            endpoints=OpenEndpoints(),
            state_writer=self.state_writer,
        )
        return [stream_type(self, resources=resources) for stream_type in streams.STREAM_TYPES]


if __name__ == "__main__":
    TapConvivaSessions.cli()
