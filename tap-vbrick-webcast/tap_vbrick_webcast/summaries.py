"""The post-event report's totals, handed from the sessions stream to the summary stream so that
the report is not asked for twice (one ReportSummaries per run, in RunResources)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk import Stream

Key = tuple[str, int]


class ReportSummaries:
    def __init__(self) -> None:
        self.items: dict[Key, dict[str, t.Any] | None] = {}
        #: The summary stream, which registers itself when it is made.
        self.receiver: Stream | None = None

    @property
    def wanted(self) -> bool:
        """Whether the summary stream runs (its selection is known once the sync starts)."""
        return self.receiver is not None and bool(self.receiver.selected)

    @staticmethod
    def key(context: t.Mapping[str, t.Any]) -> Key:
        return (str(context["eventId"]), int(context["runNumber"]))

    def put(self, context: t.Mapping[str, t.Any], summary: dict[str, t.Any] | None) -> None:
        """Keep a report's totals (None: the report could not be read); the first page wins."""
        self.items.setdefault(self.key(context), summary)

    def take(self, context: t.Mapping[str, t.Any]) -> tuple[bool, dict[str, t.Any] | None]:
        """(found, totals) for this webcast and run, forgetting them."""
        key = self.key(context)
        if key not in self.items:
            return False, None
        return True, self.items.pop(key)
