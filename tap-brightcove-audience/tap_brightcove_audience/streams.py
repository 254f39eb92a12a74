"""The Audience API's two resources: view events and leads."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources

from singer_sdk.helpers.types import Context

from tap_brightcove_audience.client import BrightcoveStream
from tap_brightcove_audience.values import parse_setting_datetime

SCHEMAS = resources.files("tap_brightcove_audience") / "schemas"


class ViewEventsStream(BrightcoveStream):
    """``GET /accounts/{account_id}/view_events``: one record per viewing of a video.

    View events keep being processed after they appear (``updated_at`` moves on), so each sync
    starts ``view_events_lookback_hours`` before the bookmark and upserts what changed.
    """

    name = "view_events"
    path = "/accounts/{account_id}/view_events"
    primary_keys = ("view_event_key",)
    replication_key = "updated_at"
    schema_filepath = SCHEMAS / "view_events.json"
    where_setting = "view_events_where"
    key_name = "view_event_key"
    key_fields = ("created_at", "video_id", "player_id", "page_url")

    def window_start(self, context: Context | None) -> datetime:
        start = super().window_start(context)
        if not self.get_context_state(context).get("replication_key_value"):
            return start  # first sync: start_date as given
        lookback = timedelta(hours=self.config["view_events_lookback_hours"])
        earliest = self.get_starting_timestamp_from_config()
        return max(start - lookback, earliest)

    def get_starting_timestamp_from_config(self) -> datetime:
        return parse_setting_datetime(self.config["start_date"])


class LeadsStream(BrightcoveStream):
    """``GET /accounts/{account_id}/leads``: a viewer who filled in a lead form; leads do not
    change once created, so ``created_at`` is the replication key."""

    name = "leads"
    path = "/accounts/{account_id}/leads"
    primary_keys = ("lead_key",)
    replication_key = "created_at"
    schema_filepath = SCHEMAS / "leads.json"
    where_setting = "leads_where"
    key_name = "lead_key"
    key_fields = ("created_at", "email_address", "video_id", "player_id")


STREAM_TYPES = (ViewEventsStream, LeadsStream)
