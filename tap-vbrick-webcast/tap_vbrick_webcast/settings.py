"""The settings: what JSON Schema can say in CONFIG_SCHEMA, the rest in problems(), and the one
check that stops a bad configuration before any request is made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from tap_vbrick_webcast.values import parse_utc

TAP_NAME = "tap-vbrick-webcast"
MASK = "***"


# -- The settings every tap has, with the same names, types and meaning ------------------------
# (request_timeout's, retry_initial_wait_seconds' and the pace's defaults may differ by tap; say
# why.)

#: Rev's limits as Vbrick's official client keeps them, per minute: GET 24,000, POST 3,600 and
#: real-time attendees 2 (a bucket of their own). The tap's default pace is 10 % under the GET
#: limit (nearly every call is a GET), POSTs are paced 10 % under theirs, real-time calls at 2 a
#: minute; a lower max_requests_per_second scales all three by the same share (e.g. to split the
#: limits between two runs).
VENDOR_LIMIT_TEXT = "Rev's limit of 24,000 GET calls a minute (Vbrick's official client)"
GET_LIMIT_PER_SECOND = 24_000 / 60
DEFAULT_REQUESTS_PER_SECOND = 360
POST_REQUESTS_PER_SECOND = 0.9 * 3_600 / 60
REALTIME_CALLS_PER_SECOND = 2 / 60
#: Requests in flight by default: at 150 ms a request (a tenant across the internet), and the
#: time Rev takes to make a page of 500 sessions, one at a time makes some 4 to 6 requests a
#: second; 12 in flight make 5 times that, far under the pace, with room for the reports'
#: scrolls (each page waits for the one before it: 8 left the workers idle a tenth of the time).
DEFAULT_CONCURRENT_REQUESTS = 12
MAX_CONCURRENT_REQUESTS = 64

REQUEST_SETTINGS = (
    th.Property(
        "request_timeout",
        th.IntegerType(minimum=1),
        default=60,  # the login's timeout before the retry contract; every call now has it
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
        default=2,  # the first wait of the tap's retries before the contract (2 s, doubling)
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
        f"{VENDOR_LIMIT_TEXT}; POST calls are paced 10 % under Rev's 3,600 a minute and "
        "real-time attendee calls at 2 a minute. A lower value scales the three by the same "
        "share: give each of several runs sharing the limits its part",
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1, maximum=MAX_CONCURRENT_REQUESTS),
        default=DEFAULT_CONCURRENT_REQUESTS,
        title="Requests in flight",
        description="How many requests the tap keeps in flight at once, across all its streams "
        "and partitions (the reports of the next webcasts asked for ahead, within "
        "max_requests_per_second). 1: one request at a time",
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


# -- tap-vbrick-webcast's own settings ----------------------------------------------------------

# Rev's search `size` allows 50..500 (and the real-time `count` 1..500): one page size for both.
PAGE_SIZE_RANGE = (50, 500)
# The two logins Rev offers, each a pair of settings: exactly one pair is given.
CREDENTIAL_PAIRS = (("api_key", "secret"), ("username", "password"))


def _given(name: str) -> dict[str, Any]:
    """JSON Schema for "the setting is given": present, and not empty or null."""
    return {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}


def _credential_rules() -> list[dict[str, Any]]:
    """The credential pairs as schema rules. Each carries its message as ``description``, so an
    error never quotes the config (which holds the secret and the password)."""
    rules: list[dict[str, Any]] = []
    for pair in CREDENTIAL_PAIRS:
        for given, missing in (pair, pair[::-1]):
            rules.append(
                {
                    "description": f"{given} is set but {missing} is missing: give both, "
                    "or neither",
                    "not": {"allOf": [_given(given), {"not": _given(missing)}]},
                }
            )
    (key, secret), (user, password) = CREDENTIAL_PAIRS
    rules.append(
        {
            "description": f"give either {key} and {secret} or {user} and {password}, not both: "
            "the tap must know which login to use",
            "not": {"allOf": [_given(name) for pair in CREDENTIAL_PAIRS for name in pair]},
        }
    )
    rules.append(
        {
            # A half pair has its own message above; this one is for no credential at all.
            "description": f"credentials are missing: give {key} and {secret}, or {user} and "
            f"{password}",
            "anyOf": [_given(name) for pair in CREDENTIAL_PAIRS for name in pair],
        }
    )
    return rules


CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "api_url",
        # http or https, and a host (the scheme in any case, as urllib reads it)
        th.URIType(pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]"),
        required=True,
        title="Rev URL",
        description="Your Rev tenant's base URL, e.g. https://yourcompany.rev.vbrick.com",
    ),
    th.Property(
        "api_key",
        th.StringType,
        title="API key",
        description="Rev user API key (with `secret`); or use `username` and `password`",
    ),
    th.Property(
        "secret",
        th.StringType,
        secret=True,
        title="API secret",
        description="Secret of the Rev API key",
    ),
    th.Property(
        "username",
        th.StringType,
        title="Username",
        description="Rev username (with `password`); or use `api_key` and `secret`",
    ),
    th.Property(
        "password",
        th.StringType,
        secret=True,
        title="Password",
        description="Password of the Rev user",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        title="Start date",
        description="Sync webcasts that start on or after this date (UTC if no zone is given)",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Sync webcasts that start on or before this date (default: now)",
    ),
    th.Property(
        "webcast_ids",
        th.ArrayType(th.StringType(min_length=1)),
        title="Webcast ids",
        description="Only these webcasts (ids); the others the search finds are skipped",
    ),
    th.Property(
        "run_numbers",
        th.CustomType({"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1}),
        default=[0],
        title="Run numbers",
        description="Runs to report: 0 is the main event, others are pre-production runs",
    ),
    th.Property(
        "include_realtime",
        th.BooleanType,
        default=False,
        title="Include real-time attendees",
        description=(
            "Also sync webcast_realtime_attendees for webcasts in progress (Rev allows 2 of "
            "these calls a minute: each page waits its turn)"
        ),
    ),
    th.Property(
        "report_grace_hours",
        th.NumberType(minimum=0),
        default=24,
        title="Report grace (hours)",
        description="A webcast is final when Rev's status says it ended (Completed or Deleted), "
        "or this many hours after its scheduled end; until then the bookmark stays before it and "
        "its reports are read again at each sync (a webcast may run past its schedule)",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=PAGE_SIZE_RANGE[0], maximum=PAGE_SIZE_RANGE[1]),
        default=500,
        title="Page size",
        description="Webcasts per search page and real-time attendees per page, 50..500",
    ),
    *REQUEST_SETTINGS,
).to_dict()
CONFIG_SCHEMA["allOf"] = _credential_rules()


def pace_share(config: Mapping[str, Any]) -> float:
    """The share of Rev's limits this run may use: max_requests_per_second over the default (at
    most 1; unset: 1). POST and real-time calls are paced by the same share."""
    asked = config.get("max_requests_per_second")
    if not asked:
        return 1.0
    return min(1.0, float(asked) / DEFAULT_REQUESTS_PER_SECOND)


def problems(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot say about the settings, each problem naming its setting: dates
    Rev and the tap can read (jsonschema does not check the date-time format), in order."""
    errors: list[str] = []
    start = _date(config, "start_date", errors)
    end = _date(config, "end_date", errors)
    if start and end and end < start:
        errors.append("end_date must not be before start_date")
    return errors


def _date(config: Mapping[str, Any], name: str, errors: list[str]) -> Any:
    value = config.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_utc(str(value))
    except ValueError:
        errors.append(f"{name} must be an ISO 8601 date or date-time, not {value!r}")
        return None
