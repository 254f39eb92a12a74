"""The HTTP surface: the OAuth token endpoint and the Audience API's two list resources."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any

from flask import Flask, Response, request

from emulators.brightcove.query import (
    LEAD_FIELDS,
    LEAD_SORT_FIELDS,
    VIEW_EVENT_FIELDS,
    BadRequestError,
    Query,
    parse_query,
)
from emulators.brightcove.state import State
from emulators.brightcove.variants import NUMBER_FIELDS, Variants, written

#: The answers as the docs describe them, for accounts the switches do not apply to.
DOCUMENTED = Variants()

ERROR_CODES = {
    400: ("BAD_REQUEST_ERROR", "Query parameters are invalid"),
    401: ("UNAUTHORIZED_ERROR", "Permission denied"),
    404: ("RESOURCE_NOT_FOUND", "The URL does not exist"),
    429: ("REQUEST_THROTTLED_ERROR", "The user has exceeded the rate limiting policy"),
    500: ("INTERNAL_ERROR", "An internal error has occurred"),
    504: ("GATEWAY_TIMEOUT_ERROR", "The server timed out while fulfilling your request"),
}


def error_body(status: int, message: str | None = None) -> tuple[str, str]:
    """The Audience API's error body: a JSON array of {error_code, message}."""
    code, default = ERROR_CODES.get(status, ("INTERNAL_ERROR", "An internal error has occurred"))
    return json.dumps([{"error_code": code, "message": message or default}]), "application/json"


def _error(
    status: int, message: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body, content_type = error_body(status, message)
    return Response(body, status=status, content_type=content_type, headers=headers)


def _throttled() -> Response:
    """429 REQUEST_THROTTLED_ERROR, to be asked again in a second (the window's length)."""
    return _error(429, headers={"Retry-After": "1"})


def _oauth_error(status: int, error: str, description: str) -> Response:
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status=status, content_type="application/json")


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def register(app: Flask, state: State) -> None:
    @app.post("/v4/access_token")
    def access_token() -> Response:
        credentials = _basic_credentials()
        if credentials is None or state.clients.get(credentials[0]) != credentials[1]:
            return _oauth_error(
                401,
                "invalid_client",
                'The "client_id" parameter is missing, does not name a client registration '
                "that is applicable for the requested call, or is not properly authenticated.",
            )
        if request.form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        # Shorter tokens on request, as the OAuth service allows (`expires_in` in the form).
        asked = request.form.get("expires_in", "")
        token, lifetime = state.issue_token(int(asked) if asked.isdigit() else None)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        return Response(json.dumps(body), content_type="application/json")

    @app.get("/v1/accounts/<account>/view_events")
    def view_events(account: str) -> Response:
        return _list(state, account, "view_events")

    @app.get("/v1/accounts/<account>/leads")
    def leads(account: str) -> Response:
        return _list(state, account, "leads")

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> Response:
        return _error(404)

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> Response:
        return _error(404, f"{request.method} {request.path} does not exist")


def _list(state: State, account: str, kind: str) -> Response:
    # The per-IP limit comes first: it counts every call from the client, whatever its token.
    if state.ip_throttled(request.remote_addr or "?"):
        return _throttled()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or not state.token_valid(token):
        return _error(401)
    if account not in state.accounts or account in state.refused:
        return _error(401, f"Permission denied for account {account}")
    if state.throttled(account):
        return _throttled()
    known = VIEW_EVENT_FIELDS if kind == "view_events" else LEAD_FIELDS
    sortable = VIEW_EVENT_FIELDS if kind == "view_events" else LEAD_SORT_FIELDS
    answers = state.variants if state.variants.applies(account) else DOCUMENTED
    cap = answers.limit_cap
    with state.lock:
        now = state.now()
        try:
            query = parse_query(
                request.args,
                known=known,
                sortable=sortable,
                now_ms=now,
                max_limit=max(state.max_limit, cap or 0),
                bare_values=answers.where != "strict",
            )
        except BadRequestError as exc:
            return _error(400, str(exc))
        query = _as_the_variants_answer(query, kind, answers, now)
        collection = (state.view_events if kind == "view_events" else state.leads)[account]
        count, records = collection.page(query, now)
        if kind == "view_events" and state.updates_per_request:
            state.process(account, state.updates_per_request)
    if answers.timestamps != "utc":
        for record in records:
            for name in ("created_at", "updated_at"):
                if name in record:
                    record[name] = written(record[name], answers.timestamps)
    if answers.numbers == "text":
        for record in records:
            for name in NUMBER_FIELDS:
                if record.get(name) is not None:
                    record[name] = str(record[name])
    body: dict[str, object] = {
        "count": len(records) if answers.count == "page" else count,
        "limit": query.limit,
        "offset": query.offset,
        "result": records,
    }
    if answers.count == "missing":
        del body["count"]
    return Response(json.dumps(body), content_type="application/json", headers={"X-Cache": "MISS"})


def _as_the_variants_answer(query: Query, kind: str, answers: Variants, now: int) -> Query:
    """The query as the API would run it under the switched variants (variants.py)."""
    changes: dict[str, Any] = {}
    if answers.sort != "asked":
        changes |= {"sort": answers.sort.lstrip("-"), "descending": answers.sort.startswith("-")}
    if not answers.fields:
        changes["fields"] = None
    if answers.where == "ignored":
        changes["where"] = ()
    if not answers.offset:
        changes["offset"] = 0
    if answers.limit_cap is not None and query.limit > answers.limit_cap:
        changes["limit"] = answers.limit_cap
    if kind == "leads" and not answers.lead_range:
        changes |= {"from_ms": None, "to_ms": now}
    elif answers.bounds == "exclusive":
        if query.from_ms is not None:
            changes["from_ms"] = query.from_ms + 1
        if query.to_ms is not None:
            changes["to_ms"] = query.to_ms - 1
    return dataclasses.replace(query, **changes) if changes else query
