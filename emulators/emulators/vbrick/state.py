"""What the Rev emulator remembers between requests, and the switches tests flip."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Scroll:
    """A forward-only cursor: each id serves one page, then a new id points at the next."""

    kind: str
    key: tuple[Any, ...]
    offset: int
    expires_at: float
    used: bool = False


@dataclass
class VbrickState:
    seed: int
    size: int
    anchor: float
    spacing_hours: float = 12.0
    in_progress: int = 1
    upcoming: int = 1
    large_webcasts: int = 3
    sessions_per_webcast: int | None = None
    api_key: str = "emulator-api-key"
    secret: str = "emulator-secret"  # noqa: S105 (the emulator's own fake credentials)
    username: str = "emulator-user"
    password: str = "emulator-password"  # noqa: S105
    token_lifetime_seconds: float = 1800.0
    scroll_ttl_seconds: float = 60.0
    lockout_after: int = 5
    # Requests allowed per `rate_window_seconds` (Vbrick's official client: per minute).
    rate_limits: dict[str, int] = field(
        default_factory=lambda: {"GET": 24000, "POST": 3600, "realtime": 2}
    )
    rate_window_seconds: float = 60.0
    # Whether a 429 carries Retry-After (Vbrick does not document it: tests try both).
    send_retry_after: bool = True
    # Report calls for these webcast ids answer 403 / 404.
    forbidden: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    # Report calls for these webcast ids answer 401 while the session stays valid (GET
    # /api/v2/user/session answers 200): the user may not read them, Rev's code for it.
    unauthorized: set[str] = field(default_factory=set)
    # Webcasts that run past their scheduled end (id -> seconds): their status says InProgress
    # until then, and their post-event report holds the first half of its sessions.
    overruns: dict[str, float] = field(default_factory=dict)
    # The report scrolls of these webcasts are lost on Rev's side: a request that continues one
    # answers 400 "Invalid scrollId" (the first page still comes).
    lost_scrolls: set[str] = field(default_factory=set)
    # Post-event report totals on the first page only (later pages: sessions and scrollId).
    totals_on_first_page_only: bool = False
    # Real-time attendee keys: "PascalCase" (Vbrick's OpenAPI) or "camelCase" (the official
    # JavaScript client's types); attendees per running webcast (None: 50..650 from the seed).
    realtime_key_case: str = "PascalCase"
    realtime_attendees: int | None = None
    # Fields left out of every record of a kind: {"comments": {"commentId"}, "realtime":
    # {"SessionId"}}; kinds: events, sessions, realtime, comments, polls, questions.
    drop_fields: dict[str, set[str]] = field(default_factory=dict)
    # Comments of run 0 of every webcast (None: 0..40 from the seed), and how more than the
    # call's `size` (default 10,000) are answered: "array" (a JSON array cut at `size`, as the
    # OpenAPI's schema says) or "scroll" (an object with comments, totalComments and scrollId,
    # as the OpenAPI's text of the `size` parameter says).
    comments_per_webcast: int | None = None
    comments_paging: str = "array"
    # Seconds added to the expiration the login and extend answers report (negative: already
    # past as it arrives, as when Rev's clock is behind the client's). Sessions last as long.
    expiration_offset_seconds: float = 0.0
    # The search ignores sortField/sortDirection (answers in title order).
    search_sort_ignored: bool = False
    # Comments' and questions' date-times without their zone ("2026-01-01T10:00:00.000").
    zoneless_timestamps: bool = False
    clock_offset: float = 0.0
    # Render every page of every main run's post-event report when the app is made, before the
    # emulator listens (the bench: answering costs no generation, so the emulator is never what
    # it measures). The same pages as rendered on demand, cached (app.REPORT_PAGES_CACHE_CHARS).
    prerender_reports: bool = False

    def __post_init__(self) -> None:
        # Options given as JSON (``python -m emulators serve --options``) hold lists for sets.
        self.forbidden, self.missing = set(self.forbidden), set(self.missing)
        self.unauthorized, self.lost_scrolls = set(self.unauthorized), set(self.lost_scrolls)
        self.drop_fields = {kind: set(names) for kind, names in self.drop_fields.items()}
        self.tokens: dict[str, float] = {}
        self.scrolls: dict[str, Scroll] = {}
        self.failed_logins = 0
        self.logins = 0
        self.extends = 0
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    # The clock -------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.clock_offset

    # Sessions --------------------------------------------------------------------------------
    @property
    def locked_out(self) -> bool:
        return self.failed_logins >= self.lockout_after

    def issue_token(self) -> tuple[str, float]:
        token = secrets.token_urlsafe(24)
        expires = self.now() + self.token_lifetime_seconds
        with self._lock:
            self.tokens[token] = expires
            self.logins += 1
        return token, expires

    def token_valid(self, token: str | None) -> bool:
        return token is not None and self.tokens.get(token, 0.0) > self.now()

    def extend(self, token: str) -> float:
        expires = self.now() + self.token_lifetime_seconds
        with self._lock:
            self.tokens[token] = expires
            self.extends += 1
        return expires

    def expire_tokens(self) -> None:
        """End every session now (a test's "the server forgot us")."""
        with self._lock:
            self.tokens.clear()

    # Scrolls ---------------------------------------------------------------------------------
    def open_scroll(self, kind: str, key: tuple[Any, ...], offset: int) -> str:
        scroll_id = secrets.token_hex(12)
        with self._lock:
            self.scrolls[scroll_id] = Scroll(
                kind, key, offset, self.now() + self.scroll_ttl_seconds
            )
        return scroll_id

    def take_scroll(
        self, scroll_id: str, kind: str, key: tuple[Any, ...] | None = None
    ) -> Scroll | str:
        """The scroll to continue, or why not: ``"invalid"`` (never issued here, or for another
        report) or ``"expired"`` (too old, or already used: scrolls only move forward).
        ``key=None``: the scroll itself says what it continues (the search)."""
        with self._lock:
            scroll = self.scrolls.get(scroll_id)
            if scroll is None or scroll.kind != kind or (key is not None and scroll.key != key):
                return "invalid"
            if scroll.used or scroll.expires_at <= self.now():
                return "expired"
            scroll.used = True
            return scroll

    def expire_scrolls(self) -> None:
        with self._lock:
            for scroll in self.scrolls.values():
                scroll.expires_at = 0.0

    # Throttling ------------------------------------------------------------------------------
    def throttle(self, category: str) -> float | None:
        """Count a call; when over the limit, the seconds until a slot frees (else None)."""
        limit = self.rate_limits.get(category)
        if limit is None:
            return None
        now = self.now()
        with self._lock:
            calls = self._calls.setdefault(category, deque())
            while calls and calls[0] <= now - self.rate_window_seconds:
                calls.popleft()
            if len(calls) >= limit:
                return max(0.0, calls[0] + self.rate_window_seconds - now)
            calls.append(now)
        return None
