"""The settings: what JSON Schema can say about them (CONFIG_SCHEMA), what it cannot
(problems()), and the one check of both, called from the Tap's constructor.

The check runs when the tap is built, before any request: a bad filter or URL must not cost a
token request, nor surface as an API error halfway through a sync.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from tap_brightcove_audience.values import parse_setting_datetime

TAP_NAME = "tap-brightcove-audience"
MASK = "***"


# -- The settings every tap has, with the same names, types and meaning ------------------------
# (request_timeout's, retry_initial_wait_seconds' and the pace's defaults may differ by tap; say
# why.)

#: The Audience API's documented limit (Brightcove's support pages), the tap's default pace 10 %
#: under it, and the requests in flight that reach that pace over the internet (at 150 ms a
#: request, 45 a second need 7 in flight; 12 leave room for slower answers).
VENDOR_LIMIT_TEXT = "Brightcove's documented limit of 50 requests a second per account and per IP"
DEFAULT_REQUESTS_PER_SECOND = 45
DEFAULT_CONCURRENT_REQUESTS = 12
MAX_CONCURRENT_REQUESTS = 64

REQUEST_SETTINGS = (
    th.Property(
        "request_timeout",
        th.IntegerType(minimum=1),
        # 60 s: what the token call waited before; a page of 100 records answers far sooner.
        default=60,
        title="Request timeout (seconds)",
        description="How long one try of a request waits for the API: to connect, and between "
        "two parts of its answer",
    ),
    th.Property(
        "retry_budget_seconds",
        th.IntegerType(minimum=0),
        default=600,
        title="Retry budget (seconds)",
        description="How long one request keeps being tried after throttling (429), a server "
        "error (5xx), no answer or a cut answer. Retry-After is honoured (seconds or an HTTP "
        "date); otherwise the waits double from retry_initial_wait_seconds up to 60 s. When the "
        "next wait would end past the budget, the sync stops with one error naming the API host "
        "(0: never retry). The default outlasts the vendor's throttling window",
    ),
    th.Property(
        "retry_initial_wait_seconds",
        th.NumberType(minimum=0),
        default=1,  # the first wait of the tap's retries before this setting existed
        title="First retry wait (seconds)",
        description="The wait before the second try of a failed request when the API sends no "
        "Retry-After; each later wait doubles (up to 60 s)",
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType(exclusive_minimum=0),
        default=DEFAULT_REQUESTS_PER_SECOND,
        title="Most requests a second",
        description="The most requests the tap sends in one second, across all its streams and "
        f"partitions. The default, {DEFAULT_REQUESTS_PER_SECOND:g}, is 10 % under "
        f"{VENDOR_LIMIT_TEXT}, so that requests bunched on their way never cross it. Give each "
        "of several runs sharing the limit its part",
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1, maximum=MAX_CONCURRENT_REQUESTS),
        default=DEFAULT_CONCURRENT_REQUESTS,
        title="Requests in flight",
        description="How many requests the tap keeps in flight at once, across all its streams "
        "and partitions (pages asked for ahead, within max_requests_per_second). 1: one "
        "request at a time",
    ),
    th.Property(
        "fail_on_owed",
        th.BooleanType,
        default=False,
        title="Fail on owed items",
        description="End the sync with a non-zero exit when items are owed (skipped after their "
        "retries, to be asked for first by the next sync); the state is written first",
    ),
    th.Property(
        "max_owed_syncs",
        th.IntegerType(minimum=1),
        default=10,
        title="Syncs an item may stay owed",
        description="An item owed for more syncs in a row than this is dropped from the owed "
        "items with an error line naming it, and not asked for again",
    ),
)


# -- The one check of the settings, called from the Tap's constructor --------------------------


def check(config: Mapping[str, Any]) -> None:
    """Every problem with the settings at once, before any request: what the schema says
    (CONFIG_SCHEMA), then what it cannot (problems()). No message holds a secret's value."""
    errors = [*schema_errors(config), *problems(config)]
    if errors:
        secrets = secret_values(config)
        raise ConfigValidationError(
            f"{TAP_NAME} settings are not valid", errors=[masked(e, secrets) for e in errors]
        )


def schema_errors(config: Mapping[str, Any]) -> list[str]:
    """CONFIG_SCHEMA's verdict, worded as the SDK words it (``... in config['name']``).

    A rule over several settings (``oneOf``, ``not``...) fails on the whole config, and
    jsonschema's message quotes all of it: such a rule carries a ``description``, which is the
    message instead."""
    validator = DEFAULT_JSONSCHEMA_VALIDATOR(CONFIG_SCHEMA)
    found = sorted(validator.iter_errors(dict(config)), key=lambda e: list(map(str, e.path)))
    return [describe(error) for error in found]


def describe(error: Any) -> str:
    """One jsonschema ValidationError as a line."""
    if not error.path:
        rule = error.schema if isinstance(error.schema, dict) else {}
        if error.validator != "required" and rule.get("description"):
            return str(rule["description"])
    where = "][".join(repr(part) for part in error.path)
    return f"{error.message} in config[{where}]" if where else error.message


