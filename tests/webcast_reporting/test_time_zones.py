"""The zone a report's times are in is read from the report (issue 9), never assumed: the time
zone parameter's name is a guess (tz), and an API that ignores it writes GMT, its default, while
the report says so. And the filters and date range the report says it applied must be those the
tap asked for (their names are guesses too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testkit import TapOutput, run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer
from tap_webcast_reporting.values import gmt_equivalent, report_zone

EVENT = "2227118"


def times(run: TapOutput) -> list[Any]:
    """Every time the run emitted, in order."""
    report = run.records["event_reports"][0]
    return [
        report["live_start_time"],
        report["event_create_time"],
        *(r["registration_date"] for r in run.records["registrants"]),
        *(s["start_time"] for s in run.records["viewing_sessions"]),
    ]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_zone_the_report_states_is_used_when_the_api_ignores_the_parameter(
    tmp_path: Path, server: EmulatorServer, fmt: str
) -> None:
    cfg = config(server.url, event_ids=[EVENT], report_format=fmt, timezone="America/New_York")
    asked = seen(run_cli(TAP, cfg, tmp_path))
    assert asked.returncode == 0, asked.logs[-2000:]
    assert asked.records["event_reports"][0]["current_time_zone"] == "Eastern Standard Time"
    assert not asked.log_lines("not the timezone setting")

    server.state.parameter_names["tz"] = "timezone"  # the API knows it by another name
    ignored = seen(run_cli(TAP, cfg, tmp_path))
    assert ignored.returncode == 0, ignored.logs[-2000:]
    assert ignored.records["event_reports"][0]["current_time_zone"] == "Greenwich Mean Time"
    assert times(ignored) == times(asked)  # the same instants (they were 5 hours off)
    assert times(asked)[0].endswith("Z")
    [warning] = ignored.log_lines("not the timezone setting")
    assert f"Event {EVENT}: the report states 'Greenwich Mean Time'" in warning
    assert "converted from GMT" in warning


def test_a_report_that_states_no_zone_is_read_only_when_gmt_was_asked(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.break_report("no_timezone", event_id=EVENT)
    gmt = seen(run_cli(TAP, config(server.url, event_ids=[EVENT], timezone="GMT"), tmp_path))
    assert gmt.returncode == 0, gmt.logs[-2000:]
    assert len(gmt.records["registrants"]) == 12
    eastern = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert eastern.returncode == 0, eastern.logs[-2000:]
    assert "registrants" not in eastern.records
    [owed] = eastern.state["bookmarks"]["event_reports"]["owed"]
    assert "does not state its time zone, and timezone is 'America/New_York'" in owed["reason"]


def test_the_page_sample_is_read_in_the_zone_it_states(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """The page's XML sample says "Eastern Standard Time" whatever is asked: asked for GMT, its
    times are still converted from Eastern time (with a warning), never assumed to be GMT."""
    run = seen(run_cli(TAP, config(server.url, event_ids=["123456"], timezone="GMT"), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert run.records["registrants"][0]["registration_date"] == "2014-11-05T00:53:35Z"
    [warning] = run.log_lines("Event 123456: the report states 'Eastern Standard Time'")
    assert "converted from America/New_York" in warning


def test_csv_takes_only_a_zone_that_is_gmt_all_year(tmp_path: Path, server: EmulatorServer) -> None:
    cfg = config(server.url, event_ids=[EVENT], report_format="csv", timezone="Europe/London")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode != 0
    assert run.log_lines("timezone 'Europe/London' with report_format csv")
    assert len(server.requests) == 0
    utc = seen(run_cli(TAP, {**cfg, "timezone": "UTC"}, tmp_path))
    assert utc.returncode == 0, utc.logs[-2000:]


def test_report_zone_reads_names_ids_and_abbreviations() -> None:
    assert report_zone("Eastern Standard Time", "America/New_York") == (
        report_zone("America/New_York", "America/New_York")
    )
    assert report_zone("EST", "America/New_York")[1] is None
    assert report_zone("India Standard Time", "Asia/Kolkata")[1] is None
    assert report_zone("Central European Standard Time", "Europe/Berlin")[1] is None
    assert report_zone("Coordinated Universal Time", "UTC")[1] is None
    zone, note = report_zone("Greenwich Mean Time", "Asia/Kolkata")
    assert (zone.key, "converted from GMT" in (note or "")) == ("GMT", True)
    zone, note = report_zone("Asia/Tokyo", "America/New_York")
    assert zone.key == "Asia/Tokyo"
    assert note
    # London goes by GMT's name: read as asked, with a note saying the name fits both.
    zone, note = report_zone("Greenwich Mean Time", "Europe/London")
    assert zone.key == "Europe/London"
    assert "a name of 'Europe/London' and of GMT" in (note or "")
    # A name the tap does not know, and not GMT's: the zone asked for (the API writes only it
    # or GMT), with a note.
    zone, note = report_zone("Gulf Standard Time", "Asia/Dubai")
    assert zone.key == "Asia/Dubai"
    assert "a name the tap does not know" in (note or "")
    with pytest.raises(ValueError, match="does not state its time zone"):
        report_zone(None, "America/New_York")
    assert report_zone(None, "Africa/Abidjan")[0].key == "Africa/Abidjan"
    assert gmt_equivalent("UTC")
    assert not gmt_equivalent("Europe/London")


# -- the filters and date range the report says it applied --------------------------------------


@pytest.mark.parametrize(
    ("renamed", "settings", "wrong"),
    [
        ({"dr_regs": "registered"}, {"filter_registered_in_range": False}, "dr_regs is on"),
        ({"live_viewers": "live"}, {"filter_live_viewers": True}, "live_viewers is off"),
        (
            {"excl_domain": "exclude"},
            {"exclude_domains": ["example.org"]},
            "excl_domain is empty, not example.org",
        ),
        (
            {"inclu_domain": "incl_domain"},
            {"include_domains": ["example.com"]},
            "inclu_domain is empty, not example.com",
        ),
        (
            {"start": "from", "end": "to"},
            {"start_date": "2026-01-01", "end_date": "2026-12-31"},
            "the date range's start is none, not 01/01/2026",
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_filter_the_api_did_not_apply_stops_the_sync(
    tmp_path: Path,
    server: EmulatorServer,
    renamed: dict[str, str],
    settings: dict[str, Any],
    wrong: str,
    fmt: str,
) -> None:
    cfg = config(server.url, event_ids=[EVENT], report_format=fmt, **settings)
    whole = seen(run_cli(TAP, cfg, tmp_path))
    assert whole.returncode == 0, whole.logs[-2000:]
    server.state.parameter_names.update(renamed)
    run = seen(run_cli(TAP, cfg, tmp_path))
    if fmt == "json" and "start" in renamed:
        # JSON reports state no date range: nothing to check (the README says so).
        assert run.returncode == 0, run.logs[-2000:]
        return
    assert run.returncode != 0
    errors = run.log_lines("the report did not apply what the tap asked for")
    assert errors, run.logs[-2000:]
    assert wrong in errors[0]
    assert "registrants" not in run.records
