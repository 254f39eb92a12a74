"""One account's view events or leads, answering a query one page at a time.

The base records are never stored: their keys grow with the index (see ``data.Timeline``), so
the records matching a ``from``/``to`` window are an index range. View events processed again
(``State.process``) live in a small overlay with their new ``updated_at`` and are merged into
that range by position. Only a ``where`` filter or a sort on another field makes the emulator
scan the window; it then keeps the matching indices (not the records) for the next pages.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulators.brightcove.data import Timeline, lead, view_event
from emulators.brightcove.query import Query
from emulators.brightcove.variants import Variants

# An item of a result: the record index and, for a processed view event, its overlay entry.
Item = tuple[int, "Processed | None"]


@dataclass
class Processed:
    """A view event processed again after it first appeared."""

    updated_ms: int
    progress: int


@dataclass
class Collection:
    seed: int
    account: str
    kind: str  # "view_events" or "leads"
    timeline: Timeline
    overlay: dict[int, Processed] = field(default_factory=dict)
    variants: Variants = field(default_factory=Variants)
    #: Records not served yet although older ones are (late leads): see State.hold_leads.
    held: frozenset[int] = frozenset()
    _scans: OrderedDict[tuple, list[Item]] = field(default_factory=OrderedDict)

    # -- keys -----------------------------------------------------------------------------
    def created_ms(self, i: int) -> int:
        kind = "ve" if self.kind == "view_events" else "lead"
        return self.timeline.created_at(self.seed, self.account, kind, i)

    def base_window_ms(self, i: int) -> int:
        """The key from/to apply to: updated_at for view events, created_at for leads."""
        if self.kind == "view_events":
            return self.timeline.base_updated_at(self.seed, self.account, i)
        return self.created_ms(i)

    def record(self, item: Item) -> dict[str, Any]:
        i, processed = item
        if self.kind == "leads":
            return lead(self.seed, self.account, i, self.timeline)
        if processed is None:
            return view_event(self.seed, self.account, i, self.timeline)
        record = view_event(
            self.seed, self.account, i, self.timeline, processed.updated_ms, processed.progress
        )
        drift = self.variants.key_drift if self.variants.applies(self.account) else None
        if drift and record.get(drift) is not None:
            record[drift] = f"{record[drift]}#v{processed.progress + 1}"
        return record

    def hold(self, indices: list[int]) -> None:
        self.held = frozenset(indices)
        self._scans.clear()

    def process(self, i: int, now_ms: int) -> None:
        previous = self.overlay.get(i)
        progress = previous.progress + 1 if previous else 1
        self.overlay[i] = Processed(max(now_ms, self.base_window_ms(i) + 1), progress)
        self._scans.clear()

    # -- queries --------------------------------------------------------------------------
    def page(self, query: Query, now_ms: int) -> tuple[int, list[dict[str, Any]]]:
        """(count of all matching records, the records of the requested page)."""
        low = query.from_ms if query.from_ms is not None else 0
        high = min(query.to_ms, now_ms) if query.to_ms is not None else now_ms
        lo = self.timeline.first_index_at_or_after(low, self.base_window_ms)
        hi = self.timeline.first_index_at_or_after(high + 1, self.base_window_ms)
        moved = [
            (p.updated_ms, i, p) for i, p in self.overlay.items() if low <= p.updated_ms <= high
        ]
        if not query.where and not self.held and query.sort in ("created_at", "updated_at"):
            seq: _Sequence = _Merged(self, query.sort, lo, hi, moved)
        else:
            seq = _Listed(self._scan(query, (low, high), lo, hi, moved))
        count = len(seq)
        start, stop = query.offset, min(query.offset + query.limit, count)
        if query.descending:
            positions = range(count - 1 - start, count - 1 - stop, -1)
        else:
            positions = range(start, stop)
        records = [self.record(item) for item in seq.items(positions)]
        if query.fields:
            records = [{f: r.get(f) for f in query.fields} for r in records]
        return count, records

    def _scan(
        self, query: Query, window: tuple[int, int], lo: int, hi: int, moved: list
    ) -> list[Item]:
        # Processing again clears these; the window includes `to`, fixed by a paging client.
        key = (query.where, query.sort, window)
        if key in self._scans:
            self._scans.move_to_end(key)
            return self._scans[key]
        items: list[Item] = [
            (i, None) for i in range(lo, hi) if i not in self.overlay and i not in self.held
        ]
        items += [(i, p) for _, i, p in moved]
        pairs = [(item, self.record(item)) for item in items]
        pairs = [(item, r) for item, r in pairs if query.matches(r)]
        pairs.sort(key=lambda pair: (_sortable(pair[1].get(query.sort)), pair[0][0]))
        result = [item for item, _ in pairs]
        self._scans[key] = result
        if len(self._scans) > 8:
            self._scans.popitem(last=False)
        return result


def _sortable(value: object) -> tuple[int, str]:
    return (
        (0, "") if value is None else (1, f"{value:>20}" if isinstance(value, int) else str(value))
    )


class _Sequence:
    def __len__(self) -> int:
        raise NotImplementedError

    def items(self, positions: range) -> list[Item]:
        raise NotImplementedError


class _Listed(_Sequence):
    def __init__(self, items: list[Item]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def items(self, positions: range) -> list[Item]:
        return [self._items[p] for p in positions]


class _Merged(_Sequence):
    """Base indices ``lo..hi`` minus the processed ones, merged by key with the processed
    view events whose new ``updated_at`` falls in the window: located by arithmetic."""

    def __init__(self, c: Collection, sort: str, lo: int, hi: int, moved: list) -> None:
        key: Callable[[int], int] = c.created_ms if sort == "created_at" else c.base_window_ms
        self._lo = lo
        self._excluded = sorted(i for i in c.overlay if lo <= i < hi)
        self._base_count = hi - lo - len(self._excluded)
        if sort == "created_at":
            extra = sorted((c.created_ms(i), i, p) for _, i, p in moved)
        else:
            extra = sorted(moved, key=lambda m: (m[0], m[1]))
        self._extra: list[Item] = [(i, p) for _, i, p in extra]
        # Merged position of each processed event: its rank plus the base records before it.
        self._extra_positions = []
        for rank, (k, _i, _p) in enumerate(extra):
            below = min(max(c.timeline.first_index_at_or_after(k, key), lo), hi)
            removed = bisect.bisect_left(self._excluded, below)
            self._extra_positions.append(rank + below - lo - removed)

    def __len__(self) -> int:
        return self._base_count + len(self._extra)

    def items(self, positions: range) -> list[Item]:
        out: list[Item] = []
        for p in positions:
            at = bisect.bisect_left(self._extra_positions, p)
            if at < len(self._extra_positions) and self._extra_positions[at] == p:
                out.append(self._extra[at])
            else:
                out.append((self._nth_base(p - at), None))
        return out

    def _nth_base(self, rank: int) -> int:
        """The rank-th base index of lo..hi that was not processed again."""
        i = self._lo + rank
        skipped = 0
        while True:
            now_skipped = bisect.bisect_right(self._excluded, i)
            if now_skipped == skipped:
                return i
            i += now_skipped - skipped
            skipped = now_skipped
