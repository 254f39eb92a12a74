"""The Rev REST routes the webcast tap uses, as Vbrick's OpenAPI describes them."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, jsonify, request

from emulators.datagen import epoch_seconds, iso_ms
from emulators.vbrick.data import Catalog, Webcast
from emulators.vbrick.errors import error_response
from emulators.vbrick.state import VbrickState

REPORT_PAGE_SIZE = 500  # post-event-report sessions per page (fixed by Rev)
SEARCH_SIZE = (50, 500, 100)  # min, max, default
REALTIME_COUNT = (1, 500, 50)
REALTIME_PATH_PART = "/real-time/attendees"
UNAUTHENTICATED = ("/api/v2/authenticate", "/api/v2/user/login")


#: The most characters of report pages' JSON kept for answering again (some 300 pages of 500
#: sessions: the bench's 100 webcasts of two pages, or a test's few).
REPORT_PAGES_CACHE_CHARS = 100_000_000


class TextCache:
    """Texts by key, the least recently used dropped past ``limit`` characters in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.texts: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self.lock:
            text = self.texts.get(key)
            if text is not None:
                self.texts.move_to_end(key)
            return text

    def put(self, key: Hashable, text: str) -> None:
        with self.lock:
            if key in self.texts:
                return
            self.texts[key] = text
            self.size += len(text)
            while self.size > self.limit and self.texts:
                _, dropped = self.texts.popitem(last=False)
                self.size -= len(dropped)


def _parse_time(value: Any, name: str) -> float:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 date-time string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return parsed.timestamp()


def _zoneless(record: dict[str, Any], *names: str) -> dict[str, Any]:
    """The record's date-times without their zone (``zoneless_timestamps``)."""
    for name in names:
        if isinstance(record.get(name), str):
            record[name] = record[name].removesuffix("Z")
    return record


def _camel_case(record: dict[str, Any]) -> dict[str, Any]:
    """PascalCase keys in camelCase, as the official JavaScript client's types spell them."""
    return {key[:1].lower() + key[1:]: value for key, value in record.items()}


def _bad_report(detail: str) -> Response:
    """post-event-report's own 400 body (postEventSessionsBadRequest)."""
    response = jsonify({"sessions": [], "totalSessions": 0, "errorDescription": detail})
    response.status_code = 400
    return response


