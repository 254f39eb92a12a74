"""What a test can see and switch in the Brightcove emulator: clients, tokens, the clock, the
data sets, and view events being processed again."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from emulators.brightcove.collection import Collection
from emulators.brightcove.data import Timeline
from emulators.brightcove.throttle import SlidingWindow
from emulators.brightcove.variants import Variants
from emulators.datagen import rng

DAY_MS = 86_400_000


@dataclass
class State:
    seed: int
    accounts: tuple[str, ...]
    view_events: dict[str, Collection]
    leads: dict[str, Collection]
    clients: dict[str, str]
    token_ttl: int
    max_limit: int
    #: Calls a second per account, and per client IP, before 429 (None: that limit is off).
    rate_limit: int | None
    updates_per_request: int
    now_ms: int | None = None  # a fixed clock for the data; None: the real time
    ip_rate_limit: int | None = None
    #: Other plausible answers of the real API (variants.py); the defaults are the docs'.
    variants: Variants = field(default_factory=Variants)
    #: Accounts the data set has but the credentials may not read: answered 401 with any token.
    refused: set[str] = field(default_factory=set)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> monotonic expiry
    issued_tokens: list[str] = field(default_factory=list)  # every token, for leak checks
    _expire_in_requests: int | None = None
    #: The calls each limit let through in the last second (tests may freeze their ``clock``).
    account_calls: SlidingWindow = field(default_factory=SlidingWindow)
    ip_calls: SlidingWindow = field(default_factory=SlidingWindow)
    _process_round: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- clock ----------------------------------------------------------------------------
    def now(self) -> int:
        return self.now_ms if self.now_ms is not None else int(time.time() * 1000)

    # -- tokens ---------------------------------------------------------------------------
    def issue_token(self, ttl: int | None = None) -> tuple[str, int]:
        lifetime = self.token_ttl if ttl is None else min(ttl, self.token_ttl)
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.monotonic() + lifetime
            self.issued_tokens.append(token)
        return token, lifetime

    def token_valid(self, token: str) -> bool:
        with self.lock:
            if self._expire_in_requests is not None:
                if self._expire_in_requests <= 0:
                    self.tokens.clear()
                    self._expire_in_requests = None
                else:
                    self._expire_in_requests -= 1
            expiry = self.tokens.get(token)
            return expiry is not None and expiry > time.monotonic()

    def expire_tokens(self, after_requests: int = 0) -> None:
        """Every token issued so far stops working after ``after_requests`` more API calls."""
        with self.lock:
            self._expire_in_requests = after_requests

    def reset_switches(self) -> None:
        """The documented API again: variants, permissions, leads held back, token expiry."""
        with self.lock:
            self.variants.reset()
            self.refused.clear()
            self._expire_in_requests = None
        self.release_leads()

    # -- permissions ----------------------------------------------------------------------
    def refuse(self, *accounts: str) -> None:
        """The credentials lose Audience Read on these accounts (401 whatever the token)."""
        with self.lock:
            self.refused.update(accounts)

    def grant(self, *accounts: str) -> None:
        """Audience Read on these accounts again (every account when none is named)."""
        with self.lock:
            if accounts:
                self.refused.difference_update(accounts)
            else:
                self.refused.clear()

    # -- throttling -----------------------------------------------------------------------
    def throttled(self, account: str) -> bool:
        """More than ``rate_limit`` calls for this account within the last second."""
        return not self.account_calls.admit(account, self.rate_limit)

    def ip_throttled(self, ip: str) -> bool:
        """More than ``ip_rate_limit`` calls from this client IP within the last second."""
        return not self.ip_calls.admit(ip, self.ip_rate_limit)

    # -- data -----------------------------------------------------------------------------
    def hold_leads(self, account: str, indices: list[int]) -> list[str]:
        """Leads that arrive late: these leads (by index) are not served until
        :meth:`release_leads`, although their ``created_at`` is older than leads already served
        (the docs say only processed data is served, not in which order it is processed).
        Returns their ``created_at``."""
        with self.lock:
            leads = self.leads[account]
            leads.hold(indices)
            return [leads.record((i, None))["created_at"] for i in indices]

    def release_leads(self) -> None:
        """Every lead held back is served from now on."""
        with self.lock:
            for leads in self.leads.values():
                leads.hold([])

    def process(self, account: str | None = None, count: int = 10) -> list[int]:
        """Process ``count`` view events again (deterministically chosen among those already
        visible): their ``updated_at`` becomes now, their progress grows. Returns the indices."""
        chosen: list[int] = []
        with self.lock:
            for name in (account,) if account else self.accounts:
                c = self.view_events[name]
                visible = c.timeline.first_index_at_or_after(self.now() + 1, c.base_window_ms)
                if visible == 0:
                    continue
                self._process_round += 1
                r = rng(self.seed, name, "process", self._process_round)
                now = self.now()  # never later: a record updated in the future is not yet visible
                for _ in range(count):
                    i = r.randrange(visible)
                    c.process(i, now)
                    chosen.append(i)
        return chosen


def build_state(
    *,
    seed: int,
    size: int,
    leads_size: int | None,
    accounts: tuple[str, ...],
    start: str,
    span_days: float,
    clients: dict[str, str],
    token_ttl: int,
    max_limit: int,
    rate_limit: int | None,
    updates_per_request: int,
    now_ms: int | None,
    variants: Variants | None = None,
    ip_rate_limit: int | None = None,
) -> State:
    from datetime import datetime

    start_ms = int(datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp() * 1000)
    span_ms = int(span_days * DAY_MS)
    n_leads = leads_size if leads_size is not None else max(1, size // 5)
    ve_line = Timeline(start_ms, max(2, span_ms // max(size, 1)), size)
    lead_line = Timeline(start_ms, max(2, span_ms // max(n_leads, 1)), n_leads)
    answers = variants or Variants()
    return State(
        seed=seed,
        accounts=accounts,
        view_events={
            a: Collection(seed, a, "view_events", ve_line, variants=answers) for a in accounts
        },
        leads={a: Collection(seed, a, "leads", lead_line, variants=answers) for a in accounts},
        clients=clients,
        token_ttl=token_ttl,
        max_limit=max_limit,
        rate_limit=rate_limit,
        ip_rate_limit=ip_rate_limit,
        updates_per_request=updates_per_request,
        now_ms=now_ms,
        variants=answers,
    )
