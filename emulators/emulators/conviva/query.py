"""Reading a request's query string the way the API does: time range, limit and filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.conviva import records
from emulators.conviva.state import DAY_MS, SessionFilter

HOUR_MS = 3_600_000
MAX_RANGE_MS = 3 * HOUR_MS
MAX_AGE_MS = 31 * DAY_MS

#: The three time-range formats; a request uses one of them.
RANGE_FORMATS = (
    ("start_date", "end_date"),
    ("start_epoch", "end_epoch"),
    ("start_epoch_ms", "end_epoch_ms"),
)
RANGE_PARAMS = frozenset(p for pair in RANGE_FORMATS for p in pair)


class QueryError(Exception):
    """An answer other than 200: the status and the API's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _instant(name: str, value: str) -> int:
    try:
        if name.endswith("_date"):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("no time zone")
            return int(parsed.timestamp() * 1000)
        if name.endswith("_epoch_ms"):
            return int(float(value))
        return int(float(value) * 1000)
    except ValueError:
        raise QueryError(400, f"Invalid value for {name}: {value!r}") from None


def time_range(
    args: Mapping[str, list[str]], now_ms: int, *, default_ms: int, allow_days: bool
) -> tuple[int, int]:
    """``(start_ms, end_ms)``, start inclusive, end exclusive, checked against the limits."""
    used = [pair for pair in RANGE_FORMATS if any(p in args for p in pair)]
    if len(used) > 1 or (used and "days" in args):
        raise QueryError(400, "Use only one time-range format per request")
    if "days" in args:
        if not allow_days:
            raise QueryError(400, "days is only supported by the viewer endpoints")
        try:
            days = int(args["days"][0])
        except ValueError:
            raise QueryError(400, f"Invalid value for days: {args['days'][0]!r}") from None
        if not 1 <= days <= 31:
            raise QueryError(422, "days must be between 1 and 31")
        return now_ms - days * DAY_MS, now_ms
    if not used:
        return now_ms - default_ms, now_ms
    start_name, end_name = used[0]
    end = _instant(end_name, args[end_name][0]) if end_name in args else now_ms
    start = _instant(start_name, args[start_name][0]) if start_name in args else end - default_ms
    if start >= end:
        raise QueryError(422, f"The query start ({start_name}) must be before its end")
    if start < now_ms - MAX_AGE_MS:
        raise QueryError(422, "The query start timestamp must be within the last 31 days")
    if not allow_days and end - start > MAX_RANGE_MS:
        raise QueryError(422, "The maximum length of a query time range per API request is 3 hours")
    return start, end


def limit(args: Mapping[str, list[str]], *, default: int, maximum: int, cap: bool) -> int:
    if "limit" not in args:
        return default
    try:
        value = int(args["limit"][0])
    except ValueError:
        raise QueryError(400, f"Invalid value for limit: {args['limit'][0]!r}") from None
    if value < 1 or (value > maximum and not cap):
        raise QueryError(400, f"limit must be between 1 and {maximum}")
    return min(value, maximum)


def _values_filter(read: Any, wanted: list[str]) -> SessionFilter:
    allowed = set(wanted)
    return lambda s: read(s) in allowed


def _status_filter(name: str, expected: set[bool]) -> SessionFilter:
    return lambda s: s["status_info"][name] in expected


def session_filter(
    args: Mapping[str, list[str]], saved: Mapping[str, dict[str, list[str]]]
) -> SessionFilter | None:
    """AND across parameters, OR across the values of one parameter; a saved filter alone."""
    checks: list[SessionFilter] = []
    dimensional = False
    for name, values in args.items():
        if name in RANGE_PARAMS or name in ("limit", "days", "filter_id"):
            continue
        if name in records.STATUS_FILTERS:
            flags = {v.lower() for v in values}
            if not flags <= {"true", "false"}:
                raise QueryError(400, f"{name} must be true or false")
            checks.append(_status_filter(name, {v == "true" for v in flags}))
        elif name.startswith("tag_"):
            tag = name[4:]
            if tag not in records.CUSTOM_TAGS:
                raise QueryError(400, f"Unknown custom tag: {tag}")
            dimensional = True
            checks.append(_values_filter(lambda s, t=tag: s["tags"]["custom_tags"][t], values))
        elif name in records.DIMENSION_READERS:
            dimensional = True
            checks.append(_values_filter(records.DIMENSION_READERS[name], values))
        else:
            raise QueryError(400, f"Unknown dimension: {name}")
    if "filter_id" in args:
        if dimensional:
            raise QueryError(
                400, "A request can have only one type of filter: filter_id or dimension filters"
            )
        if len(args["filter_id"]) != 1:
            raise QueryError(400, "filter_id expects only one id value")
        definition = saved.get(args["filter_id"][0])
        if definition is None:
            raise QueryError(400, f"Unknown filter_id: {args['filter_id'][0]}")
        for name, values in definition.items():
            checks.append(_values_filter(records.DIMENSION_READERS[name], values))
    if not checks:
        return None
    return lambda s: all(check(s) for check in checks)
