"""The tap: settings, their cross-checks, and the streams."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_conviva_sessions import streams

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


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def settings_errors(config: dict[str, Any]) -> list[str]:
    """Contradictions JSON Schema cannot express, each naming the settings involved."""
    errors = []
    if config.get("filter_id") and (
        config.get("dimension_filters") or config.get("custom_tag_filters")
    ):
        errors.append(
            "filter_id cannot be combined with dimension_filters or custom_tag_filters: Conviva "
            "takes either one saved filter or dimension filters, not both"
        )
    dates = {}
    for name in ("start_date", "end_date"):
        if config.get(name):
            try:
                dates[name] = _instant(str(config[name]))
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


class TapConvivaSessions(Tap):
    """Conviva Insights Sessions V3: sampled sessions, viewer sessions and summaries."""

    name = "tap-conviva-sessions"
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
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
            description="limit: sessions per request (the guide says up to 500, the endpoint "
            "page up to 1500)",
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
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, then the settings' contradictions: all before any request."""
        errors = super()._validate_config(raise_errors=raise_errors)
        contradictions = settings_errors(dict(self.config))
        if contradictions and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=contradictions, schema=self.config_jsonschema
            )
        return errors + contradictions

    def discover_streams(self) -> list[Stream]:
        return [
            streams.ContentSessionsStream(self),
            streams.AdSessionsStream(self),
            streams.ViewerSessionsStream(self),
            streams.ViewerSummaryStream(self),
            streams.DimensionsStream(self),
        ]


if __name__ == "__main__":
    TapConvivaSessions.cli()
