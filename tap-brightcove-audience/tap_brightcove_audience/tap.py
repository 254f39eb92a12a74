"""tap-brightcove-audience: the Brightcove Audience API's view events and leads."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_brightcove_audience import settings
from tap_brightcove_audience.auth import BrightcoveAuthenticator
from tap_brightcove_audience.client import RunResources
from tap_brightcove_audience.concurrency import RequestGate, RequestPacer, WorkerPool
from tap_brightcove_audience.owed import OwedLedger
from tap_brightcove_audience.streams import STREAM_TYPES

#: Pages a stream may have asked for ahead and not read yet, per request in flight: enough to
#: keep every request in flight busy while the stream reads, few enough to keep memory small.
LOOKAHEAD_PER_REQUEST_IN_FLIGHT = 2


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
        # The run's shared objects, made once: one pace, one set of requests in flight and
        # one token for the whole sync, whichever stream asks first, and one `to` for every
        # request.
        in_flight = int(self.config.get("max_concurrent_requests") or 1)
        resources = RunResources(
            gate=RequestGate(in_flight, RequestPacer(self.config.get("max_requests_per_second"))),
            pool=WorkerPool(in_flight, self.name) if in_flight > 1 else None,
            lookahead_depth=LOOKAHEAD_PER_REQUEST_IN_FLIGHT * in_flight,
            owed=OwedLedger(
                max_syncs=int(self.config["max_owed_syncs"]),
                fail=bool(self.config["fail_on_owed"]),
                state=self.state,
                logger=self.logger,
            ),
            authenticator=BrightcoveAuthenticator.from_config(self.config),
            state_writer=self.state_writer,
            sync_started=datetime.now(UTC),
        )
        streams = [stream_type(self, resources=resources) for stream_type in STREAM_TYPES]
        resources.owed.expected = {s.name for s in streams}
        return list(streams)


if __name__ == "__main__":
    TapBrightcoveAudience.cli()
