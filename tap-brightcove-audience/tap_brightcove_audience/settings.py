"""Checks of the settings beyond their JSON schema, each error naming its setting.

They run when the tap is built, before any request: a bad filter or URL must not cost a token
request, nor surface as an API error halfway through a sync.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tap_brightcove_audience.timestamps import parse_setting_datetime

# Fields the Audience API accepts in a where filter (its documentation, per resource).
WHERE_FIELDS = {
    "view_events_where": (
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
    ),
    "leads_where": (
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
    ),
}
_CONDITION = re.compile(r"^(?P<field>[a-z_0-9]+)==(?P<value>[^,;]*)$")


def where_errors(setting: str, value: str) -> list[str]:
    """``field==value[,value|,field==value...][;...]``: ``,`` is OR, ``;`` is AND."""
    known = WHERE_FIELDS[setting]
    errors = []
    for clause in value.split(";"):
        parts = clause.split(",")
        first = _CONDITION.match(parts[0].strip())
        if first is None:
            errors.append(
                f"{setting}: {clause!r} is not field==value (clauses are joined by ';' for AND, "
                "values by ',' for OR)"
            )
            continue
        for part in parts:
            match = _CONDITION.match(part.strip())
            if match and match["field"] not in known:
                errors.append(
                    f"{setting}: unknown field {match['field']!r}; the API filters on "
                    + ", ".join(known)
                )
    return errors


def url_errors(setting: str, value: str) -> list[str]:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [f"{setting}: {value!r} is not an http(s) URL"]
    if parts.query or parts.fragment:
        return [f"{setting}: the URL must not carry a query or fragment"]
    return []


def config_errors(config: Mapping[str, object]) -> list[str]:
    """Everything wrong with the settings the JSON schema cannot say."""
    errors: list[str] = []
    accounts = config.get("account_ids")
    if isinstance(accounts, list):
        if not accounts:
            errors.append("account_ids: give at least one Video Cloud account id")
        bad = [a for a in accounts if not (isinstance(a, str) and a.isdigit())]
        if bad:
            errors.append(f"account_ids: account ids are digits only, got {bad!r}")
        if len(set(map(str, accounts))) != len(accounts):
            errors.append("account_ids: an account id is listed twice")
    start = config.get("start_date")
    if isinstance(start, str):
        try:
            moment = parse_setting_datetime(start)
        except ValueError:
            errors.append(f"start_date: {start!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time")
        else:
            if moment > datetime.now(UTC):
                errors.append(f"start_date: {start!r} is in the future")
    for setting in ("api_url", "oauth_url"):
        if isinstance(value := config.get(setting), str):
            errors += url_errors(setting, value)
    for setting in WHERE_FIELDS:
        if isinstance(value := config.get(setting), str) and value.strip():
            errors += where_errors(setting, value.strip())
    for setting in ("client_id", "client_secret"):
        if isinstance(value := config.get(setting), str) and not value.strip():
            errors.append(f"{setting}: must not be empty")
    return errors
