"""TapWebcastReporting: the webcasts.com Reporting API as Singer streams."""

from __future__ import annotations

import typing as t
import weakref

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter

from tap_webcast_reporting import redaction, settings
from tap_webcast_reporting.auth import WebcastsSession
from tap_webcast_reporting.client import RequestPacer, RunResources, TimezoneCheck
from tap_webcast_reporting.quota import ReportQuota
from tap_webcast_reporting.spool import ReportSpool
from tap_webcast_reporting.streams import STREAM_TYPES, TimezonesStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapWebcastReporting(Tap):
    """Singer tap for the webcasts.com Reporting API."""

    name = "tap-webcast-reporting"
    message_writer_class = MsgSpecWriter
    config_jsonschema = settings.CONFIG_SCHEMA

    def __init__(self, *args: t.Any, validate_config: bool = True, **kwargs: t.Any) -> None:
        # settings.check gives every problem at once with secrets masked; the SDK's own check
        # (SDK 0.54) would stop at the schema and quote the whole config when a rule over several
        # settings fails, so it is told only to fill in the defaults.
        super().__init__(*args, validate_config=False, **kwargs)
        if validate_config:
            settings.check(self.config)

    def discover_streams(self) -> list[Stream]:
        """The streams, and the objects of this run they share (RunResources), made once."""
        config = self.config
        password = str(config.get("password") or "")
        # The password travels in the login's query string and the session id in every query:
        # the loggers that print URLs on their own (urllib3's request lines, backoff) get a
        # filter masking them. The tap's own messages never hold a URL's query.
        redaction.install([password])
        resources = RunResources(
            pacer=RequestPacer(config.get("max_requests_per_second")),
            session=WebcastsSession(
                api_url=str(config.get("api_url", "https://api.webcasts.com/api")),
                username=str(config.get("username") or ""),
                password=password,
                timeout=float(config["request_timeout"]),  # the login waits as long as any call
                logger=self.logger,
            ),
            quota=ReportQuota(
                per_hour=int(config.get("max_reports_per_hour", 1000)),
                wait_budget=float(config.get("quota_wait_seconds", 0)),
            ),
            spool=ReportSpool(),
            timezones=TimezoneCheck(str(config.get("timezone", settings.DEFAULT_TIMEZONE))),
        )
        weakref.finalize(self, resources.spool.remove)  # the temporary files go with the tap
        streams = [stream_class(self, resources=resources) for stream_class in STREAM_TYPES]
        resources.timezones.stream = next(s for s in streams if isinstance(s, TimezonesStream))
        return list(streams)


if __name__ == "__main__":
    TapWebcastReporting.cli()
