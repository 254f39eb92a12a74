"""Reading the Audience API's error bodies without ever echoing a request's credentials."""

from __future__ import annotations

import requests

MAX_MESSAGE_CHARS = 300


def api_error(response: requests.Response) -> tuple[str, str]:
    """(error_code, message) from the documented body, a JSON array of {error_code, message};
    the HTTP reason when the body is something else (a proxy's page, a cut-off answer)."""
    try:
        body = response.json()
        first = body[0] if isinstance(body, list) else body
        code = str(first.get("error_code") or "").strip()
        message = str(first.get("message") or "").strip()
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        code, message = "", ""
    return code or "UNKNOWN_ERROR", (message or response.reason or "no message")[:MAX_MESSAGE_CHARS]


def oauth_error_text(response: requests.Response) -> str:
    """The OAuth service's ``error: error_description`` (it never echoes the secret)."""
    try:
        body = response.json()
        text = f"{body.get('error', '')}: {body.get('error_description', '')}".strip(": ")
    except (ValueError, AttributeError):
        text = ""
    return (text or response.reason or "no message")[:MAX_MESSAGE_CHARS]
