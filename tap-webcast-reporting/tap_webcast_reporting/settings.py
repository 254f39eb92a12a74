"""The tap's settings: CONFIG_SCHEMA says everything JSON Schema can say (types, ranges,
patterns, the report format's values, include_domains not with exclude_domains); problems()
says the rest (dates, the order of the date range, the time zone). check() runs both, once,
from the Tap's constructor, and no message holds the password."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from tap_webcast_reporting import values as v

TAP_NAME = "tap-webcast-reporting"
MASK = "***"


# -- The settings every tap has, with the same names, types and meaning ------------------------
# (request_timeout's and retry_initial_wait_seconds' defaults may differ by tap; say why.)

REQUEST_SETTINGS = (
    th.Property(
        "request_timeout",
        th.IntegerType(minimum=1),
        # The API builds the whole report before its first byte arrives: a large event's report
        # keeps the connection silent for minutes. 300 s is what every call waited before this
        # setting existed (the HTTP library's default through the SDK).
        default=300,
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
        # 5 s, as before this setting was shared: the reporting service answers "not available"
        # (returnCode 50/60) while it is busy, and asking again at once does not help.
        default=5,
        title="First retry wait (seconds)",
        description="The wait before the second try of a failed request when the API sends no "
        "Retry-After; each later wait doubles (up to 60 s)",
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType(exclusive_minimum=0),
        title="Most requests a second",
        description="The most requests the tap sends in one second, across all its streams and "
        "partitions (unset: the API documents no limit a second, only reports an hour, which "
        "max_reports_per_hour keeps; its 429 answers are honoured)",
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1, maximum=1),
        default=1,
        title="Requests in flight",
        description="How many requests the tap keeps in flight at once: 1, the API's own rule "
        "(one report at a time for an account), so 1 is the only value accepted",
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


# -- tap-webcast-reporting's own settings -------------------------------------------------------

FORMATS = ("xml", "json", "csv")
DEFAULT_TIMEZONE = "GMT"


def _filter_setting(name: str, param: str, what: str) -> th.Property:
    return th.Property(
        name,
        th.BooleanType,
        title=what,
        description=f"Report filter `{param}` (on/off). Unset: the API's default.",
    )


def _at_least_one(name: str) -> dict[str, Any]:
    """The rule ``name >= 1``, worded as the tap has always said it."""
    return {
        "description": f"{name} must be at least 1",
        "not": {"required": [name], "properties": {name: {"type": "number", "maximum": 0}}},
    }


CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "username",
        th.StringType,
        required=True,
        title="API username",
        description="webcasts.com API account (ask webcasts.com Support for one)",
    ),
    th.Property(
        "password",
        th.StringType,
        required=True,
        secret=True,
        title="API password",
        description="Sent in the login's query string, as the API requires; the tap "
        "redacts it from every log line and error",
    ),
    th.Property(
        "api_url",
        th.StringType(pattern=r"^https?://"),
        default="https://api.webcasts.com/api",
        title="API URL",
        description="Base URL of the login and event list calls",
    ),
    th.Property(
        "reporting_url",
        th.StringType(pattern=r"^https?://"),
        default="https://reporting.webcasts.com/api/reporting",
        title="Reporting URL",
        description="Base URL of the time zone and report calls",
    ),
    th.Property(
        "event_ids",
        th.ArrayType(th.StringType),
        title="Event IDs",
        description="Report only these events (else every event of the event list)",
    ),
    th.Property(
        "timezone",
        th.StringType,
        default=DEFAULT_TIMEZONE,
        title="Report time zone",
        description="Time zone the API writes the report's times in (one of the `timezones` "
        "stream); the tap emits every time as UTC",
    ),
    th.Property(
        "start_date",
        th.DateType,
        title="Report start date",
        description="Start of the report date range (the API starts it at 12:00:00 AM)",
    ),
    th.Property(
        "end_date",
        th.DateType,
        title="Report end date",
        description="End of the report date range (the API ends it at 11:59:59 PM)",
    ),
    th.Property(
        "report_format",
        th.StringType,
        default="xml",
        allowed_values=list(FORMATS),
        title="Report format",
        description="xml (default, carries the most), json or csv: the same streams",
    ),
    _filter_setting("filter_registered_in_range", "dr_regs", "Registered in the date range"),
    _filter_setting("filter_viewed_in_range", "dr_sessions", "Viewed in the date range"),
    _filter_setting("filter_asked_question", "users_qa", "Asked a question"),
    _filter_setting("filter_answered_survey", "user_survey", "Answered a survey"),
    _filter_setting("filter_no_shows", "no_shows", "No-shows only"),
    _filter_setting("filter_live_viewers", "live_viewers", "Live viewers only"),
    _filter_setting("filter_on_demand_viewers", "od_viewers", "On-demand viewers only"),
    _filter_setting("filter_simlive_viewers", "simlive_viewers", "Sim-Live viewers only"),
    th.Property(
        "campaign_ids",
        th.ArrayType(th.StringType),
        title="Campaign IDs",
        description="Report filter `sti_filter`: only registrants who came with these "
        "campaign source tracking ids",
    ),
    th.Property(
        "include_domains",
        th.ArrayType(th.StringType),
        title="Include email domains",
        description="Report filter `inclu_domain`; not with exclude_domains",
    ),
    th.Property(
        "exclude_domains",
        th.ArrayType(th.StringType),
        title="Exclude email domains",
        description="Report filter `excl_domain`; not with include_domains",
    ),
    th.Property(
        "include_expired",
        th.BooleanType,
        default=False,
        title="Include expired events",
        description="Report expired events too (their own request: 50 an hour, one per "
        "event per 48 hours)",
    ),
    th.Property(
        "max_reports_per_hour",
        th.IntegerType,
        default=1000,
        title="Max reports per hour",
        description="The account's hourly report quota (the API's is 1,000)",
    ),
    th.Property(
        "quota_wait_seconds",
        th.IntegerType(minimum=0),
        default=0,
        title="Quota wait (seconds)",
        description="How long a run may wait in all for report quota to free up; past it "
        "the run ends cleanly with its state saved and the next run continues",
    ),
    *REQUEST_SETTINGS,
).to_dict()

CONFIG_SCHEMA["allOf"] = [
    {
        "description": "include_domains and exclude_domains cannot be used together (the API "
        "refuses inclu_domain with excl_domain): keep one",
        "not": {
            "required": ["include_domains", "exclude_domains"],
            "properties": {
                "include_domains": {"minItems": 1},
                "exclude_domains": {"minItems": 1},
            },
        },
    },
    _at_least_one("max_reports_per_hour"),
]


def problems(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot say about the settings, each problem naming its setting."""
    found: list[str] = []
    dates: dict[str, date] = {}
    for name in ("start_date", "end_date"):
        if config.get(name):
            try:
                dates[name] = date.fromisoformat(str(config[name])[:10])
            except ValueError:
                found.append(f"{name} {config[name]!r} is not a date (YYYY-MM-DD)")
    if len(dates) == 2 and dates["start_date"] > dates["end_date"]:
        found.append("start_date is after end_date")
    timezone = str(config.get("timezone", DEFAULT_TIMEZONE))
    try:
        v.zone(timezone)
    except ValueError as exc:
        found.append(f"timezone: {exc}")
    else:
        if config.get("report_format") == "csv" and not v.gmt_equivalent(timezone):
            found.append(
                f"timezone {timezone!r} with report_format csv: a CSV report does not say which "
                "zone its times are in, so the tap could not tell whether the API applied it "
                "(the parameter's name is assumed). Use timezone GMT with csv (the API's "
                "default: every time is emitted in UTC anyway), or the xml or json format, "
                "whose reports state their zone"
            )
    return found
