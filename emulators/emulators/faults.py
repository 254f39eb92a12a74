"""Fault switches shared by every emulator.

A :class:`Fault` matches requests by path (regular expression, searched) and method, lets ``skip``
of them through, then hits the next ``times`` of them (``None``: all that follow):

- ``status``: answer ``status`` with ``headers`` (e.g. ``Retry-After``) and ``body`` (default:
  the vendor's own error body for that status); ``retry_after_date_in`` adds a ``Retry-After``
  HTTP date that many seconds after the moment of the answer, as a server computes it;
- ``slow``: wait ``delay`` seconds, then answer normally;
- ``drop``: close the connection without answering;
- ``malformed``: answer normally but cut the body in half (invalid JSON/XML, same status).

Faults are set in-process (``server.faults.add(Fault(...))``) or over HTTP
(``POST /_emulator/faults`` with the same fields as JSON; ``DELETE /_emulator/faults`` clears).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Literal

FaultKind = Literal["status", "slow", "drop", "malformed"]
KINDS: tuple[str, ...] = ("status", "slow", "drop", "malformed")


@dataclass
class Fault:
    kind: FaultKind
    path: str = ".*"
    method: str | None = None
    skip: int = 0
    times: int | None = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    content_type: str | None = None
    delay: float = 0.0
    retry_after_date_in: float | None = None
    # Bookkeeping, not settings.
    seen: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {self.kind!r}")
        self._pattern = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


ErrorBody = Callable[[int], tuple[str, str]]


def plain_error_body(status: int) -> tuple[str, str]:
    return f'{{"error": "emulated fault", "status": {status}}}', "application/json"


class FaultInjector:
    """Thread-safe list of armed faults; the first armed fault matching a request takes it."""

    def __init__(self, error_body: ErrorBody | None = None) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.error_body: ErrorBody = error_body or plain_error_body

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.spent]

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that hits this request, if any (and count it)."""
        with self._lock:
            for fault in self._faults:
                if fault.spent or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.hits += 1
                return fault
        return None

    def status_response(self, fault: Fault) -> tuple[int, list[tuple[str, str]], bytes]:
        body, content_type = self.error_body(fault.status)
        if fault.body is not None:
            body = fault.body
            content_type = fault.content_type or content_type
        headers = [("Content-Type", content_type), *fault.headers.items()]
        if fault.retry_after_date_in is not None:
            retry_at = datetime.now(UTC) + timedelta(seconds=fault.retry_after_date_in)
            headers.append(("Retry-After", format_datetime(retry_at, usegmt=True)))
        data = body.encode()
        headers.append(("Content-Length", str(len(data))))
        return fault.status, headers, data
