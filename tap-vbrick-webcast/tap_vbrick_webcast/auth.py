"""Rev sessions: log in once, extend the session before it expires, renew once after a 401.

Rev issues a session token from ``POST /api/v2/authenticate`` (API key and secret) or
``POST /api/v2/user/login`` (username and password) with its ``expiration``; requests carry
``Authorization: VBrick <token>``. ``POST /api/v2/user/extend-session`` moves the expiration.
A refused login is never retried: repeated failed logins can lock the Rev user out.

The login runs when a stream's request is sent, inside that request's retry contract (client.py):
a login answered 429 or 5xx, or whose answer is cut or carries no token, raises
SessionUnavailableError (a RetriableAPIError), a network failure propagates (the contract makes it
a NoAnswerError), both retried within retry_budget_seconds; a refused login raises
LoginRefusedError, which ends the sync. The authenticator has no retry loop of its own.

``GET /api/v2/user/session`` tells whether a session is still valid: after a 401 to a report,
a valid session means the user may not read that webcast (client.py owes it), not a session to
renew. An ``expiration`` already past when it arrives (the two clocks disagree) is taken as a
10-minute session, as Vbrick's official client does, with one warning.

Requests in flight at once share the session (``lock``): one logs in or extends it, the others
wait for its token. When several are refused (401) with the same token, Rev's session check is
asked once for all of them (``after_unauthorized``) and the session renewed once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from tap_vbrick_webcast.errors import LoginRefusedError, SessionUnavailableError
from tap_vbrick_webcast.values import format_utc, parse_utc

# Extend the session this long before it expires (or at half its lifetime if that is shorter).
EXTEND_MARGIN_SECONDS = 60.0
# The session assumed when Rev's expiration is unusable or already past (Vbrick's official client
# assumes the same 10 minutes).
ASSUMED_SESSION = timedelta(minutes=10)
SESSION_PATH = "/api/v2/user/session"

#: What a 401 means (RevSessionAuthenticator.after_unauthorized): the session is renewed (by this
#: request or another in flight: ask again at once), the session is valid (this user may not read
#: what was asked), or a session renewed for this request was refused too.
RENEWED = "renewed"
NOT_ALLOWED = "not allowed"
REFUSED_AGAIN = "refused again"


@dataclass(frozen=True)
class Credentials:
    """One of Rev's two logins. ``kind`` names the settings, for error messages."""

    endpoint: str
    body: dict[str, str] = field(repr=False)  # holds the secret: never in a repr
    kind: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Credentials:
        """The login the settings give (settings.check has made sure there is exactly one; for
        discovery, which needs none, a missing one is left empty)."""
        if config.get("api_key"):
            return cls(
                "/api/v2/authenticate",
                {"apiKey": config["api_key"], "secret": config.get("secret") or ""},
                "api_key and secret",
            )
        return cls(
            "/api/v2/user/login",
            {"username": config.get("username") or "", "password": config.get("password") or ""},
            "username and password",
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RevSessionAuthenticator(APIAuthenticatorBase):
    """One Rev session shared by every stream of the tap."""

    def __init__(
        self,
        *,
        api_url: str,
        credentials: Credentials,
        logger: logging.Logger,
        timeout: float,
    ) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.credentials = credentials
        self.logger = logger
        self.timeout = timeout  # request_timeout, as for every call
        self.http = requests.Session()
        self.lock = threading.RLock()
        self.token: str | None = None
        self.expires_at: datetime | None = None
        self.lifetime_seconds = 0.0
        self.refused: LoginRefusedError | None = None
        # A 401 renews the session once; a second 401 before the new token worked is fatal.
        self.renewed_after_401 = False
        self.token_proven = False
        self.warned_past_expiration = False
        #: When Rev's session check last confirmed a token valid (monotonic, when it was asked):
        #: a 401 answered before then was not about the session.
        self.valid_at: dict[str, float] = {}
        #: Rev's session checks asked (GET /api/v2/user/session).
        self.checks = 0

    # The SDK calls this for every request (and every retry of it).
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"VBrick {self.current_token()}"
        return request

    def current_token(self) -> str:
        with self.lock:
            if self.token is None or self.expires_at is None:
                return self.login()
            remaining = (self.expires_at - _utcnow()).total_seconds()
            margin = min(EXTEND_MARGIN_SECONDS, self.lifetime_seconds / 2)
            if remaining > margin:
                return self.token
            if remaining > 0 and self.extend():
                return self.token
            return self.login()

    # After each answer -------------------------------------------------------------------------
    @staticmethod
    def token_of(request: requests.PreparedRequest | None) -> str | None:
        header = (request.headers.get("Authorization") if request is not None else None) or ""
        return header.partition(" ")[2] or None

    def note_success(self, token: str | None) -> None:
        with self.lock:
            if token is not None and token == self.token:
                self.token_proven = True
                self.renewed_after_401 = False

    def after_unauthorized(
        self, token: str | None, answered_at: float, *, renewed_before: bool = False
    ) -> str:
        """What a 401 answered at ``answered_at`` (monotonic) to a request sent with ``token``
        means: RENEWED (the session is renewed, by this call or by another request refused with
        the same token: ask again at once), NOT_ALLOWED (Rev confirms the session valid: this
        user may not read what was asked) or REFUSED_AGAIN (the session is not valid, and it was
        already renewed for this request, or renewed after a 401 and never worked since).

        Requests in flight at once may all be refused with the same expired token: they come
        here one at a time (the lock), so the first asks Rev's session check and renews the
        session, and the others find the token replaced; a check that confirmed the token valid
        after a 401 was answered serves that 401 too. One check per token, not per request.
        A 429 or 5xx of the check raises SessionUnavailableError (retried with the request)."""
        with self.lock:
            if token is None or token != self.token:
                return RENEWED  # another request has already renewed the session
            if self.valid_at.get(token, float("-inf")) < answered_at:
                asked_at = time.monotonic()
                if self.session_valid(token):
                    self.valid_at[token] = asked_at
            if self.valid_at.get(token, float("-inf")) >= answered_at:
                self.note_success(token)
                return NOT_ALLOWED
            if renewed_before or (self.renewed_after_401 and not self.token_proven):
                return REFUSED_AGAIN
            self.logger.warning("Rev answered 401 Unauthorized: renewing the session once")
            self.token = None
            self.renewed_after_401 = True
            return RENEWED

    # Rev calls ---------------------------------------------------------------------------------
    def login(self) -> str:
        if self.refused is not None:
            raise self.refused
        creds = self.credentials
        self.logger.info("Logging in to Rev with the configured %s", creds.kind)
        response = self.http.post(
            self.api_url + creds.endpoint, json=creds.body, timeout=self.timeout
        )
        status = response.status_code
        if status == 429 or status >= 500:
            raise SessionUnavailableError(
                f"Rev login answered {status} {response.reason}", response
            )
        if status >= 400:
            self.refused = LoginRefusedError(
                f"Rev refused the login with the configured {creds.kind} (HTTP {status} "
                f"{response.reason}{_detail(response)}). The login is not retried, since "
                f"repeated failed logins can lock the Rev user out: check {creds.kind} and "
                "that the user is active."
            )
            raise self.refused
        try:
            payload = msgspec.json.decode(response.content)
        except msgspec.DecodeError as exc:
            # A cut answer is no refusal: asked again, like any call (never a lockout risk,
            # since Rev accepted the credentials).
            raise SessionUnavailableError(
                f"Rev's login answer is cut or not JSON ({exc})", response
            ) from exc
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise SessionUnavailableError("Rev's login answer carried no token", response)
        expiration = payload.get("expiration")
        self.token = token
        self.token_proven = False
        self.set_expiration(expiration)
        return token

    def extend(self) -> bool:
        """Extend the current session; False (and a warning) if Rev would not."""
        try:
            response = self.http.post(
                self.api_url + "/api/v2/user/extend-session",
                headers={"Authorization": f"VBrick {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            self.logger.warning("Extending the Rev session failed (%s): logging in again", exc)
            return False
        if response.status_code != 200:
            self.logger.warning(
                "Rev would not extend the session (HTTP %s): logging in again",
                response.status_code,
            )
            return False
        self.set_expiration(_decode(response).get("expiration"))
        self.logger.info("Extended the Rev session until %s", self.expires_at)
        return True

    def set_expiration(self, expiration: object) -> None:
        now = _utcnow()
        try:
            self.expires_at = parse_utc(str(expiration))
        except ValueError:
            # No usable expiration: assume a short session rather than an endless one.
            self.expires_at = now + ASSUMED_SESSION
        if self.expires_at <= now:
            # Already past as it arrives: the two clocks disagree. Taken at its word, every
            # request would log in again; assume a short session instead (said once).
            if not self.warned_past_expiration:
                self.warned_past_expiration = True
                self.logger.warning(
                    "Rev's session expiration %s is already past by this machine's clock (%s): "
                    "one of the clocks is off. Assuming %d-minute sessions, extended before "
                    "they end",
                    format_utc(self.expires_at),
                    format_utc(now),
                    ASSUMED_SESSION.total_seconds() // 60,
                )
            self.expires_at = now + ASSUMED_SESSION
        self.lifetime_seconds = max(0.0, (self.expires_at - now).total_seconds())

    def is_current(self, token: str | None) -> bool:
        """Whether ``token`` is the session in use (another request may have renewed it)."""
        with self.lock:
            return token is not None and token == self.token

    def session_valid(self, token: str | None) -> bool:
        """Whether Rev says ``token`` is a valid session (``GET /api/v2/user/session``): True for
        200, False for 401 or any other refusal (nothing confirmed). A 429 or 5xx raises
        SessionUnavailableError (retried with the request that needs the answer); a network
        failure propagates (the retry contract makes it a NoAnswerError)."""
        self.checks += 1
        response = self.http.get(
            self.api_url + SESSION_PATH,
            headers={"Authorization": f"VBrick {token}"},
            timeout=self.timeout,
        )
        status = response.status_code
        if status == 429 or status >= 500:
            raise SessionUnavailableError(
                f"Rev answered {status} {response.reason} to GET {SESSION_PATH}", response
            )
        return status == 200


def _decode(response: requests.Response) -> dict:
    try:
        payload = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _detail(response: requests.Response) -> str:
    detail = _decode(response).get("detail")
    return f": {str(detail)[:200]}" if detail else ""
