"""The Flask app: routes of the Sessions V3 API under ``/insights/3.0``."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, request

from emulators import datagen
from emulators.conviva import records
from emulators.conviva.query import (
    HOUR_MS,
    QueryError,
    session_filter,
    time_range,
)
from emulators.conviva.query import limit as read_limit
from emulators.conviva.state import DAY_MS, ConvivaState

PREFIX = "/insights/3.0/sessions"
VIEWER_MAX_SESSIONS = 500


def error_body(status: int) -> tuple[str, str]:
    """Conviva's error format: ``{"message": ...}`` (401 answers ``"Unauthorized"``)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return json.dumps({"message": phrase}), "application/json"


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"message": message}, status)


def _authorized(state: ConvivaState) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return user == state.client_id and password == state.client_secret


def create_app(
    *,
    seed: int = 42,
    size: int = 5_000,
    now: int | float | str | None = None,
    history_hours: int = 24,
    busy_hours: int = 2,
    busy_factor: float = 8.0,
    ad_size: int | None = None,
    client_id: str = "emulator-client",
    client_secret: str = "emulator-secret",  # noqa: S107 (the emulator's own test account)
    ad_insights: bool = True,
    viewer_module: bool = True,
    max_limit: int = 1500,
    max_response_sessions: int | None = 1000,
    rate_limit: tuple[int, float] | None = (3000, 300.0),
    saved_filters: dict[str, dict[str, list[str]]] | None = None,
    answer_cap: int | None = None,
    range_by: str = "overlap",
    discovery_shape: str = "paths",
    busy_viewers: dict[str, int] | None = None,
) -> Flask:
    """The emulated account.

    ``size`` content sessions start in the ``history_hours`` before ``now`` (default: the real
    time at creation, frozen; epoch seconds or ISO 8601), ``busy_hours`` of them ``busy_factor``
    times busier; ad sessions are a third as many unless ``ad_size`` says. ``ad_insights`` and
    ``viewer_module`` are the account's entitlements. An answer of more than
    ``max_response_sessions`` sessions is refused with 413. ``rate_limit`` is ``(requests,
    seconds)`` per client IP before 429 ``{"message": "Too Many Requests"}`` (the documented
    3000 per 5 minutes; a JSON list of two works too; None: no limit); ``max_limit`` the
    largest ``limit`` accepted (1500, as the endpoint's page says).

    The other plausible answers of the real API, each a switch (also a state attribute, which
    tests flip between syncs): ``answer_cap`` (sample answers silently cut at that many sessions,
    whatever the limit), ``range_by`` ("start": a time range returns the sessions that started
    in it, not those overlapping it), ``discovery_shape`` ("names", "index": see
    ``state.DISCOVERY_SHAPES``), ``busy_viewers`` (viewer id to sessions a day). The state's
    ``broken_windows``, ``broken_viewers`` and ``broken_dimensions`` make answers stay broken
    (``state.BROKEN_ANSWERS``) until the entry is removed.
    """
    now_ms = None if now is None else int(datagen.epoch_seconds(now) * 1000)
    state = ConvivaState(
        seed=seed,
        size=size,
        now_ms=now_ms,
        history_hours=history_hours,
        busy_hours=busy_hours,
        busy_factor=busy_factor,
        ad_size=ad_size,
        client_id=client_id,
        client_secret=client_secret,
        ad_insights=ad_insights,
        viewer_module=viewer_module,
        max_limit=max_limit,
        max_response_sessions=max_response_sessions,
        rate_limit=rate_limit,
        saved_filters=saved_filters,
        answer_cap=answer_cap,
        range_by=range_by,
        discovery_shape=discovery_shape,
        busy_viewers=busy_viewers,
    )
    app = Flask("conviva-emulator")
    app.extensions["emulator_state"] = state

    @app.before_request
    def gate() -> Response | None:
        limiter = state.rate_limiter
        if limiter is not None and not limiter.allow(request.remote_addr or "?"):
            return _error(429, "Too Many Requests")
        if not _authorized(state):
            return _error(401, "Unauthorized")
        return None

    def answering(handler: Callable[[], Any]) -> Callable[[], Response]:
        def view() -> Response:
            try:
                answer = handler()
                return answer if isinstance(answer, Response) else _json(answer)
            except QueryError as exc:
                return _error(exc.status, exc.message)

        view.__name__ = handler.__name__
        return view

    def broken(how: str, shape: dict[str, Any]) -> Response:
        """An answer that stays wrong: HTTP 503, a 200 of another shape, or a proxy's page."""
        if how in ("503", "unavailable"):
            answer = _error(503, "Service Unavailable")
            if how == "unavailable":
                answer.headers["Retry-After"] = "1"
            return answer
        if how == "html":
            return Response("<html><body>Gateway</body></html>", mimetype="text/html")
        return _json(shape)

    def open_paths() -> list[dict[str, str]]:
        paths = [{"path": f"{PREFIX}/content", "description": "Samples of Video Content Sessions"}]
        if state.ad_insights:
            paths.append({"path": f"{PREFIX}/ad", "description": "Samples of Ad Sessions"})
        if state.viewer_module:
            paths.append(
                {"path": f"{PREFIX}/content/viewer", "description": "Viewer Experience Details"}
            )
        return paths

    @app.get(PREFIX)
    @answering
    def discovery() -> Any:
        if state.discovery_shape == "names":
            names = [p["path"].rsplit("/sessions/", 1)[1] for p in open_paths()]
            return {"sessions": [{"name": n, "enabled": True} for n in names]}
        if state.discovery_shape == "index":
            enabled = {p["path"] for p in open_paths()}
            every = [f"{PREFIX}/content", f"{PREFIX}/ad", f"{PREFIX}/content/viewer"]
            return {"sessions": [{"path": p, "enabled": p in enabled} for p in every]}
        return {"sessions": open_paths()}

    @app.get(f"{PREFIX}/_meta/references/dimensions")
    @answering
    def dimensions() -> Any:
        if state.broken_dimensions:
            return broken(state.broken_dimensions, {"data": []})
        items = [
            {"name": name, "description": f"Conviva dimension {name}", "type": "conviva"}
            for name in sorted(records.DIMENSION_READERS)
        ]
        items += [
            {"name": tag, "description": f"Custom tag {tag} (filter: tag_{tag})", "type": "custom"}
            for tag in records.CUSTOM_TAGS
        ]
        return {"dimensions": items}

    def sample(kind: str) -> Any:
        if kind == "ad" and not state.ad_insights:
            raise QueryError(403, "Ad Insights is not enabled for this account")
        args = request.args.to_dict(flat=False)
        start, end = time_range(args, state.now_ms, default_ms=3 * HOUR_MS, allow_days=False)
        limit = read_limit(args, default=50, maximum=state.max_limit, cap=False)
        if how := state.broken_window(start, end):
            return broken(how, {"data": []})
        keep = session_filter(args, state.saved_filters)
        found = state.matching(kind, start, end, keep)
        most = min(limit, state.answer_cap or limit)  # the answer_cap switch: a silent cut
        if len(found) > most:
            chooser = random.Random(datagen.stable_int(state.seed, kind, start, end, most))
            found = chooser.sample(found, most)
        if state.max_response_sessions is not None and len(found) > state.max_response_sessions:
            raise QueryError(413, "Response too large: narrow the time range or lower the limit")
        found.sort(key=lambda pair: pair[0].start_ms)
        parts = [json.dumps(rec) if rec else state.encoded(kind, sk) for sk, rec in found]
        return Response('{"sessions": [' + ", ".join(parts) + "]}", mimetype="application/json")

    @app.get(f"{PREFIX}/content")
    @answering
    def content() -> Any:
        return sample("content")

    @app.get(f"{PREFIX}/ad")
    @answering
    def ad() -> Any:
        return sample("ad")

    def viewer_query() -> tuple[str, str, str | None, int, int, dict[str, list[str]]]:
        if not state.viewer_module:
            raise QueryError(403, "The Viewer-Module API is not enabled for this account")
        args = request.args.to_dict(flat=False)
        ids, ips = args.get("viewer_id", []), args.get("viewer_ip", [])
        if len(ids) + len(ips) != 1:
            raise QueryError(400, "Give exactly one viewer_id or viewer_ip")
        start, end = time_range(args, state.now_ms, default_ms=DAY_MS, allow_days=True)
        if ids:
            return "viewer_id", ids[0], None, start, end, args
        return "viewer_ip", ips[0], ips[0], start, end, args

    @app.get(f"{PREFIX}/content/viewer")
    @answering
    def viewer() -> Any:
        key, value, ip, start, end, args = viewer_query()
        if how := state.broken_viewers.get(value):
            return broken(how, {"data": []})
        limit = read_limit(args, default=VIEWER_MAX_SESSIONS, maximum=VIEWER_MAX_SESSIONS, cap=True)
        owner = value if key == "viewer_id" else state.ip_owner(value)
        return {"sessions": state.viewer_sessions(owner, start, end, ip=ip)[:limit]}

    @app.get(f"{PREFIX}/content/viewer/summary")
    @answering
    def viewer_summary() -> Any:
        key, value, ip, start, end, _args = viewer_query()
        if how := state.broken_viewers.get(value):
            return broken(how, {"_meta": {"queries": {key: value}}})
        owner = value if key == "viewer_id" else state.ip_owner(value)
        sessions = state.viewer_sessions(owner, start, end, ip=ip)
        return {
            "total": _summary(sessions),
            "_meta": {
                "queries": {key: value, "start_epoch_ms": start, "end_epoch_ms": end},
                "query_string": f"{key}={value}&start_epoch_ms={start}&end_epoch_ms={end}",
                "ratio_info": {
                    "connection_induced_rebuffering_ratio": {"max": 100},
                    "rebuffering_ratio": {"max": 100},
                },
                "annotations": [],
            },
        }

    return app


