"""Several requests in flight, within the API's limits (the same file in the four taps).

- :class:`RequestPacer`: at most ``per_second`` requests a second, evenly spaced.
- :class:`RequestGate`: what every try of every request of one run passes (client.py's
  ``request_decorator``): at most ``max_in_flight`` at once, the run's pace and the pace of its
  kind of request, and none while the API has asked the tap to wait. A 429 to any request holds
  them all, so the whole run slows down instead of retrying in a storm.
- :class:`WorkerPool`: the run's threads that send requests ahead of the streams.
- :class:`Lookahead`: requests sent ahead of the stream that reads their answers. The stream
  takes each answer in its own order (a request not sent ahead is sent there and then), so
  records and state come out as with one request at a time; at most ``depth`` answers are held
  or in flight, so memory stays bounded.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import typing as t
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import Future

T = t.TypeVar("T")

#: An answer the reader waited this long for means the API's answers take time (the network):
#: worth asking ahead (Lookahead.follow).
SLOW_ANSWER_SECONDS = 0.02

#: The job a worker thread runs (Lookahead.offer), so that its tries can tell it was dropped.
_current = threading.local()


class RunClosedError(Exception):
    """The sync is over, or nobody will read this answer any more: the request stops trying."""


def unread() -> bool:
    """Whether the request this thread is sending ahead was dropped (its answer unwanted)."""
    job: list[Future[t.Any]] = getattr(_current, "job", None) or []
    return bool(job) and getattr(job[0], "unread", False)


class RequestPacer:
    """At most ``per_second`` requests a second (None: no pacing). Thread-safe: each caller
    takes the next free turn, so requests in flight at once share the pace."""

    def __init__(
        self,
        per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # float(): the SDK reads a setting written with decimals (22.5) as a Decimal
        self.interval = 1.0 / float(per_second) if per_second else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            self.sleep(start - now)


class RequestGate:
    """Every try of every request of one run: at most ``max_in_flight`` at once, each at the
    run's pace (``pacer``) and at the pace of its kind (``kinds``, e.g. an API's own limit for
    POST calls), none after the run is closed, and none while a 429 asked to wait."""

    def __init__(
        self,
        max_in_flight: int,
        pacer: RequestPacer,
        kinds: Mapping[str, RequestPacer] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_in_flight = max(1, max_in_flight)
        self.pacer = pacer
        self.kinds = dict(kinds or {})
        self.clock, self.sleep = clock, sleep
        self.slots = threading.BoundedSemaphore(self.max_in_flight)
        self.lock = threading.Lock()
        self.paused_until = 0.0
        self.pauses = 0
        self.closed = False

    @contextlib.contextmanager
    def slot(self, kind: str | None = None) -> Iterator[None]:
        """Hold one of the run's requests in flight for the ``with`` block (one try)."""
        self.slots.acquire()
        try:
            self.wait_out_pause()
            while True:
                self.pacer.wait()
                if kind in self.kinds:
                    self.kinds[kind].wait()
                # A 429 came while this try waited its turn: the turn is taken again after the
                # pause, so that the tries held by it do not all go at once when it ends.
                if not self.wait_out_pause():
                    break
            yield
        finally:
            self.slots.release()

    def wait_out_pause(self) -> bool:
        """Wait until no 429 asks the run to wait; whether it had to."""
        waited = False
        while True:
            if self.closed:
                raise RunClosedError("the sync is over")
            if unread():
                raise RunClosedError("nobody reads this answer any more")
            with self.lock:
                left = self.paused_until - self.clock()
            if left <= 0:
                return waited
            self.sleep(left)
            waited = True

    def throttled(self, seconds: float) -> None:
        """The API answered 429 and the request waits ``seconds`` before its next try: no try
        of any other request starts before then either."""
        with self.lock:
            until = self.clock() + max(0.0, seconds)
            if until > self.paused_until:
                self.paused_until = until
                self.pauses += 1

    def close(self) -> None:
        self.closed = True


