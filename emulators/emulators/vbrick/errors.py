"""Rev's error answers: ``serverErrorResponse`` of the OpenAPI, ``{"code", "detail"}``."""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response

# Rev's error names for the statuses the emulator (and the fault switches) answer.
CODES: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    408: "ScrollExpired",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int) -> tuple[str, str]:
    """The body and content type Rev answers ``status`` with (used by the fault switches)."""
    payload = {"code": CODES.get(status, "Error"), "detail": _phrase(status)}
    return json.dumps(payload), "application/json"


def error_response(
    status: int, detail: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = {"code": CODES.get(status, "Error"), "detail": detail or _phrase(status)}
    return Response(
        json.dumps(body), status=status, mimetype="application/json", headers=headers or {}
    )
