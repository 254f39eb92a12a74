"""The Audience API's query parameters: limit, offset, sort, fields, where, from and to.

Each parser raises :class:`BadRequestError` with the message the API would put in its 400 body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

VIEW_EVENT_FIELDS = (
    "video_id",
    "video_name",
    "tracking_id",
    "external_id",
    "player_id",
    "page_url",
    "watched",
    "time_watched",
    "created_at",
    "updated_at",
    "is_synced",
    "event_1",
    "event_2",
    "event_3",
    "metric_1",
    "metric_2",
    "metric_3",
)
LEAD_FIELDS = (
    "video_id",
    "external_id",
    "player_id",
    "page_url",
    "created_at",
    "email_address",
    "first_name",
    "last_name",
    "business_phone",
    "country",
    "company_name",
    "industry",
)
LEAD_SORT_FIELDS = ("video_id", "video_name", "player_id", "created_at")

_RELATIVE = re.compile(r"^-?(\d+)([dhms])$")
_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000}


class BadRequestError(ValueError):
    """Answered 400 BAD_REQUEST_ERROR with this message."""


@dataclass(frozen=True)
class Condition:
    """One ``;``-separated clause: true when any (field, value) pair matches (``,`` is OR)."""

    alternatives: tuple[tuple[str, str], ...]

    def __call__(self, record: Mapping[str, object]) -> bool:
        return any(_text(record.get(f)) == v for f, v in self.alternatives)


@dataclass(frozen=True)
class Query:
    limit: int
    offset: int
    sort: str
    descending: bool
    fields: tuple[str, ...] | None
    where: tuple[Condition, ...]
    from_ms: int | None
    to_ms: int | None

    def matches(self, record: Mapping[str, object]) -> bool:
        return all(condition(record) for condition in self.where)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise BadRequestError(f"{name} must be between {low} and {high}, got {value}")
    return value


def parse_where(
    raw: str | None, known: tuple[str, ...], *, bare_values: bool = True
) -> tuple[Condition, ...]:
    """``f1==a,b;f2==c``: ``;`` is AND, ``,`` is OR (a bare value repeats the previous field;
    with ``bare_values`` False it is refused, as a stricter API would)."""
    if not raw:
        return ()
    conditions = []
    for clause in raw.split(";"):
        alternatives: list[tuple[str, str]] = []
        field: str | None = None
        for part in clause.split(","):
            name, sep, value = part.partition("==")
            if not sep:
                # The vendor's own sample writes `video_name=test`: accept a single `=` too.
                name, sep, value = part.partition("=")
            if sep:
                field = name.strip()
                if field not in known:
                    raise BadRequestError(f"where: unknown field {field!r}")
            elif field is None or not bare_values:
                raise BadRequestError(f"where: expected field==value, got {part!r}")
            else:
                value = part
            alternatives.append((field, value.strip()))
        conditions.append(Condition(tuple(alternatives)))
    return tuple(conditions)


def parse_fields(raw: str | None, known: tuple[str, ...]) -> tuple[str, ...] | None:
    if not raw:
        return None
    fields = tuple(f.strip() for f in raw.split(",") if f.strip())
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise BadRequestError(f"fields: unknown field(s) {', '.join(unknown)}")
    return fields


def parse_sort(raw: str | None, known: tuple[str, ...]) -> tuple[str, bool]:
    raw = raw or "created_at"
    descending = raw.startswith("-")
    field = raw.lstrip("-")
    if field not in known:
        raise BadRequestError(f"sort: cannot sort on {field!r}")
    return field, descending


def _absolute_ms(raw: str, name: str, now_ms: int) -> int | None:
    """``now``, epoch milliseconds or YYYY-MM-DD (midnight UTC); None for a relative value."""
    if raw == "now":
        return now_ms
    if raw.isdigit():
        return int(raw)
    if _RELATIVE.match(raw):
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequestError(
            f"{name}: expected now, epoch milliseconds, YYYY-MM-DD or a relative value "
            f"such as -48h or 31d, got {raw!r}"
        ) from None
    return int(day.timestamp() * 1000)


def _relative_ms(raw: str) -> int:
    match = _RELATIVE.match(raw)
    assert match is not None
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_range(
    from_raw: str | None, to_raw: str | None, now_ms: int
) -> tuple[int | None, int | None]:
    """from/to in milliseconds; a relative bound counts from the other one (from ``now`` when
    the other is absent)."""
    start = _absolute_ms(from_raw, "from", now_ms) if from_raw else None
    end = _absolute_ms(to_raw, "to", now_ms) if to_raw else None
    from_relative = bool(from_raw) and start is None
    to_relative = bool(to_raw) and end is None
    if from_relative and to_relative:
        raise BadRequestError("from and to cannot both be relative")
    if from_relative:
        start = (end if end is not None else now_ms) - _relative_ms(str(from_raw))
    if to_relative:
        end = (start if start is not None else now_ms) + _relative_ms(str(to_raw))
    if start is not None and end is not None and start > end:
        raise BadRequestError("from must not be after to")
    return start, end


def parse_query(
    args: Mapping[str, str],
    *,
    known: tuple[str, ...],
    sortable: tuple[str, ...],
    now_ms: int,
    max_limit: int,
    bare_values: bool = True,
) -> Query:
    sort, descending = parse_sort(args.get("sort"), sortable)
    start, end = parse_range(args.get("from"), args.get("to"), now_ms)
    return Query(
        limit=parse_int(args, "limit", 25, 1, max_limit),
        offset=parse_int(args, "offset", 0, 0, 2**62),
        sort=sort,
        descending=descending,
        fields=parse_fields(args.get("fields"), known),
        where=parse_where(args.get("where"), known, bare_values=bare_values),
        from_ms=start,
        to_ms=end,
    )