class WorkerPool:
    """The run's sending threads, started at the first job. Daemon threads: a sync that ends,
    or is stopped by a signal, never waits on a request sent ahead that nobody will read."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = workers
        self.name = name
        self.jobs: queue.SimpleQueue[tuple[Future[t.Any], Callable[[], t.Any]]] = (
            queue.SimpleQueue()
        )
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self.lock:
            if len(self.threads) < self.workers:
                thread = threading.Thread(
                    target=self.work, name=f"{self.name}-{len(self.threads) + 1}", daemon=True
                )
                self.threads.append(thread)
                thread.start()
        self.jobs.put((future, job))
        return future

    def work(self) -> None:
        while True:
            future, job = self.jobs.get()
            if not future.set_running_or_notify_cancel():
                continue  # dropped before it started
            try:
                future.set_result(job())
            except BaseException as exc:  # handed to whoever takes the answer
                future.set_exception(exc)


class Lookahead:
    """Requests sent ahead (``offer``) and their answers taken in the reader's order (``take``).

    A key names one request (e.g. an account and an offset). An answer nobody takes is dropped
    with ``keep_only``; a request offered but not started when it is taken is sent by the
    reader itself, so the reader never waits behind requests it does not need yet. Errors are
    raised where the answer is taken, in the reader's order, as if the request were sent
    there.

    How far ahead follows the answers (``limit``, 0 up to ``depth``): it doubles each time the
    reader waited ``SLOW_ANSWER_SECONDS`` or more for an answer, and shrinks by one each time
    it did not. Over the internet every request waits on the network, and every request in
    flight is used; an API that answers at once (on the same network) is read one request at a
    time, since threads waiting on answers that come at once only cost CPU."""

    def __init__(
        self,
        pool: WorkerPool | None,
        depth: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.depth = depth if pool is not None else 0
        self.limit = min(self.depth, 2)
        self.clock = clock
        self.jobs: dict[Hashable, Future[t.Any]] = {}
        self.lock = threading.Lock()
        #: Answers taken that had been sent ahead, and requests sent ahead in all.
        self.used = 0
        self.sent = 0

    def room(self) -> int:
        with self.lock:
            return self.limit - len(self.jobs)

    def offer(self, key: Hashable, send: Callable[[], t.Any]) -> bool:
        """Send ``send`` ahead on the pool; False when there is no room or it is already out."""
        with self.lock:
            if self.pool is None or key in self.jobs or len(self.jobs) >= self.limit:
                return False
            # The job's future, filled in once submit returns: a worker may start the job
            # before that, and reads it only at its tries (unread()).
            job: list[Future[t.Any]] = []

            def run() -> t.Any:
                _current.job = job
                try:
                    return send()
                finally:
                    _current.job = None

            job.append(self.pool.submit(run))
            self.jobs[key] = job[0]
            self.sent += 1
            return True

    def offered(self, key: Hashable) -> bool:
        with self.lock:
            return key in self.jobs

    def take(self, key: Hashable, send: Callable[[], T]) -> T:
        """The answer to ``key``: the one sent ahead, else ``send()`` here and now."""
        with self.lock:
            job = self.jobs.pop(key, None)
        started = self.clock()
        try:
            if job is None or job.cancel():
                return send()
            self.used += 1
            return t.cast("T", job.result())
        finally:
            self.follow(self.clock() - started)

    def follow(self, waited: float) -> None:
        """How far ahead, after the reader waited ``waited`` seconds for an answer."""
        if waited >= SLOW_ANSWER_SECONDS:
            self.limit = min(self.depth, max(1, 2 * self.limit))
        else:
            self.limit = max(0, self.limit - 1)

    def keep_only(self, wanted: Callable[[Hashable], bool]) -> None:
        """Drop the requests sent ahead that are no longer wanted (their answers unread)."""
        with self.lock:
            for key in [k for k in self.jobs if not wanted(k)]:
                job = self.jobs.pop(key)
                job.unread = True  # type: ignore[attr-defined]  # its next try stops (unread())
                job.cancel()

    def close(self) -> None:
        self.keep_only(lambda key: False)