def _count_pct(count: int, plays: int) -> dict[str, float]:
    return {"count": count, "percentage": round(count / plays * 100, 2) if plays else 0}


def _summary(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """The viewer's totals, computed from the same sessions the viewer endpoint returns."""
    plays = len(sessions)
    status = [s["status_info"] for s in sessions]
    metrics = [s["lifetime_metrics"] for s in sessions]
    ended = [s for s in sessions if s["status_info"]["is_ended"]]
    playing_ms = sum(m["playing_time_ms"] for m in metrics)
    rebuffer_ms = sum(m["rebuffering_time_ms"] for m in metrics)
    cirr_ms = sum(m["connection_induced_rebuffering_time_ms"] for m in metrics)
    impacted = sum(1 for s in status if s["errors"])
    ended_mins = sum(s["lifetime_metrics"]["playing_time_ms"] for s in ended) / 60_000
    devices = {s["device_info"]["name"] for s in sessions}
    starts = [m["video_start_time_ms"] for m in metrics if m["video_start_time_ms"] > 0]

    def ratio(part: int) -> float:
        return round(part / (playing_ms + part) * 100, 3) if playing_ms + part else 0

    def flag(name: str) -> int:
        return sum(1 for s in status if s[name])

    return {
        "bitrate": {
            "bps": round(sum(m["average_peak_bitrate_bps"] for m in metrics) / plays)
            if plays
            else 0
        },
        "connection_induced_rebuffering_ratio": {"ratio": ratio(cirr_ms)},
        "ended_plays_duration": {
            "mins": round(ended_mins, 2),
            "per_ended_play": round(ended_mins / len(ended), 2) if ended else 0,
            "per_unique_device": round(ended_mins / len(devices), 2) if devices else 0,
        },
        "exit_before_video_starts": _count_pct(flag("is_exit_before_video_start"), plays),
        "good_streams": {"count": plays - impacted},
        "good_streams_average_play_time": {
            "mins": round(playing_ms / 60_000 / plays, 2) if plays else 0
        },
        "impacted_streams": {"count": impacted},
        "impacted_streams_average_play_time": {"mins": 0},
        "plays": {"count": plays},
        "rebuffering_ratio": {"ratio": ratio(rebuffer_ms)},
        "spi_streams": {"count": plays},
        "streaming_performance_index": {
            "value": round((plays - impacted) / plays * 100, 2) if plays else 0
        },
        "unique_devices": {"count": len(devices)},
        "video_playback_failures": _count_pct(flag("is_video_playback_failure"), plays),
        "video_playback_failures_business": _count_pct(
            flag("is_video_playback_failure_business"), plays
        ),
        "video_playback_failures_tech": _count_pct(flag("is_video_playback_failure_tech"), plays),
        "video_restart_time": {
            "value": round(sum(m["video_restart_time_ms"] for m in metrics) / plays) if plays else 0
        },
        "video_start_failures": _count_pct(flag("is_video_start_failure"), plays),
        "video_start_failures_business": _count_pct(flag("is_video_start_failure_business"), plays),
        "video_start_failures_tech": _count_pct(flag("is_video_start_failure_tech"), plays),
        "video_start_time": {"value": round(sum(starts) / len(starts)) if starts else 0},
    }
