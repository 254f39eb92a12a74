"""The reports of the next webcasts, asked for ahead (this tap only).

The SDK syncs one webcast at a time: each report stream reads the current webcast's report, then
the next webcast is read. While that happens, the run's workers fetch the pages of the next
webcasts' reports (streams.WebcastsStream.send_reports_ahead offers their first pages). A Rev
scroll is sequential (each page's ``scrollId`` comes with the answer before it), so the worker that
has a report's page asks for the page after it itself (client.VbrickStream.fetch_ahead): several
reports scroll side by side. The report streams then take each page in their own order, their
paginators deciding, as with one request at a time.

:class:`ReportsAhead` is the run's one :class:`~tap_vbrick_webcast.concurrency.Lookahead` (at most
``depth`` pages in flight or held: the memory it may hold) with the next pages a worker could not
send for want of room, which wait and go first when room frees (their scroll ids age meanwhile).
A key names one page: (stream, eventId, runNumber, page token), the token None for a first page.
"""

from __future__ import annotations

import threading
import typing as t
from collections.abc import Callable, Hashable

from tap_vbrick_webcast.concurrency import Lookahead, unread

T = t.TypeVar("T")
#: (stream, eventId, runNumber, page token): one page of one report stream's report of a run.
PageKey = tuple[str, t.Any, t.Any, Hashable]
#: (stream, eventId, runNumber): one report stream's report of a run.
ReportKey = tuple[str, t.Any, t.Any]


class ReportsAhead:
    """Pages sent ahead of the report streams, and next pages waiting for room."""

    def __init__(self, lookahead: Lookahead) -> None:
        self.lookahead = lookahead
        #: Next pages a worker found no room for, oldest first (sent by resume, or by the stream
        #: that reads them).
        self.waiting: dict[Hashable, Callable[[], t.Any]] = {}
        self.lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether anything is sent ahead at all (max_concurrent_requests above 1)."""
        return self.lookahead.depth > 0

    def room(self) -> int:
        return self.lookahead.room()

    def room_for_first_pages(self) -> bool:
        """Whether a report's first page may be asked for ahead now: there is room, and first
        pages take at most half of it, so that the pages after them (which only their answers
        can ask for) find room at once instead of waiting while their scroll ids age."""
        with self.lookahead.lock:
            jobs = self.lookahead.jobs
            firsts = sum(1 for key in jobs if t.cast("PageKey", key)[3] is None)
            return len(jobs) < self.lookahead.limit and 2 * firsts < self.lookahead.limit

    def known(self, key: Hashable) -> bool:
        """Whether ``key`` is sent ahead (in flight or held) or waiting for room."""
        with self.lock:
            return key in self.waiting or self.lookahead.offered(key)

    def sent(self, key: Hashable) -> bool:
        """Whether ``key`` is sent ahead (in flight or held)."""
        return self.lookahead.offered(key)

    def offer(self, key: Hashable, send: Callable[[], t.Any]) -> bool:
        """Send ``send`` ahead; False when there is no room or ``key`` is already known."""
        with self.lock:
            if key in self.waiting:
                return False
            return self.lookahead.offer(key, send)

    def follow(self, key: Hashable, send: Callable[[], t.Any]) -> None:
        """The next page of a report whose page a worker (or the stream) has just received:
        sent ahead, or kept waiting until there is room. Not when the page before it was dropped
        meanwhile (its report is no longer wanted)."""
        with self.lock:
            # Under the lock: a drop (keep_only) either came first, and this job knows it is
            # unread, or comes after, and drops this next page too.
            if unread() or key in self.waiting or self.lookahead.offer(key, send):
                return
            if not self.lookahead.offered(key):
                self.waiting[key] = send

    def resume(self) -> None:
        """Send the waiting next pages as room allows, oldest first."""
        with self.lock:
            for key in list(self.waiting):
                if self.lookahead.room() <= 0:
                    return
                if self.lookahead.offer(key, self.waiting[key]):
                    del self.waiting[key]

    def take(self, key: Hashable, send: Callable[[], T]) -> T:
        """The answer to ``key``: the one sent ahead, else ``send()`` here and now."""
        with self.lock:
            self.waiting.pop(key, None)  # not sent ahead after all: the reader sends it
        return self.lookahead.take(key, send)

    def keep_only(self, wanted: Callable[[Hashable], bool]) -> None:
        """Drop what is no longer wanted: answers unread, waiting pages forgotten."""
        with self.lock:
            for key in [k for k in self.waiting if not wanted(k)]:
                del self.waiting[key]
            self.lookahead.keep_only(wanted)

    def drop(self, report: ReportKey) -> None:
        """Drop every page of one report sent ahead or waiting (its reader is done with it, or
        wants another page than the one asked for ahead)."""
        self.keep_only(lambda key: t.cast("PageKey", key)[:3] != report)

    def close(self) -> None:
        with self.lock:
            self.waiting.clear()
            self.lookahead.close()
