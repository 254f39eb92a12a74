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
    th.Property(
        "retry_initial_wait_seconds",
        th.NumberType,
        default=5,
        title="First retry wait (seconds)",
        description="Wait before the first retry of a failed call (doubling after)",
    ),
    th.Property(
        "retry_max_tries",
        th.IntegerType,
        default=5,
        title="Tries per call",
        description="Tries of a call that fails with returnCode 50/60 or a network error",
    ),
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
    _at_least_one("retry_max_tries"),
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
    try:
        v.zone(str(config.get("timezone", DEFAULT_TIMEZONE)))
    except ValueError as exc:
        found.append(f"timezone: {exc}")
    return found
