"""tap-brightcove-audience: the Brightcove Audience API's view events and leads."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_brightcove_audience.auth import BrightcoveAuthenticator
from tap_brightcove_audience.settings import config_errors
from tap_brightcove_audience.streams import LeadsStream, ViewEventsStream

SECRET_SETTINGS = ("client_secret",)


class TapBrightcoveAudience(Tap):
    """Singer tap for the Brightcove Audience API."""

    name = "tap-brightcove-audience"
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
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
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, then ours; no error message carries a secret's value."""
        errors = super()._validate_config(raise_errors=False)
        errors += config_errors(self.config)
        errors = [self._without_secrets(e) for e in errors]
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    def _without_secrets(self, message: str) -> str:
        for name in SECRET_SETTINGS:
            value = self.config.get(name)
            if value and str(value) in message:
                message = message.replace(str(value), "***")
        return message

    def discover_streams(self) -> list[Stream]:
        # One token for the whole sync, whichever stream asks first.
        authenticator = BrightcoveAuthenticator.from_config(self.config)
        return [
            ViewEventsStream(self, authenticator=authenticator),
            LeadsStream(self, authenticator=authenticator),
        ]


if __name__ == "__main__":
    TapBrightcoveAudience.cli()
