"""Login: ``GET {api_url}/login?username=&password=&ver=2.0`` answers a session id and a user
id, valid for two hours. Every later call carries them as ``si`` and ``ui``.

The session is renewed before it is two hours old (with a margin), and once more whenever a
call answers returnCode 11. The login has no retry of its own: it runs inside the request that
needs it (the streams apply the authenticator to each try), so the retry contract of client.py
covers it: a network failure propagates as it is, an HTTP 429/5xx, a returnCode 50/60 or an
answer that is not XML is retried (LoginUnavailableError, ServiceUnavailableError: failures of
the whole API, for which no event is owed), a refused login a LoginError (never retried).
The password travels in the query string: no message here holds the URL."""

from __future__ import annotations

import logging
import threading
import time

import requests
from lxml import etree
from singer_sdk.authenticators import APIAuthenticatorBase

from tap_webcast_reporting import api_names as names
from tap_webcast_reporting.errors import (
    LoginError,
    LoginUnavailableError,
    ServiceUnavailableError,
)
from tap_webcast_reporting.parsing import safe_xml_parser
from tap_webcast_reporting.return_codes import RETRIABLE, SUCCESS, describe

SESSION_LIFETIME = 2 * 3600.0
RENEW_MARGIN = 300.0  # log in again this long before the two hours are up


class WebcastsSession(APIAuthenticatorBase):
    """Holds the login's ``ui``/``si`` and adds them to every request."""

    def __init__(
        self,
        *,
        api_url: str,
        username: str,
        password: str,
        timeout: float,
        lifetime: float = SESSION_LIFETIME,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__()
        self.login_url = api_url.rstrip("/") + names.LOGIN_PATH
        self.username = username
        self.password = password
        self.timeout = timeout
        self.renew_after = max(lifetime - RENEW_MARGIN, lifetime / 2)
        self.logged_in_at: float | None = None
        self.lock = threading.Lock()
        self.logins = 0
        if logger is not None:
            self.logger = logger

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.password, self.auth_params.get(names.SESSION_ID, ""))

    def invalidate(self) -> None:
        """Forget the session: the next request logs in again (after a returnCode 11)."""
        with self.lock:
            self.logged_in_at = None

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self.lock:
            if (
                self.logged_in_at is None
                or time.monotonic() - self.logged_in_at >= self.renew_after
            ):
                self.login()
        return super().authenticate_request(request)

    def login(self) -> None:
        params = {
            names.USERNAME: self.username,
            names.PASSWORD: self.password,
            names.VERSION: names.API_VERSION,
        }
        response = requests.get(self.login_url, params=params, timeout=self.timeout)
        status = f"HTTP {response.status_code} {response.reason}"
        if response.status_code == 429 or response.status_code >= 500:
            raise LoginUnavailableError(f"login: {status}", response)
        if response.status_code >= 400:
            raise LoginError(f"login: {status}")
        try:
            root = etree.fromstring(response.content, safe_xml_parser())
        except etree.XMLSyntaxError:
            raise LoginUnavailableError(
                f"login: the answer is not XML ({status})", response
            ) from None
        code_text = (root.findtext("result/returnCode") or "").strip()
        code = int(code_text) if code_text.isdigit() else 0
        if code in RETRIABLE:
            raise ServiceUnavailableError(f"login: {describe(code)}")
        if code != SUCCESS:
            hint = " (check username and password)" if code in (0, 11) else ""
            raise LoginError(f"login as {self.username!r} refused: {describe(code)}{hint}", code)
        user_id = (root.findtext("result/success/userid/value") or "").strip()
        session_id = (root.findtext("result/success/sessionid/value") or "").strip()
        if not user_id or not session_id:
            raise LoginError("login: the answer holds no user id or session id", code)
        self.auth_params = {names.USER_ID: user_id, names.SESSION_ID: session_id}
        self.logged_in_at = time.monotonic()
        self.logins += 1
        self.logger.info("Logged in to webcasts.com as %r (login %d)", self.username, self.logins)
