"""tap-vbrick-webcast: Vbrick Rev webcasts and their reports, on the Meltano Singer SDK."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_vbrick_webcast import settings
from tap_vbrick_webcast.ahead import ReportsAhead
from tap_vbrick_webcast.auth import Credentials, RevSessionAuthenticator
from tap_vbrick_webcast.client import RunResources, logged_sleep
from tap_vbrick_webcast.concurrency import Lookahead, RequestGate, RequestPacer, WorkerPool
from tap_vbrick_webcast.owed import OwedLedger
from tap_vbrick_webcast.streams import STREAM_TYPES
from tap_vbrick_webcast.summaries import ReportSummaries
from tap_vbrick_webcast.values import format_utc

#: Report pages that may be asked for ahead and not read yet, per request in flight: enough to
#: keep every request in flight busy while the streams read, few enough to keep memory small
#: (a page of attendee sessions is some 0.35 MB of JSON, about three times that decoded).
LOOKAHEAD_PER_REQUEST_IN_FLIGHT = 2


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

    def run_resources(self) -> RunResources:
        """What this run's streams share: the gate of every request (requests in flight, the
        run's pace, the POST pace, the pause after a 429), the workers and the report pages
        asked for ahead, one Rev session, Vbrick's pace for real-time attendees, the hand-off of
        the report totals, and "now". Rev's three limits are each kept, scaled by the share of
        them max_requests_per_second gives (settings.pace_share)."""
        in_flight = int(self.config.get("max_concurrent_requests") or 1)
        share = settings.pace_share(self.config)
        gate = RequestGate(
            in_flight,
            RequestPacer(self.config.get("max_requests_per_second")),
            kinds={"POST": RequestPacer(settings.POST_REQUESTS_PER_SECOND * share)},
        )
        pool = WorkerPool(in_flight, self.name) if in_flight > 1 else None
        return RunResources(
            gate=gate,
            pool=pool,
            ahead=ReportsAhead(Lookahead(pool, LOOKAHEAD_PER_REQUEST_IN_FLIGHT * in_flight)),
            owed=OwedLedger(
                max_syncs=int(self.config["max_owed_syncs"]),
                fail=bool(self.config["fail_on_owed"]),
                state=self.state,
                logger=self.logger,
            ),
            session=RevSessionAuthenticator(
                api_url=str(self.config.get("api_url") or ""),
                credentials=Credentials.from_config(self.config),
                logger=self.logger,
                timeout=self.config["request_timeout"],
            ),
            realtime_pacer=RequestPacer(
                settings.REALTIME_CALLS_PER_SECOND * share,
                sleep=logged_sleep(self.logger, "real-time attendees"),
            ),
            report_summaries=ReportSummaries(),
            sync_started_at=format_utc(datetime.now(UTC)),
        )

    def discover_streams(self) -> list[Stream]:
        resources = self.run_resources()
        streams = [stream_type(self, resources=resources) for stream_type in STREAM_TYPES]
        resources.owed.expected = {s.name for s in streams}
        return list(streams)


if __name__ == "__main__":
    TapVbrickWebcast.cli()
