"""The settings: what JSON Schema can say about them (CONFIG_SCHEMA), what it cannot
(problems()), and the one check of both, called from the Tap's constructor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from tap_conviva_sessions.values import instant

TAP_NAME = "tap-conviva-sessions"
MASK = "***"


# -- The settings every tap has, with the same names, types and meaning ------------------------
# (request_timeout's, retry_initial_wait_seconds' and the pace's defaults may differ by tap; say
# why.)

#: Conviva's documented limit (the Insights API's rate limits: 3000 requests per 5 minutes per
#: IP, 10 a second), the tap's default pace 10 % under it, and the requests in flight that reach
#: that pace over the internet: at 150 ms a request, 9 a second need about 1.4 in flight; 4 leave
#: room for slower answers (a window of 500 sessions takes longer than a small one) and for the
#: windows asked for ahead that the walk then does not want.
VENDOR_LIMIT_TEXT = "Conviva's documented limit of 3000 requests per 5 minutes per IP (10 a second)"
DEFAULT_REQUESTS_PER_SECOND = 9
DEFAULT_CONCURRENT_REQUESTS = 4
MAX_CONCURRENT_REQUESTS = 64

REQUEST_SETTINGS = (
    th.Property(
        "request_timeout",
        th.IntegerType(minimum=1),
        default=60,  # one 3-hour window of up to 1500 sessions answers well within a minute
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
        # Today's first wait: Conviva's budget is 3000 requests per 5 minutes, and its 429
        # answers carry no Retry-After, so the waits start at 5 s (5, 10, 20, 40, 60, 60... s).
        default=5,
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
        "and partitions (windows asked for ahead, within max_requests_per_second). 1: one "
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


# -- tap-conviva-sessions' own settings ---------------------------------------------------------

#: The is_* status filters the sample endpoints document.
STATUS_FILTERS = (
    "is_exit_before_video_start",
    "is_video_playback_failure",
    "is_video_playback_failure_business",
    "is_video_playback_failure_tech",
    "is_video_start_failure",
    "is_video_start_failure_business",
    "is_video_start_failure_tech",
)
#: Query parameters the tap sets itself: no dimension filter may take these names.
RESERVED_PARAMS = frozenset(
    {"limit", "filter_id", "days", "viewer_id", "viewer_ip", *STATUS_FILTERS}
    | {f"{p}_{s}" for p in ("start", "end") for s in ("date", "epoch", "epoch_ms")}
)

FILTERS = th.ObjectType(additional_properties=th.ArrayType(th.StringType))

#: A saved filter and dimension or tag filters exclude each other. Today's rule reads the values
#: as truthy: a filter_id of "" or an empty {} of filters counts as not given, hence minLength
#: and minProperties.
FILTER_ID_ALONE = {
    "description": "filter_id cannot be combined with dimension_filters or custom_tag_filters: "
    "Conviva takes either one saved filter or dimension filters, not both",
    "not": {
        "required": ["filter_id"],
        "properties": {"filter_id": {"type": "string", "minLength": 1}},
        "anyOf": [
            {
                "required": [name],
                "properties": {name: {"type": "object", "minProperties": 1}},
            }
            for name in ("dimension_filters", "custom_tag_filters")
        ],
    },
}

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType,
        required=True,
        title="Client ID",
        description="Conviva API client id (API credentials, not a Pulse user login)",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        title="Client secret",
        description="Conviva API client secret, sent with the client id as HTTP Basic auth",
    ),
    th.Property(
        "api_url",
        th.URIType,
        default="https://api.conviva.com/insights/3.0",
        title="API URL",
        description="Base URL of Conviva Insights 3.0",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        title="Start date",
        description="Earliest session time to sync on the first run (moved forward to the "
        "API's 31 days, with a warning)",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Sync sessions before this instant (default: now less end_offset_minutes)",
    ),
    th.Property(
        "end_offset_minutes",
        th.IntegerType(minimum=0),
        default=10,
        title="End offset (minutes)",
        description="Without end_date, stop this many minutes before now: the newest "
        "minutes are not complete yet",
    ),
    th.Property(
        "window_minutes",
        th.IntegerType(minimum=1, maximum=180),
        default=180,
        title="Window (minutes)",
        description="Longest time range per request (the API allows 3 hours); a full "
        "window is split in halves down to one minute",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=1500),
        default=500,
        title="Page size",
        description="limit: sessions per request. The content endpoint's page allows up to "
        "1500, the guide up to 500: ad sessions are asked for at most 500, and an answer of 500 "
        "sessions counts as full (its window is split) whatever the limit",
    ),
    th.Property(
        "lookback_minutes",
        th.IntegerType(minimum=0, maximum=31 * 24 * 60),
        default=180,
        title="Look-back (minutes)",
        description="Each sync asks again for this many minutes before the bookmark. Conviva "
        "does not say whether a time range returns the sessions overlapping it or only those "
        "that started in it; in the second case a session still running at the end of a sync "
        "is read by the next sync only through the look-back. Sessions read again are updates "
        "on their key (0: start at the bookmark)",
    ),
    th.Property(
        "dimension_filters",
        FILTERS,
        title="Dimension filters",
        description='Conviva dimension to accepted values, e.g. {"device_os": '
        '["Android", "iOS"]}: AND across dimensions, OR within one (values are '
        "case-sensitive)",
    ),
    th.Property(
        "custom_tag_filters",
        FILTERS,
        title="Custom tag filters",
        description="Custom tag name to accepted values, sent as tag_<name>; same rules "
        "as dimension_filters",
    ),
    th.Property(
        "status_filters",
        th.ObjectType(
            *(th.Property(name, th.BooleanType) for name in STATUS_FILTERS),
            additional_properties=False,
        ),
        title="Status filters",
        description='Session status flags to filter on, e.g. {"is_video_start_failure": true}',
    ),
    th.Property(
        "filter_id",
        th.StringType,
        title="Saved filter id",
        description="A saved filter's id; cannot be combined with dimension or tag filters",
    ),
    th.Property(
        "viewer_ids",
        th.ArrayType(th.StringType),
        title="Viewer ids",
        description="Viewers whose sessions and summary to sync (Viewer-Module API)",
    ),
    th.Property(
        "viewer_ips",
        th.ArrayType(th.StringType),
        title="Viewer IPs",
        description="Viewer IP addresses (IPv4 or IPv6) whose sessions and summary to sync",
    ),
    th.Property(
        "viewer_days",
        th.IntegerType(minimum=1, maximum=31),
        default=1,
        title="Viewer days",
        description="How many days back the viewer sessions and summaries cover",
    ),
    *REQUEST_SETTINGS,
).to_dict() | {"allOf": [FILTER_ID_ALONE]}


def problems(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot say about the settings, each problem naming its setting."""
    errors = []
    dates = {}
    for name in ("start_date", "end_date"):
        if config.get(name):
            try:
                dates[name] = instant(str(config[name]))
            except ValueError:
                errors.append(f"{name} {config[name]!r} is not an ISO 8601 date-time")
    if len(dates) == 2 and dates["end_date"] <= dates["start_date"]:
        errors.append(
            f"end_date ({config['end_date']}) must be after start_date ({config['start_date']})"
        )
    clashes = sorted(RESERVED_PARAMS & set(config.get("dimension_filters") or {}))
    if clashes:
        errors.append(
            f"dimension_filters cannot name {', '.join(clashes)}: use the setting of that name"
        )
    return errors
