"""The post-event report's totals, handed from the sessions stream to the summary stream so that
the report is not asked for twice."""

from __future__ import annotations

import typing as t

Key = tuple[str, int]


class ReportSummaries:
    def __init__(self) -> None:
        self._items: dict[Key, dict[str, t.Any] | None] = {}

    @staticmethod
    def _key(context: t.Mapping[str, t.Any]) -> Key:
        return (str(context["eventId"]), int(context["runNumber"]))

    def put(self, context: t.Mapping[str, t.Any], summary: dict[str, t.Any] | None) -> None:
        """Keep a report's totals (None: the report could not be read); the first page wins."""
        self._items.setdefault(self._key(context), summary)

    def take(self, context: t.Mapping[str, t.Any]) -> tuple[bool, dict[str, t.Any] | None]:
        """(found, totals) for this webcast and run, forgetting them."""
        key = self._key(context)
        if key not in self._items:
            return False, None
        return True, self._items.pop(key)
