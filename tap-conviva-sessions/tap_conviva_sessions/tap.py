"""The tap: its settings (settings.py), the objects one run shares, and the streams."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_conviva_sessions import settings, streams
from tap_conviva_sessions.client import OpenEndpoints, RunResources
from tap_conviva_sessions.concurrency import RequestGate, RequestPacer, WorkerPool
from tap_conviva_sessions.owed import OwedLedger

#: Pages a stream may have asked for ahead and not read yet, per request in flight: enough to
#: keep every request in flight busy while the stream reads, few enough to keep memory small.
LOOKAHEAD_PER_REQUEST_IN_FLIGHT = 2


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
        # The run's shared objects, made once: one pace and one set of requests in flight for
        # the whole sync, whichever stream asks.
        in_flight = int(self.config.get("max_concurrent_requests") or 1)
        resources = RunResources(
            gate=RequestGate(in_flight, RequestPacer(self.config.get("max_requests_per_second"))),
            pool=WorkerPool(in_flight, self.name) if in_flight > 1 else None,
            lookahead_depth=LOOKAHEAD_PER_REQUEST_IN_FLIGHT * in_flight,
            pages_ahead=max(1, in_flight - 1),
            owed=OwedLedger(
                max_syncs=int(self.config["max_owed_syncs"]),
                fail=bool(self.config["fail_on_owed"]),
                state=self.state,
                logger=self.logger,
            ),
            endpoints=OpenEndpoints(),
            state_writer=self.state_writer,
        )
        made = [stream_type(self, resources=resources) for stream_type in streams.STREAM_TYPES]
        resources.owed.expected = {s.name for s in made}
        return list(made)


if __name__ == "__main__":
    TapConvivaSessions.cli()
