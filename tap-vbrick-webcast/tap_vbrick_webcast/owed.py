"""Owed items: what a sync had to skip, kept in the state until a later sync fetches it.

An item (an account, a window, a webcast's report, an event's report) whose answers stay bad
after its retries is skipped with a warning and owed: written into its stream's state entry under
``"owed"``. The next sync asks for the owed items first; an item fetched is paid and leaves the
list. An item owed for more than ``max_owed_syncs`` syncs is dropped with an error line naming it.
At the end of the sync one line sums up what is owed; with ``fail_on_owed`` the sync then ends
with a non-zero exit (its state already written).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tap_vbrick_webcast.errors import OwedItemsError

OWED = "owed"  # the key of the list in a stream's state entry


def item_key(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def describe(item: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in item.items())


@dataclass
class OwedItem:
    """One owed item as the state keeps it."""

    item: dict[str, Any]  # what identifies it (the stream's context, a window...): JSON
    reason: str  # the last failure, one line, no secret
    since: str  # when it was first owed (UTC ISO 8601)
    syncs: int  # how many syncs have owed it (1: only the last)


class OwedItems:
    """One stream's owed items, kept in the stream's state entry (the dict is the SDK's own,
    changed in place, so every STATE message the SDK writes carries the list)."""

    def __init__(
        self, stream: str, state: dict[str, Any], *, max_syncs: int, logger: logging.Logger
    ) -> None:
        self.stream = stream
        self.state = state
        self.max_syncs = max_syncs
        self.logger = logger
        carried = [OwedItem(**entry) for entry in state.get(OWED, [])]
        #: What earlier syncs left owed: asked for first.
        self.carried = {item_key(o.item): o for o in carried}
        #: What is owed now (the carried items until they are paid or owed again).
        self.now = dict(self.carried)

    def due(self) -> list[dict[str, Any]]:
        """The items earlier syncs owe, oldest first: ask for these before anything else."""
        return [o.item for o in sorted(self.carried.values(), key=lambda o: o.since)]

    def is_owed(self, item: dict[str, Any]) -> bool:
        return item_key(item) in self.now

    def owe(self, item: dict[str, Any], reason: str) -> None:
        """Skip ``item`` now, owe it to a later sync (or drop it past max_owed_syncs)."""
        key = item_key(item)
        before = self.carried.get(key)
        syncs = before.syncs + 1 if before else 1
        if syncs > self.max_syncs:
            self.now.pop(key, None)
            self.logger.error(
                "%s: %s is no longer owed: it failed in %d syncs in a row (max_owed_syncs), "
                "last: %s. It leaves the owed items",
                self.stream,
                describe(item),
                syncs,
                reason,
            )
        else:
            since = before.since if before else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.now[key] = OwedItem(item, reason, since, syncs)
            self.logger.warning(
                "%s: skipped %s, owed to the next sync (%s)", self.stream, describe(item), reason
            )
        self.save()

    def paid(self, item: dict[str, Any]) -> None:
        """``item`` was fetched: no longer owed."""
        if self.now.pop(item_key(item), None) is not None:
            self.logger.info("%s: %s, owed before, is fetched", self.stream, describe(item))
            self.save()

    def save(self) -> None:
        if self.now:
            self.state[OWED] = [asdict(o) for o in self.now.values()]
        else:
            self.state.pop(OWED, None)


class OwedLedger:
    """Every stream's owed items in one run: the one-line summary at the end of the sync, and
    ``fail_on_owed``. Made once per run (RunResources); ``expected`` names the run's streams."""

    def __init__(
        self, *, max_syncs: int, fail: bool, state: Mapping[str, Any], logger: logging.Logger
    ) -> None:
        self.max_syncs = max_syncs
        self.fail = fail
        self.state = state  # the Tap's state: what streams that do not run this sync still owe
        self.logger = logger
        self.streams: dict[str, OwedItems] = {}
        self.expected: set[str] = set()
        self.finished: set[str] = set()

    def of(self, stream: str, state: dict[str, Any]) -> OwedItems:
        """The stream's owed items (read from its state entry the first time)."""
        if stream not in self.streams:
            self.streams[stream] = OwedItems(
                stream, state, max_syncs=self.max_syncs, logger=self.logger
            )
        return self.streams[stream]

    def stream_finished(self, stream: str) -> None:
        """Called once per stream at the end of the sync; after the last one, the summary."""
        self.finished.add(stream)
        if self.expected and self.finished >= self.expected:
            self.summarize()

    def owed(self) -> list[tuple[str, OwedItem]]:
        """Everything owed after this sync, by stream (streams that did not run included)."""
        found = [(s, o) for s, items in self.streams.items() for o in items.now.values()]
        for stream, entry in (self.state.get("bookmarks") or {}).items():
            if stream not in self.streams and isinstance(entry, dict):
                found += [(stream, OwedItem(**o)) for o in entry.get(OWED, [])]
        return found

    def summarize(self) -> None:
        owed = self.owed()
        if not owed:
            self.logger.info("Nothing is owed: every item of this sync was fetched")
            return
        line = "; ".join(f"{s}: {describe(o.item)} ({o.reason})" for s, o in owed[:20])
        more = f"; and {len(owed) - 20} more" if len(owed) > 20 else ""
        self.logger.warning("Owed to the next sync: %d item(s): %s%s", len(owed), line, more)
        if self.fail:
            msg = (
                f"{len(owed)} item(s) owed and fail_on_owed is set: the state is saved, the next "
                "sync asks for them first"
            )
            raise OwedItemsError(msg)
