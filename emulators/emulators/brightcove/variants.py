"""Other plausible answers of the real Audience API, one switch each.

Each default is what the tap assumes (and what Brightcove's pages show); a test flips one switch
to play the answer the real API might give instead, and checks that the tap notices. The switches
are options of :func:`emulators.brightcove.create_app` (``variants={...}``) and attributes of
``state.variants``, so a test may also change them between two syncs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

SORTS = ("asked", "created_at", "-created_at")
COUNTS = ("total", "page", "missing")
TIMESTAMPS = ("utc", "offset", "naive", "epoch_ms")
WHERES = ("applied", "ignored", "strict")
NUMBERS = ("numbers", "text")
BOUNDS = ("inclusive", "exclusive")
#: The zone the ``offset`` timestamps are written in.
OFFSET_ZONE = timezone(timedelta(hours=2))


@dataclass
class Variants:
    #: "asked": sorted as the ``sort`` parameter says; "created_at" / "-created_at": that order,
    #: whatever is asked (an API ignoring ``sort``).
    sort: str = "asked"
    #: "total": ``count`` is every record matching the query; "page": the page's own length;
    #: "missing": no ``count`` in the answer.
    count: str = "total"
    #: How ``created_at``/``updated_at`` are written: "utc" (``...Z``, the docs' samples),
    #: "offset" (the same instant at +02:00), "naive" (UTC, no zone), "epoch_ms" (a number).
    timestamps: str = "utc"
    #: Whether ``fields=`` narrows the records (False: every field is sent).
    fields: bool = True
    #: "applied": ``where`` filters; "ignored": every record is sent whatever the filter;
    #: "strict": a bare value after a comma (``video_id==1,2``) is refused with a 400.
    where: str = "applied"
    #: A ``limit`` above this is served as this many records, silently (None: no cap).
    limit_cap: int | None = None
    #: Whether ``from``/``to`` filter leads on ``created_at`` (False: leads ignore the range).
    lead_range: bool = True
    #: A view-event field that processing rewrites (e.g. "page_url"): a key field that is
    #: not written once after all. None: every key field stays as created.
    key_drift: str | None = None
    #: "numbers": watched, time_watched and the metrics are JSON numbers (the samples);
    #: "text": they are sent as strings ("19").
    numbers: str = "numbers"
    #: Whether ``from`` and ``to`` include records exactly at the bound ("inclusive") or not.
    bounds: str = "inclusive"
    #: Whether ``offset`` is applied (False: every page is the first one).
    offset: bool = True
    #: The accounts these switches apply to (None: every account); the others answer as
    #: documented.
    accounts: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for name, allowed in (
            ("sort", SORTS),
            ("count", COUNTS),
            ("timestamps", TIMESTAMPS),
            ("where", WHERES),
            ("numbers", NUMBERS),
            ("bounds", BOUNDS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"variants.{name} must be one of {allowed}")

    def applies(self, account: str) -> bool:
        return self.accounts is None or account in self.accounts

    def reset(self) -> None:
        """Every switch back to the documented answer (in place: the collections share it)."""
        for item in fields(self):
            setattr(self, item.name, item.default)

    @classmethod
    def of(cls, options: dict[str, Any] | None) -> Variants:
        known = {f.name for f in fields(cls)}
        unknown = set(options or {}) - known
        if unknown:
            raise ValueError(f"unknown variants: {', '.join(sorted(unknown))}")
        options = dict(options or {})
        if options.get("accounts") is not None:
            options["accounts"] = frozenset(map(str, options["accounts"]))
        return cls(**options)


NUMBER_FIELDS = ("watched", "time_watched", "metric_1", "metric_2", "metric_3")


def written(value: str | None, how: str) -> Any:
    """A ``...Z`` timestamp as the ``timestamps`` switch writes it."""
    if value is None or how == "utc":
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if how == "epoch_ms":
        return int(moment.timestamp() * 1000)
    if how == "naive":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return moment.astimezone(OFFSET_ZONE).isoformat(timespec="milliseconds")
