"""The post-event report's totals, handed from the sessions stream to the summary stream so that
the report is not asked for twice (one ReportSummaries per run, in RunResources)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk import Stream

Key = tuple[str, int]
#: A report's totals, or why the report could not be read (the summary stream then skips or
#: owes that webcast as the sessions stream did).
Handed = dict[str, t.Any] | Exception


class ReportSummaries:
    def __init__(self) -> None:
        self.items: dict[Key, Handed] = {}
        #: The summary stream, which registers itself when it is made.
        self.receiver: Stream | None = None

    @property
    def wanted(self) -> bool:
        """Whether the summary stream runs (its selection is known once the sync starts)."""
        return self.receiver is not None and bool(self.receiver.selected)

    @staticmethod
    def key(context: t.Mapping[str, t.Any]) -> Key:
        return (str(context["eventId"]), int(context["runNumber"]))

    def put(self, context: t.Mapping[str, t.Any], handed: Handed) -> None:
        """Keep a report's totals (or why it could not be read); the first page wins."""
        self.items.setdefault(self.key(context), handed)

    def take(self, context: t.Mapping[str, t.Any]) -> Handed | None:
        """The totals (or the failure) for this webcast and run, forgetting them; None when the
        sessions stream handed nothing over (the summary stream then asks for itself)."""
        return self.items.pop(self.key(context), None)
