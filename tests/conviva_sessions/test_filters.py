"""Filters reach the API as it documents them, and the records honour them."""

from __future__ import annotations

from datetime import datetime

from conviva_sessions.helpers import CONTENT_SESSIONS, base_config, epoch_ms, session_ids
from testkit import run_tap

from tap_conviva_sessions.tap import TapConvivaSessions


def _content_requests(server):
    return [r for r in server.requests if r.path.endswith("/sessions/content")]


def test_dimension_tag_and_status_filters(conviva) -> None:
    config = base_config(
        conviva,
        dimension_filters={"device_os": ["Android", "iOS"], "isp": ["Comcast"]},
        custom_tag_filters={"subscription": ["premium"]},
        status_filters={"is_video_start_failure": False},
    )

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    sent = _content_requests(conviva)[0].query
    assert sent["device_os"] == ["Android", "iOS"]  # OR within one dimension
    assert sent["isp"] == ["Comcast"]
    assert sent["tag_subscription"] == ["premium"]
    assert sent["is_video_start_failure"] == ["false"]
    records = run.records["content_sessions"]
    assert records
    for record in records:  # AND across dimensions
        assert record["device_info"]["os"] in ("Android", "iOS")
        assert record["network_info"]["isp"] == "Comcast"
        assert record["tags"]["custom_tags"]["subscription"] == "premium"
        assert record["status_info"]["is_video_start_failure"] is False

    def keep(s: dict) -> bool:
        return (
            s["device_info"]["os"] in ("Android", "iOS")
            and s["network_info"]["isp"] == "Comcast"
            and s["tags"]["custom_tags"]["subscription"] == "premium"
            and not s["status_info"]["is_video_start_failure"]
        )

    start = epoch_ms(datetime.fromisoformat(config["start_date"]))
    end = epoch_ms(datetime.fromisoformat(config["end_date"]))
    assert set(session_ids(run)) == conviva.state.session_ids("content", start, end, keep)


def test_a_saved_filter_is_sent_alone(conviva) -> None:
    run = run_tap(
        TapConvivaSessions,
        base_config(conviva, filter_id="9876543210"),
        streams=CONTENT_SESSIONS,
    )

    sent = _content_requests(conviva)[0].query
    assert sent["filter_id"] == ["9876543210"]
    assert not {"device_os", "isp"} & set(sent)
    saved = conviva.state.saved_filters["9876543210"]
    for record in run.records["content_sessions"]:
        assert record["device_info"]["os"] in saved["device_os"]
        assert record["network_info"]["isp"] in saved["isp"]