def unknown_settings(config: Mapping[str, Any]) -> list[str]:
    """Settings the tap does not know (a typo?): warned about, not an error. CONFIG_SCHEMA holds
    the SDK's built-in settings too once the Tap is built (the SDK adds them to the Tap's
    config_jsonschema, which is this same dict)."""
    return sorted(set(config) - set(CONFIG_SCHEMA["properties"]))


def secret_values(config: Mapping[str, Any]) -> list[str]:
    """The values of the settings the schema marks secret (longest first)."""
    properties = CONFIG_SCHEMA["properties"]
    values = [
        str(config[name])
        for name, prop in properties.items()
        if prop.get("secret") and config.get(name) not in (None, "")
    ]
    return sorted(values, key=len, reverse=True)


def masked(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


# -- per tap ------------------------------------------------------------------------------------

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType(min_length=1),
        required=True,
        title="Client ID",
        description="Brightcove OAuth client id with Audience Read permission",
    ),
    th.Property(
        "client_secret",
        th.StringType(min_length=1),
        required=True,
        secret=True,
        title="Client secret",
        description="Brightcove OAuth client secret",
    ),
    th.Property(
        "account_ids",
        th.ArrayType(th.StringType(pattern=r"^[0-9]+$")),
        required=True,
        title="Account IDs",
        description="Video Cloud account ids to extract (at least one); each is a partition "
        "with its own bookmark",
    ),
    th.Property(
        "start_date",
        th.StringType(),
        required=True,
        title="Start date",
        description="Earliest updated_at (view events) or created_at (leads) to extract on "
        "the first sync: YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time",
    ),
    th.Property(
        "api_url",
        th.StringType(),
        default="https://audience.api.brightcove.com/v1",
        title="API URL",
        description="Base URL of the Audience API",
    ),
    th.Property(
        "oauth_url",
        th.StringType(),
        default="https://oauth.brightcove.com/v4/access_token",
        title="OAuth token URL",
        description="Brightcove OAuth client-credentials token endpoint",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=100),
        default=100,
        title="Page size",
        description="Records per request (the API's limit, 1..100)",
    ),
    th.Property(
        "view_events_where",
        th.StringType(),
        title="view_events where filter",
        description="Audience API where filter for view_events, e.g. "
        "video_id==123,456;player_id==abc (',' is OR, ';' is AND)",
    ),
    th.Property(
        "leads_where",
        th.StringType(),
        title="leads where filter",
        description="Audience API where filter for leads, e.g. country==US",
    ),
    th.Property(
        "view_events_lookback_hours",
        th.IntegerType(minimum=0, maximum=24 * 366),
        default=48,
        title="View events look-back (hours)",
        description="View events keep changing after they are created; each sync starts "
        "this long before the bookmark and upserts what changed",
    ),
    th.Property(
        "leads_lookback_hours",
        th.IntegerType(minimum=0, maximum=24 * 366),
        default=48,
        title="Leads look-back (hours)",
        description="Leads are served once processed, not necessarily in the order they were "
        "created; each sync starts this long before the bookmark, so that a lead served late "
        "is still read (leads read again are upserted on their key)",
    ),
    *REQUEST_SETTINGS,
).to_dict()

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


def problems(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot say about the settings (or not in words that name the setting
    plainly), each problem naming its setting."""
    errors: list[str] = []
    accounts = config.get("account_ids")
    if isinstance(accounts, list):
        if not accounts:
            errors.append("account_ids: give at least one Video Cloud account id")
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
            errors += url_problems(setting, value)
    for setting in WHERE_FIELDS:
        if isinstance(value := config.get(setting), str) and value.strip():
            errors += where_problems(setting, value.strip())
    for setting in ("client_id", "client_secret"):
        if isinstance(value := config.get(setting), str) and not value.strip():
            errors.append(f"{setting}: must not be empty")
    return errors


def where_clauses(value: str) -> list[list[tuple[str, str]]]:
    """A valid ``where`` setting as its clauses (AND), each a list of (field, value) (OR); a
    bare value after a comma repeats the field before it, as the API's docs write it."""
    clauses = []
    for clause in value.strip().split(";"):
        alternatives: list[tuple[str, str]] = []
        field = ""
        for part in clause.split(","):
            name, sep, wanted = part.strip().partition("==")
            if sep:
                field = name.strip()
            else:
                wanted = name
            alternatives.append((field, wanted.strip()))
        clauses.append(alternatives)
    return clauses


def where_problems(setting: str, value: str) -> list[str]:
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


def url_problems(setting: str, value: str) -> list[str]:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [f"{setting}: {value!r} is not an http(s) URL"]
    if parts.query or parts.fragment:
        return [f"{setting}: the URL must not carry a query or fragment"]
    return []
