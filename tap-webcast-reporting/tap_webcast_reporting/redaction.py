"""Keep the password (and the session id) out of every log line and error.

The login sends the password in the query string, so any URL may carry it: requests' exception
messages, urllib3's DEBUG request log and the SDK's error messages all print URLs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from tap_webcast_reporting.api_names import SECRET_PARAMETERS

_SECRET_QUERY = re.compile(
    r"(?P<name>\b(?:" + "|".join(sorted(SECRET_PARAMETERS)) + r"))=(?P<value>[^&\s\"'<>]*)",
    re.IGNORECASE,
)
MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret query value, and every known secret, masked."""
    text = _SECRET_QUERY.sub(lambda m: f"{m['name']}={MASK}", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message and arguments (for urllib3's request log)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# Loggers that print request URLs of their own.
URL_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "backoff")


def install(secrets: Iterable[str]) -> None:
    """Add a redacting filter to the loggers that print URLs (once per secret set)."""
    wanted = RedactingFilter(secrets)
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        for existing in list(logger.filters):
            if isinstance(existing, RedactingFilter):
                logger.removeFilter(existing)
        logger.addFilter(wanted)
