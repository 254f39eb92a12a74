"""The Audience API's two resources: view events and leads."""

from __future__ import annotations

from importlib import resources

from tap_brightcove_audience.client import BrightcoveStream

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
    lookback_setting = "view_events_lookback_hours"
    key_name = "view_event_key"
    key_fields = ("created_at", "video_id", "player_id", "page_url")


class LeadsStream(BrightcoveStream):
    """``GET /accounts/{account_id}/leads``: a viewer who filled in a lead form; leads do not
    change once created, so ``created_at`` is the replication key.

    Only processed data is served, and nothing says leads are processed in the order they were
    created: a lead served after a sync, with a ``created_at`` under that sync's bookmark, would
    be lost for good. So each sync starts ``leads_lookback_hours`` before the bookmark too.
    """

    name = "leads"
    path = "/accounts/{account_id}/leads"
    primary_keys = ("lead_key",)
    replication_key = "created_at"
    schema_filepath = SCHEMAS / "leads.json"
    where_setting = "leads_where"
    lookback_setting = "leads_lookback_hours"
    key_name = "lead_key"
    key_fields = ("created_at", "email_address", "video_id", "player_id")


STREAM_TYPES = (ViewEventsStream, LeadsStream)
