"""The other streams: ad sessions where the account has them, viewers, dimensions."""

from __future__ import annotations

from pathlib import Path

from conviva_sessions.helpers import TAP_EXE, base_config, conviva_emulator, session_ids
from testkit import run_cli, run_tap

from tap_conviva_sessions.tap import TapConvivaSessions

ALL = ("content_sessions", "ad_sessions", "viewer_sessions", "viewer_summary", "dimensions")


def test_ad_sessions_are_walked_like_content_sessions(conviva) -> None:
    run = run_tap(TapConvivaSessions, base_config(conviva), streams=["ad_sessions"])

    ids = session_ids(run, "ad_sessions")
    assert ids
    assert len(ids) == len(set(ids))
    assert run.bookmark("ad_sessions") is not None
    assert all(r["tags"]["selected_dimensions"]["ad_id"] for r in run.records["ad_sessions"])


def test_an_account_without_ads_or_viewer_module_skips_those_streams_with_one_warning(
    tmp_path: Path,
) -> None:
    with conviva_emulator(size=2_000, ad_insights=False, viewer_module=False) as server:
        config = base_config(server, viewer_ids=["viewer-00042"], viewer_ips=["203.0.113.7"])

        run = run_cli(TAP_EXE, config, tmp_path, streams=ALL)

        assert run.returncode == 0, run.logs[-2000:]
        assert run.logs.count("stream ad_sessions is skipped") == 1
        assert run.logs.count("stream viewer_sessions is skipped") == 1
        assert run.logs.count("stream viewer_summary is skipped") == 1
        assert not server.requests.matching("/sessions/ad")
        assert not server.requests.matching("/viewer")
        assert len(server.requests.matching("/insights/3.0/sessions", "GET")) > 0
        assert session_ids(run, "content_sessions")
        assert "viewer_id" not in run.records["content_sessions"][0]


def test_viewers_by_id_and_ip_with_one_summary_each(conviva) -> None:
    ip = "203.0.113.7"
    owner = conviva.state.ip_owner(ip)
    config = base_config(
        conviva, viewer_ids=[owner, "viewer-00042"], viewer_ips=[ip], viewer_days=7
    )

    run = run_tap(TapConvivaSessions, config, streams=["viewer_sessions", "viewer_summary"])

    sessions = run.records["viewer_sessions"]
    ids = [s["conviva_session_id"] for s in sessions]
    assert len(ids) == len(set(ids))  # the IP's sessions are the owner's: emitted once
    by_ip = [q for q in conviva.requests.matching("/content/viewer") if q.arg("viewer_ip") == ip]
    assert by_ip
    assert {s["viewer_id"] for s in sessions} <= {owner, "viewer-00042"}
    assert all(q.arg("days") == "7" for q in conviva.requests.matching("/content/viewer"))
    summaries = run.records["viewer_summary"]
    assert [(s["viewer_id"], s["viewer_ip"]) for s in summaries] == [
        (owner, None),
        ("viewer-00042", None),
        (None, ip),
    ]
    for summary in summaries:
        assert summary["start_date"].endswith("Z")
        assert summary["end_date"] > summary["start_date"]
        assert summary["total"]["plays"]["count"] >= 0
    owner_plays = summaries[0]["total"]["plays"]["count"]
    assert owner_plays == sum(1 for s in sessions if s["viewer_id"] == owner)


def test_sessions_asked_for_by_ip_say_which_ip(conviva) -> None:
    ip = "2001:db8::7"
    run = run_tap(
        TapConvivaSessions,
        base_config(conviva, viewer_ips=[ip], viewer_days=7),
        streams=["viewer_sessions"],
    )

    sessions = run.records["viewer_sessions"]
    assert sessions
    assert {s["viewer_ip"] for s in sessions} == {ip}
    assert {s["network_info"]["ip"] for s in sessions} == {ip}
    assert {s["viewer_id"] for s in sessions} == {conviva.state.ip_owner(ip)}


def test_dimensions_list_what_the_account_can_filter_on(conviva) -> None:
    run = run_tap(TapConvivaSessions, base_config(conviva), streams=["dimensions"])

    names = {d["name"]: d["type"] for d in run.records["dimensions"]}
    assert names["device_os"] == "conviva"
    assert names["subscription"] == "custom"
