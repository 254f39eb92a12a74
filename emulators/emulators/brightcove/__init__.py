"""Brightcove Audience API emulator: OAuth client credentials, view events and leads.

Options of :func:`create_app` (all keyword):

- ``seed``, ``size``: the data set; ``size`` view events per account (10 to millions, generated
  on demand), ``leads_size`` leads (default ``size // 5``), spread over ``span_days`` from
  ``start``.
- ``accounts``: the account ids the credentials may read.
- ``clients``: client_id -> client_secret accepted by ``/v4/access_token``.
- ``token_ttl``: token lifetime in seconds (300, as Brightcove's).
- ``max_limit``: the largest ``limit`` accepted (100, as the Audience API page says).
- ``rate_limit``: calls per second per account before 429 REQUEST_THROTTLED_ERROR with
  ``Retry-After: 1`` (50, as documented; None: no limit per account). A sliding window of one
  second over the calls let through (throttle.py).
- ``ip_rate_limit``: the same per client IP, over every Audience API call whatever its account
  or token (50, as documented; None: no limit per IP). The token endpoint (Brightcove's OAuth
  service, another host) counts in neither.
- ``updates_per_request``: view events processed again after each view_events call.
- ``now_ms``: a fixed clock (epoch ms) instead of the real time; ``now`` the same as epoch
  seconds or ISO 8601 (the option every emulator takes).
- ``variants``: other plausible answers of the real API, one switch each (sort ignored, ``count``
  of the page or missing, timestamps with an offset / without a zone / as numbers, ``fields``
  or ``where`` ignored, bare OR values refused, a silent cap on ``limit``, leads not filtered by
  ``from``/``to``, a key field rewritten by processing): see ``variants.py``.
- ``refused``: accounts of the data set the credentials may not read (401 whatever the token).

The state (``app.extensions["emulator_state"]``, a :class:`State`) lets tests expire tokens
(``expire_tokens(after_requests=n)``), process view events again (``process``), hold leads back
and serve them late (``hold_leads``, ``release_leads``), take away and give back the permission on
an account (``refuse``, ``grant``), switch ``state.variants`` between two syncs, change
``rate_limit`` / ``ip_rate_limit`` and freeze the limiters' clocks (``account_calls.clock``,
``ip_calls.clock``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from emulators.brightcove.app import error_body, register
from emulators.brightcove.state import State, build_state
from emulators.brightcove.throttle import DOCUMENTED_PER_SECOND
from emulators.brightcove.variants import Variants
from emulators.datagen import epoch_seconds

DEFAULT_ACCOUNTS = ("1486906377", "57838016001")
DEFAULT_CLIENTS = {"emulator-client": "emulator-secret"}

__all__ = ["State", "Variants", "create_app", "error_body"]


def create_app(
    *,
    seed: int = 42,
    size: int = 2_000,
    leads_size: int | None = None,
    accounts: tuple[str, ...] | list[str] = DEFAULT_ACCOUNTS,
    clients: dict[str, str] | None = None,
    start: str = "2026-01-01T00:00:00Z",
    span_days: float = 30,
    token_ttl: int = 300,
    max_limit: int = 100,
    rate_limit: int | None = DOCUMENTED_PER_SECOND,
    ip_rate_limit: int | None = DOCUMENTED_PER_SECOND,
    updates_per_request: int = 0,
    now_ms: int | None = None,
    now: str | float | None = None,
    variants: dict[str, Any] | None = None,
    refused: tuple[str, ...] | list[str] = (),
) -> Flask:
    if now is not None:
        now_ms = int(epoch_seconds(now) * 1000)
    app = Flask("emulators.brightcove")
    state = build_state(
        seed=seed,
        size=size,
        leads_size=leads_size,
        accounts=tuple(accounts),
        start=start,
        span_days=span_days,
        clients=dict(clients or DEFAULT_CLIENTS),
        token_ttl=token_ttl,
        max_limit=max_limit,
        rate_limit=rate_limit,
        ip_rate_limit=ip_rate_limit,
        updates_per_request=updates_per_request,
        now_ms=now_ms,
        variants=Variants.of(variants),
    )
    state.refuse(*refused)
    app.extensions["emulator_state"] = state
    register(app, state)
    return app
