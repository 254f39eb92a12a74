"""Authenticators: Conviva's API takes the client id and secret as HTTP Basic auth on every
request (no token or login call)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk.authenticators import BasicAuthenticator


def basic_auth(config: Mapping[str, Any]) -> BasicAuthenticator:
    """The API credentials (client_id, client_secret) as HTTP Basic auth."""
    return BasicAuthenticator(username=config["client_id"], password=config["client_secret"])
