"""TapWebcastReporting: the webcasts.com Reporting API as Singer streams."""

from __future__ import annotations

import signal
import sys
import threading
import typing as t
import weakref

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_webcast_reporting import redaction, settings
from tap_webcast_reporting.auth import WebcastsSession
from tap_webcast_reporting.client import (
    RunResources,
    TimezoneCheck,
    WebcastsStream,
)
from tap_webcast_reporting.concurrency import RequestGate, RequestPacer
from tap_webcast_reporting.owed import OwedLedger
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
            self.check_selection()
        if unknown := settings.unknown_settings(self.config):
            self.logger.warning("Unknown settings, ignored (a typo?): %s", ", ".join(unknown))
        self.stop_with_state_on_signals()

    def check_selection(self) -> None:
        """A catalog that selects no stream of this tap is an error, not an empty sync."""
        catalog = self.input_catalog
        if catalog is None or any(
            s.selected or s.has_selected_descendents for s in self.streams.values()
        ):
            return
        chosen = sorted(e.tap_stream_id for e in catalog.streams if e.metadata.root.selected)
        raise ConfigValidationError(
            "The catalog selects no stream of this tap",
            errors=[
                f"the catalog selects {', '.join(chosen) or 'no stream'}, and this tap's streams "
                f"are {', '.join(self.streams)}"
            ],
        )

    def stop_with_state_on_signals(self) -> None:
        """SIGTERM and SIGINT write the state, then exit non-zero (128 + the signal's number),
        so that an orchestrator never takes an interrupted sync for a success (SDK 0.54 exits 0)."""
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum: int, frame: object) -> None:
            self.logger.warning(
                "Stopped by signal %d: the state is written, exit %d", signum, 128 + signum
            )
            self.state_writer.write_state(self.state)
            sys.exit(128 + signum)

        for name in ("SIGTERM", "SIGINT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), stop)

    def discover_streams(self) -> list[Stream]:
        """The streams, and the objects of this run they share (RunResources), made once."""
        config = self.config
        password = str(config.get("password") or "")
        # The password travels in the login's query string and the session id in every query:
        # the loggers that print URLs on their own (urllib3's request lines, backoff) get a
        # filter masking them. The tap's own messages never hold a URL's query.
        redaction.install([password])
        resources = RunResources(
            # One request in flight: the API's rule is one report at a time.
            gate=RequestGate(1, RequestPacer(config.get("max_requests_per_second"))),
            state_writer=self.state_writer,
            owed=OwedLedger(
                max_syncs=int(self.config["max_owed_syncs"]),
                fail=bool(self.config["fail_on_owed"]),
                state=self.state,
                logger=self.logger,
            ),
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
        # The streams that call the API (the report streams read the spool: they owe nothing).
        resources.owed.expected = {s.name for s in streams if isinstance(s, WebcastsStream)}
        resources.timezones.stream = next(s for s in streams if isinstance(s, TimezonesStream))
        return list(streams)


if __name__ == "__main__":
    TapWebcastReporting.cli()
