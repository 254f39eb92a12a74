"""TapWebcastReporting: the webcasts.com Reporting API as Singer streams."""

from __future__ import annotations

import typing as t
import weakref
from datetime import date
from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from tap_webcast_reporting import redaction
from tap_webcast_reporting import values as v
from tap_webcast_reporting.auth import WebcastsSession
from tap_webcast_reporting.quota import ReportQuota
from tap_webcast_reporting.spool import ReportSpool
from tap_webcast_reporting.streams import STREAM_TYPES

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

FORMATS = ("xml", "json", "csv")


def _filter_setting(name: str, param: str, what: str) -> th.Property:
    return th.Property(
        name,
        th.BooleanType,
        title=what,
        description=f"Report filter `{param}` (on/off). Unset: the API's default.",
    )


class TapWebcastReporting(Tap):
    """Singer tap for the webcasts.com Reporting API."""

    name = "tap-webcast-reporting"
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
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
            th.StringType,
            default="https://api.webcasts.com/api",
            title="API URL",
            description="Base URL of the login and event list calls",
        ),
        th.Property(
            "reporting_url",
            th.StringType,
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
            default="GMT",
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
            th.IntegerType,
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

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        redaction.install([str(self.config.get("password") or "")])
        self.events_left: list[str] = []
        self._timezones: set[str] | None = None

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, then the ones it cannot express: before any request."""
        errors = super()._validate_config(raise_errors=raise_errors)
        config = self.config
        problems: list[str] = []
        if config.get("include_domains") and config.get("exclude_domains"):
            problems.append(
                "include_domains and exclude_domains cannot be used together (the API refuses "
                "inclu_domain with excl_domain): keep one"
            )
        if config.get("report_format", "xml") not in FORMATS:
            problems.append(f"report_format must be one of {', '.join(FORMATS)}")
        dates = {}
        for name in ("start_date", "end_date"):
            if config.get(name):
                try:
                    dates[name] = date.fromisoformat(str(config[name])[:10])
                except ValueError:
                    problems.append(f"{name} {config[name]!r} is not a date (YYYY-MM-DD)")
        if len(dates) == 2 and dates["start_date"] > dates["end_date"]:
            problems.append("start_date is after end_date")
        try:
            v.zone(str(config.get("timezone", "GMT")))
        except ValueError as exc:
            problems.append(f"timezone: {exc}")
        for name in ("max_reports_per_hour", "retry_max_tries"):
            if config.get(name) is not None and int(config[name]) < 1:
                problems.append(f"{name} must be at least 1")
        for name in ("api_url", "reporting_url"):
            if not str(config.get(name, "https://")).startswith(("http://", "https://")):
                problems.append(f"{name} must be an http(s) URL")
        if problems and raise_errors:
            raise ConfigValidationError("Invalid tap-webcast-reporting settings", errors=problems)
        return errors + problems

    @cached_property
    def webcasts_session(self) -> WebcastsSession:
        return WebcastsSession(
            api_url=str(self.config.get("api_url", "https://api.webcasts.com/api")),
            username=str(self.config["username"]),
            password=str(self.config["password"]),
            logger=self.logger,
        )

    @cached_property
    def report_quota(self) -> ReportQuota:
        return ReportQuota(
            per_hour=int(self.config.get("max_reports_per_hour", 1000)),
            wait_budget=float(self.config.get("quota_wait_seconds", 0)),
        )

    @cached_property
    def spool(self) -> ReportSpool:
        spool = ReportSpool()
        weakref.finalize(self, spool.remove)  # the temporary files go with the tap
        return spool

    def check_timezone(self) -> None:
        """The configured time zone must be one the API offers (asked once, before reports)."""
        if self._timezones is not None:
            return
        stream = self.streams["timezones"]
        self._timezones = {r["timezone_id"] for r in stream.request_records(None)}  # type: ignore[attr-defined]
        wanted = str(self.config.get("timezone", "GMT"))
        if wanted not in self._timezones:
            raise FatalAPIError(
                f"timezone {wanted!r} is not one of the {len(self._timezones)} time zones the "
                "API offers (see the timezones stream): no report was asked for"
            )

    def discover_streams(self) -> list[Stream]:
        return [stream_class(tap=self) for stream_class in STREAM_TYPES]


if __name__ == "__main__":
    TapWebcastReporting.cli()
