"""A response's JSON, decoded once (in ``validate_response``, where a broken body can still be
retried) and kept on the response for the paginator and ``parse_response``."""

from __future__ import annotations

from typing import Any

import msgspec
import requests

_ATTR = "_rev_payload"


def decode_payload(response: requests.Response) -> Any:
    """The decoded body (None for an empty one); msgspec.DecodeError if it is not JSON."""
    payload = msgspec.json.decode(response.content) if response.content.strip() else None
    setattr(response, _ATTR, payload)
    return payload


def payload_of(response: requests.Response) -> Any:
    if hasattr(response, _ATTR):
        return getattr(response, _ATTR)
    return decode_payload(response)