def create_app(
    *,
    seed: int = 42,
    size: int = 40,
    anchor: str | float | None = None,
    now: str | float | None = None,
    **options: Any,
) -> Flask:
    """The emulator app; ``options`` set :class:`VbrickState` fields (``token_lifetime_seconds``,
    ``scroll_ttl_seconds``, ``in_progress``, ``upcoming``, ``large_webcasts``,
    ``sessions_per_webcast``, ``send_retry_after``, ``prerender_reports``, credentials...; sets
    may be given as lists).

    ``rate_limits`` is the calls allowed per ``rate_window_seconds`` (60) by kind before 429
    ``{"code": "TooManyRequests", ...}``: ``{"GET": 24000, "POST": 3600, "realtime": 2}`` by
    default, the official client's budgets (real-time attendee calls count only as
    "realtime"); a kind left out or None is not limited.

    ``now`` (epoch seconds or ISO 8601) starts the emulator's clock there, and anchors the
    schedule on it unless ``anchor`` is given."""
    if now is not None:
        options["clock_offset"] = epoch_seconds(now) - time.time()
        anchor = now if anchor is None else anchor
    if anchor is None:
        anchor_ts = float(math.floor(time.time()))
    elif isinstance(anchor, str):
        anchor_ts = _parse_time(anchor, "anchor")
    else:
        anchor_ts = float(anchor)
    state = VbrickState(seed=seed, size=size, anchor=anchor_ts, **options)
    catalog = Catalog(state)
    app = Flask("emulators.vbrick")
    app.extensions["emulator_state"] = state
    app.json.sort_keys = False  # type: ignore[attr-defined]

    #: The JSON text of the post-event report pages' sessions already served (a page is asked for
    #: again by each sync, and by each sync of the bench on one emulator): the same text again.
    report_pages = TextCache(REPORT_PAGES_CACHE_CHARS)

    def sessions_text(webcast: Webcast, run: int, offset: int, end: int) -> str:
        """The JSON text of the sessions ``offset`` to ``end`` of a report (cached)."""
        key = (webcast, run, offset, end, frozenset(state.drop_fields.get("sessions", ())))
        text = report_pages.get(key)
        if text is None:
            text = dumps(
                [
                    catalog.drop("sessions", catalog.session(webcast, run, k))
                    for k in range(offset, end)
                ]
            )
            report_pages.put(key, text)
        return text

    def dumps(value: Any) -> str:
        """JSON text as Flask's jsonify writes it (compact, ASCII)."""
        return app.json.dumps(value, separators=(",", ":"))

    def json_response(head: dict[str, Any], name: str, text: str, tail: dict[str, Any]) -> Response:
        """``jsonify({**head, name: value, **tail})`` where ``text`` is ``dumps(value)``: the
        same body, byte for byte."""
        items = [f"{dumps(k)}:{dumps(v)}" for k, v in head.items()]
        items.append(f"{dumps(name)}:{text}")
        items += [f"{dumps(k)}:{dumps(v)}" for k, v in tail.items()]
        body = "{" + ",".join(items) + "}\n"
        return app.response_class(body, mimetype=app.json.mimetype)  # type: ignore[attr-defined]

    def token_of_request() -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "vbrick" and token.strip() else None

    @app.errorhandler(404)
    def not_found(_error: Exception) -> Response:
        return error_response(404, "No such Rev API endpoint")

    @app.errorhandler(405)
    def method_not_allowed(_error: Exception) -> Response:
        return error_response(405, "Method not allowed")

    @app.before_request
    def authenticate_and_throttle() -> Response | None:
        category = "realtime" if REALTIME_PATH_PART in request.path else request.method
        wait = state.throttle(category)
        if wait is not None:
            headers = (
                {"Retry-After": str(max(1, math.ceil(wait)))} if state.send_retry_after else {}
            )
            return error_response(429, "Too Many Requests", headers)
        if request.path in UNAUTHENTICATED:
            return None
        if not state.token_valid(token_of_request()):
            return error_response(401, "The session is not valid or has expired")
        return None

    # Sessions --------------------------------------------------------------------------------
    def login(ok: bool, extra: dict[str, Any]) -> Response:
        if state.locked_out:
            return error_response(401, "The account is locked after repeated failed logins")
        if not ok:
            state.failed_logins += 1
            return error_response(401, "Invalid credentials")
        token, expires = state.issue_token()
        expiration = iso_ms(expires + state.expiration_offset_seconds)
        return jsonify({"token": token, "issuer": "vbrick", "expiration": expiration, **extra})

    @app.post("/api/v2/authenticate")
    def authenticate() -> Response:
        body = request.get_json(silent=True) or {}
        ok = body.get("apiKey") == state.api_key and body.get("secret") == state.secret
        return login(ok, {})

    @app.post("/api/v2/user/login")
    def user_login() -> Response:
        body = request.get_json(silent=True) or {}
        ok = body.get("username") == state.username and body.get("password") == state.password
        profile = {
            "email": f"{state.username}@example.com",
            "id": "0d2c5b8e-1111-4c5e-9a55-000000000001",
            "username": state.username,
            "firstName": "Emulator",
            "lastName": "User",
            "language": "en",
        }
        return login(ok, profile)

    @app.post("/api/v2/user/extend-session")
    def extend_session() -> Response:
        token = token_of_request()
        assert token is not None  # before_request answered 401 otherwise
        expires = state.extend(token) + state.expiration_offset_seconds
        return jsonify({"expiration": iso_ms(expires)})

    @app.get("/api/v2/user/session")
    def user_session() -> Response:
        return Response(status=200)

    # Webcast search --------------------------------------------------------------------------
    @app.post("/api/v2/search/scheduled-events")
    def search() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body:
            return error_response(400, "At least one search parameter is required")
        if body.get("scrollId"):
            taken = state.take_scroll(str(body["scrollId"]), "search")
            if isinstance(taken, str):
                return _scroll_error(taken)
            start, end, sort_field, direction, size = taken.key
            return _search_page(start, end, sort_field, direction, size, offset=taken.offset)
        try:
            end = _parse_time(body["endDate"], "endDate") if body.get("endDate") else state.now()
            start = (
                _parse_time(body["startDate"], "startDate")
                if body.get("startDate")
                else end - 365 * 86400
            )
            size = int(body.get("size") or SEARCH_SIZE[2])
        except (ValueError, TypeError) as exc:
            return error_response(400, str(exc))
        if start > end:
            return error_response(400, "startDate must be less than or equal to endDate")
        if not SEARCH_SIZE[0] <= size <= SEARCH_SIZE[1]:
            return error_response(
                400, f"size must be between {SEARCH_SIZE[0]} and {SEARCH_SIZE[1]}"
            )
        sort_field = "Title" if state.search_sort_ignored else str(body.get("sortField") or "Title")
        direction = str(body.get("sortDirection") or "asc").lower()
        if direction not in ("asc", "desc"):
            return error_response(400, "sortDirection must be asc or desc")
        return _search_page(start, end, sort_field, direction, size, offset=0)

    def _search_page_indices(
        start: float, end: float, sort_field: str, direction: str, offset: int, size: int
    ) -> tuple[int, Sequence[int]]:
        """The total and one page of webcast indices; by start date without listing them all
        (start times grow with the index), by title by sorting the window (small sizes)."""
        first = catalog.first_index_from(start)
        last = catalog.first_index_from(end + 0.001)  # endDate is inclusive
        total = last - first
        if sort_field.lower() == "startdate":
            if direction == "asc":
                return total, range(first + offset, min(last, first + offset + size))
            top = last - 1 - offset
            return total, range(top, max(first - 1, top - size), -1)
        ordered = sorted(
            range(first, last), key=lambda i: catalog.event(catalog.webcast(i))["title"].lower()
        )
        if direction == "desc":
            ordered.reverse()
        return total, ordered[offset : offset + size]

    def _search_page(
        start: float, end: float, sort_field: str, direction: str, size: int, *, offset: int
    ) -> Response:
        total, page = _search_page_indices(start, end, sort_field, direction, offset, size)
        payload: dict[str, Any] = {"total": total}
        if offset + size < total:
            key = (start, end, sort_field, direction, size)
            payload["scrollId"] = state.open_scroll("search", key, offset + size)
        payload["events"] = [
            catalog.drop("events", catalog.event(catalog.webcast(i))) for i in page
        ]
        return jsonify(payload)

    def _scroll_error(reason: str) -> Response:
        if reason == "expired":
            return error_response(408, "The scroll has expired or was already used")
        return error_response(400, "Invalid scroll id")

    # Reports ---------------------------------------------------------------------------------
    def webcast_or_error(event_id: str) -> Webcast:
        """The webcast, or the request ends here with Rev's 403/404 answer."""
        if event_id in state.forbidden:
            abort(error_response(403, "You do not have access to this webcast"))
        if event_id in state.unauthorized:
            abort(error_response(401, "Unauthorized"))
        webcast = catalog.find(event_id)
        if webcast is None or event_id in state.missing:
            abort(error_response(404, "Webcast not found"))
        return webcast

    def run_number() -> int:
        value = request.args.get("runNumber", "0")
        number = int(value)
        if number < 0:
            raise ValueError("runNumber must not be negative")
        return number

    @app.get("/api/v2/scheduled-events/<event_id>/post-event-report")
    def post_event_report(event_id: str) -> Response:
        webcast = webcast_or_error(event_id)
        try:
            run = run_number()
        except ValueError:
            return _bad_report("runNumber must be a non-negative integer")
        offset = 0
        if scroll_arg := request.args.get("scrollId"):
            if event_id in state.lost_scrolls:
                return _bad_report("Invalid scrollId")
            taken = state.take_scroll(scroll_arg, "report", (event_id, run))
            if taken == "invalid":
                return _bad_report("Invalid scrollId")
            if isinstance(taken, str):
                return _scroll_error(taken)
            offset = taken.offset
        total = catalog.session_count(webcast, run)
        end = min(total, offset + REPORT_PAGE_SIZE)
        head: dict[str, Any] = (
            {}
            if offset and state.totals_on_first_page_only
            else catalog.report_totals(webcast, run)
        )
        sessions = sessions_text(webcast, run, offset, end)
        tail: dict[str, Any] = {}
        if end < total:
            tail["scrollId"] = state.open_scroll("report", (event_id, run), end)
        # jsonify({**head, "sessions": [...], **tail}), with the sessions' JSON text cached.
        return json_response(head, "sessions", sessions, tail)

    @app.get("/api/v2/scheduled-events/<event_id>/comments")
    def comments(event_id: str) -> Response:
        webcast = webcast_or_error(event_id)
        try:
            run = run_number()
            size = int(request.args.get("size", "10000"))
        except ValueError:
            return error_response(400, "runNumber and size must be integers")
        everything = [
            _zoneless(catalog.drop("comments", c), "date")
            if state.zoneless_timestamps
            else catalog.drop("comments", c)
            for c in catalog.comments(webcast, run)
        ]
        if state.comments_paging != "scroll":
            return jsonify(everything[:size])  # the OpenAPI's schema: a plain array
        offset = 0
        if scroll_arg := request.args.get("scrollId"):
            taken = state.take_scroll(scroll_arg, "comments", (event_id, run))
            if taken == "invalid":
                return error_response(400, "Invalid scroll id")
            if isinstance(taken, str):
                return _scroll_error(taken)
            offset = taken.offset
        end = min(len(everything), offset + size)
        payload: dict[str, Any] = {"totalComments": len(everything)}
        if end < len(everything):
            payload["scrollId"] = state.open_scroll("comments", (event_id, run), end)
        payload["comments"] = everything[offset:end]
        return jsonify(payload)

    @app.get("/api/v2/scheduled-events/<event_id>/poll-results")
    def poll_results(event_id: str) -> Response:
        webcast = webcast_or_error(event_id)
        try:
            run = run_number()
        except ValueError:
            return error_response(400, "runNumber must be a non-negative integer")
        polls = catalog.polls(webcast, run)
        if polls is None:  # a run that never happened: Rev answers 200 with an empty body
            return Response(b"", status=200, mimetype="application/json")
        return jsonify({"polls": [catalog.drop("polls", poll) for poll in polls]})

    @app.get("/api/v2/scheduled-events/<event_id>/questions")
    def questions(event_id: str) -> Response:
        webcast = webcast_or_error(event_id)
        try:
            run = run_number()
        except ValueError:
            return error_response(400, "runNumber must be a non-negative integer")
        questions = [catalog.drop("questions", q) for q in catalog.questions(webcast, run)]
        if state.zoneless_timestamps:
            questions = [_zoneless(q, "whenAsked", "whenReplied") for q in questions]
        return jsonify(questions)

    @app.get("/api/v2/scheduled-events/<event_id>/status")
    def status(event_id: str) -> Response:
        webcast = webcast_or_error(event_id)
        event = catalog.event(webcast)
        return jsonify(
            {
                "title": event["title"],
                "startDate": event["startDate"],
                "endDate": event["endDate"],
                "status": catalog.status(webcast),
                "slideUrl": None,
                "isPreProduction": False,
                "sbmlResponse": None,
                "reason": None,
            }
        )

    @app.post("/api/v2/scheduled-events/<event_id>/real-time/attendees")
    def realtime_attendees(event_id: str) -> Response:
        webcast = webcast_or_error(event_id)
        body = request.get_json(silent=True) or {}
        details = str(body.get("attendeeDetails") or "Base")
        try:
            count = int(body.get("count") or REALTIME_COUNT[2])
        except (TypeError, ValueError):
            return error_response(400, "count must be an integer")
        if details not in ("Base", "All", "Counts"):
            return error_response(400, "attendeeDetails must be Base, All or Counts")
        if not REALTIME_COUNT[0] <= count <= REALTIME_COUNT[1]:
            return error_response(400, "count must be between 1 and 500")
        if catalog.status(webcast) != "InProgress":
            return error_response(400, "The webcast is not running")
        offset = 0
        if body.get("scrollId"):
            taken = state.take_scroll(str(body["scrollId"]), "realtime", (event_id,))
            if isinstance(taken, str):
                return _scroll_error(taken)
            offset = taken.offset
        total = catalog.realtime_count(webcast)
        end = min(total, offset + count)
        payload: dict[str, Any] = {
            "total": total,
            "hostCount": 1,
            "moderatorCount": 0,
            "attendeeCount": total - 1,
            "status": "Active",
            "experiencedRebufferingPercentage": 3,
            "averageExperiencedRebufferDuration": 2,
            "experiencedErrorsPerAttendees": 0,
            "multicastErrorsPerAttendees": 0,
        }
        if details != "Counts":
            attendees = [
                catalog.drop("realtime", catalog.realtime_attendee(webcast, k, details))
                for k in range(offset, end)
            ]
            if state.realtime_key_case == "camelCase":
                attendees = [_camel_case(a) for a in attendees]
            payload["attendees"] = attendees
            if end < total:
                payload["scrollId"] = state.open_scroll("realtime", (event_id,), end)
        return jsonify(payload)

    if state.prerender_reports:
        # Every page of every main run's post-event report, rendered before the emulator
        # listens: answering them then costs no generation (the bench's emulators).
        with app.app_context():
            for i in range(catalog.size):
                webcast = catalog.webcast(i)
                total = catalog.session_count(webcast, 0)
                for offset in range(0, total, REPORT_PAGE_SIZE):
                    sessions_text(webcast, 0, offset, min(total, offset + REPORT_PAGE_SIZE))
    return app
