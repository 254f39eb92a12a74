"""The Reporting API's return codes (the page's table), and how the emulator writes a failure
in each format: ``returnCode`` in XML and JSON, a first header ``error`` in CSV."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape

SUCCESS = 1
MESSAGES: dict[int, str] = {
    0: "General error",
    1: "Success",
    10: "You are not authorized to run a report on this event. Please check you have the correct "
    "Event ID.",
    11: "The User ID or Session ID is invalid.",
    50: "The reporting service is not available at this time. Please conact Support for "
    "assistance.",
    51: "There was invalid data in the report. Please conact Support for assistance.",
    60: "The reporting service is not available at this time. Please conact Support for "
    "assistance.",
    61: "You have reached the maximum number of reports that can be run for an event. Please try "
    "again later.",
    62: "You have reached the maximum number of reports that can be run within one hour. Please "
    "try again later.",
    70: "Pleaes remove any insecure tages from the input paramters and try again.",
    71: 'Please use a valid version number ("2.0").',
    72: "There were missing or invalid input parameters in request.",
    73: "Ambigous platform",
    74: "Could not identify the Reporting Resource requested",
}

CONTENT_TYPES = {
    "xml": "application/xml;charset=utf-8",
    "json": "application/json;charset=utf-8",
    "csv": "text/plain;charset=utf-8",
}


def failure(code: int, fmt: str = "xml") -> tuple[str, str]:
    """Body and content type of a failed call (always served with HTTP 200, like the API)."""
    message = MESSAGES.get(code, MESSAGES[0])
    if fmt == "json":
        body = json.dumps({"api_version": "2.0", "returnCode": code, "error": message})
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["error", "description"])
        writer.writerow([code, message])
        body = out.getvalue()
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<convey_api version="2.0">\n<result>\n'
            f"<returnCode>{code}</returnCode>\n<error>{escape(message)}</error>\n"
            "</result>\n</convey_api>\n"
        )
    return body, CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"])
