"""Brightcove OAuth client credentials, with a token refreshed shortly before it expires.

The SDK's OAuthAuthenticator uses a token to its last second (a request sent at 299.9 s arrives
with an expired token) and cannot be told to drop a token the API refused. This one refreshes a
margin ahead of expiry and lets the stream invalidate a token after a 401.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError

from tap_brightcove_audience.errors import TokenAnswerError

DEFAULT_TOKEN_SECONDS = 300  # Brightcove's documented token lifetime
REFRESH_MARGIN_SECONDS = 30.0  # fetch a new token this long before the old one expires
REFRESH_MARGIN_SHARE = 0.1  # ...or this share of the lifetime, for short-lived tokens
DEFAULT_TIMEOUT_SECONDS = 60  # request_timeout's default
MAX_MESSAGE_CHARS = 300


class BrightcoveAuthenticator(OAuthAuthenticator):
    """``POST oauth_url`` with Basic client_id:client_secret and grant_type=client_credentials.

    The token call is made while a stream's request is sent, inside that request's retries
    (client.py): throttling and server errors are a RetriableAPIError, a network failure is left
    to the retries, refused credentials are a FatalAPIError. No retry loop of its own."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        auth_endpoint: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            auth_endpoint=auth_endpoint,
            default_expiration=DEFAULT_TOKEN_SECONDS,
        )
        # The token calls' own session (the SDK's OAuthAuthenticator keeps a private one).
        self.session = requests.Session()
        self.timeout = timeout  # request_timeout, as for every request
        self.tokens_fetched = 0
        # Requests in flight at once share the token: one fetches it, the others wait for it.
        self.lock = threading.RLock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BrightcoveAuthenticator:
        # .get: discovery builds the streams without validating the settings first.
        return cls(
            client_id=config.get("client_id") or "",
            client_secret=config.get("client_secret") or "",
            auth_endpoint=config.get("oauth_url") or "",
            timeout=config.get("request_timeout") or DEFAULT_TIMEOUT_SECONDS,
        )

    @property
    def oauth_request_body(self) -> dict:
        return {"grant_type": "client_credentials"}

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        lifetime = float(self.expires_in or DEFAULT_TOKEN_SECONDS)
        margin = min(REFRESH_MARGIN_SECONDS, lifetime * REFRESH_MARGIN_SHARE)
        age = (datetime.now(UTC) - self.last_refreshed).total_seconds()
        return age < lifetime - margin

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """The run's token on the request, fetched first when there is none or it is about to
        expire (by one request, the others in flight waiting for it)."""
        with self.lock:
            if not self.is_token_valid():
                self.update_access_token()
            token = self.access_token
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def invalidate(self) -> None:
        """Forget the token: the next request fetches a new one."""
        with self.lock:
            self.access_token = None
            self.last_refreshed = None

    def drop(self, token: str | None) -> bool:
        """Forget ``token`` after a 401, if it is still the run's token (True). False: another
        request refused with it has already dropped it, and one renewal serves them all."""
        with self.lock:
            if token is None or token != self.access_token:
                return False
            self.invalidate()
            return True

    def update_access_token(self) -> None:
        """Fetch a token. Refused credentials end the sync with a message that names the
        settings; throttling, server errors and network failures are retried by the request
        being sent (the stream's retry contract)."""
        self.logger.info("Requesting a new Brightcove access token")
        requested_at = datetime.now(UTC)
        response = self.session.post(
            self.auth_endpoint,
            auth=(self.client_id or "", self.client_secret or ""),
            data=self.oauth_request_body,
            timeout=self.timeout,
        )
        status = response.status_code
        if status == 429 or status >= 500:
            msg = f"Brightcove OAuth answered HTTP {status}: {oauth_error_text(response)}"
            raise TokenAnswerError(msg, response)
        if status >= 400:
            msg = (
                f"Brightcove OAuth refused the client credentials (HTTP {status}: "
                f"{oauth_error_text(response)}): check the client_id and client_secret settings"
            )
            raise FatalAPIError(msg)
        try:
            payload = response.json()
            token = payload["access_token"]
            lifetime = int(payload.get("expires_in") or DEFAULT_TOKEN_SECONDS)
        except (ValueError, KeyError, TypeError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            # A body cut off, or not the documented {access_token, expires_in}: retried.
            msg = "Brightcove OAuth answered without an access_token (cut off?)"
            raise TokenAnswerError(msg, response)
        self.access_token = token
        self.expires_in = lifetime
        self.last_refreshed = requested_at
        self.tokens_fetched += 1


def oauth_error_text(response: requests.Response) -> str:
    """The OAuth service's ``error: error_description`` (it never echoes the secret)."""
    try:
        body = response.json()
        text = f"{body.get('error', '')}: {body.get('error_description', '')}".strip(": ")
    except (ValueError, AttributeError):
        text = ""
    return (text or response.reason or "no message")[:MAX_MESSAGE_CHARS]


def token_of(request: requests.PreparedRequest | None) -> str | None:
    """The bearer token a request was sent with."""
    header = str((request.headers.get("Authorization") if request is not None else None) or "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
