"""The report: the page's own samples, the three formats agreeing, and dates in two zones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testkit import TapOutput, run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer

SAMPLE = "123456"
STANDARD = ("firstname", "lastname", "company", "email", "source_track_id")


def sync(tmp_path: Path, server: EmulatorServer, **settings: Any) -> TapOutput:
    run = seen(run_cli(TAP, config(server.url, **settings), tmp_path))
    assert run.returncode == 0, run.logs[-3000:]
    return run


def test_page_xml_sample_parses_into_six_registrants_with_every_part(
    tmp_path: Path, server: EmulatorServer
) -> None:
    run = sync(tmp_path, server, event_ids=[SAMPLE])
    registrants = run.records["registrants"]
    assert [r["email"] for r in registrants] == [
        "awilliams@yourco.com",
        "mscott@companyx.com",
        "mthomas@secondcitybank.com",
        "agraystone@companyx.com",  # the broken attribute, repaired
        "mdavis@yourco.com",
        "arthur.collins@gmail.com",
    ]
    # The viewers after the break are whole, not nested into the broken one.
    graystone = registrants[3]
    assert {a["label"]: a["value"] for a in graystone["answers"]} == {
        "First Name": "Alexandra",
        "Last Name": "Graystone",
        "Company": "Company X",
        "Email": "agraystone@companyx.com",
        "Department": "Engineering",
        "Have you previously attended one of our webcasts?": "No",
    }
    assert registrants[4]["firstname"] == "Marie"
    assert registrants[0]["registration_date"] == "2014-11-05T00:53:35Z"  # 07:53:35 PM EST
    sessions = run.records["viewing_sessions"]
    assert [(s["email"], s["session_number"], s["type"]) for s in sessions] == [
        ("awilliams@yourco.com", 1, "Live"),
        ("mscott@companyx.com", 1, "On-Demand"),
        ("mscott@companyx.com", 2, "On-Demand"),
        ("mthomas@secondcitybank.com", 1, "On-Demand"),
        ("arthur.collins@gmail.com", 1, "SimLive"),
    ]
    assert sessions[0]["duration"] == 246.0
    assert sessions[0]["start_time"] == "2014-11-05T01:04:01Z"
    questions = run.records["questions"]
    assert len(questions) == 3
    assert questions[0]["answer"] == "Great question! We will be addressing this shortly."
    assert questions[1]["answer"] is None
    responses = run.records["survey_responses"]
    assert len(responses) == 18
    assert {r["survey_name"] for r in responses} == {
        "Halftime Survey",
        "Attendance Check",
        "Ending Questionaire",
    }
    assert responses[0]["value"] == "I'd\nlove to hear more about advertising on social media."
    report = run.records["event_reports"][0]
    assert report["total_registrants"] == 6
    assert report["total_conversion_rate"] == 66.7
    assert report["event_create_time"] == "2014-11-04T19:39:43Z"
    assert report["filters"]["users_qa"] is False
    assert len(run.records["registration_questions"]) == 17
    assert len(run.records["survey_questions"]) == 5
    # The repair is logged once, with the event id and the line.
    repairs = run.log_lines("repaired the XML report")
    assert len(repairs) == 1
    assert "Event 123456" in repairs[0]
    assert "line 187" in repairs[0]
    for stream, keys in {
        "registrants": ("event_id", "email"),
        "viewing_sessions": ("event_id", "email", "session_number"),
        "survey_responses": ("event_id", "email", "response_number"),
    }.items():
        assert len(set(run.keys(stream, *keys))) == len(run.records[stream])


def comparable(run: TapOutput) -> dict[str, Any]:
    """What every format carries: registrants (standard fields, answers by label), sessions,
    Q&A and survey answers by survey name."""
    return {
        "registrants": [
            (
                r["email"],
                r["registration_date"],
                *(r.get(k) for k in STANDARD if k != "email"),
                sorted((a["label"] or "", a["value"]) for a in r["answers"] if a["label"]),
                r["total_sessions"],
                r["total_duration"],
            )
            for r in run.records["registrants"]
        ],
        "sessions": [
            (
                s["email"],
                s["session_number"],
                s["type"],
                s["start_time"],
                s["end_time"],
                s["duration"],
            )
            for s in run.records.get("viewing_sessions", [])
        ],
        "questions": [
            (q["email"], q["question"], q["answer"]) for q in run.records.get("questions", [])
        ],
        "survey_responses": sorted(
            (r["email"], r["survey_name"], r["value"])
            for r in run.records.get("survey_responses", [])
        ),
    }


def test_the_three_formats_agree_on_the_sample_and_a_generated_event(
    tmp_path: Path, server: EmulatorServer
) -> None:
    events = [SAMPLE, "2227117"]
    # A CSV report states no time zone: the tap takes it only in GMT (the settings say so).
    zones = {"xml": "America/New_York", "json": "America/New_York", "csv": "GMT"}
    runs = {
        fmt: sync(tmp_path, server, event_ids=events, report_format=fmt, timezone=zones[fmt])
        for fmt in ("xml", "json", "csv")
    }
    xml = comparable(runs["xml"])
    assert len(xml["registrants"]) == 6 + 12
    assert comparable(runs["json"]) == xml
    assert comparable(runs["csv"]) == xml
    # Answers keep their question id where the format carries it (standard questions).
    json_answer = runs["json"].records["registrants"][0]["answers"][0]
    assert json_answer == {"question_id": "firstname", "label": "First Name", "value": "Alice"}


def test_page_json_sample_broken_row_is_repaired_and_no_row_lost(
    tmp_path: Path, server: EmulatorServer
) -> None:
    run = sync(tmp_path, server, event_ids=["20786"], report_format="json", timezone="GMT")
    registrants = run.records["registrants"]
    assert [r["email"] for r in registrants] == [f"user{i}@company.com" for i in (1, 2, 3, 4)]
    assert len(run.records["viewing_sessions"]) == 3 + 1 + 2 + 1
    assert registrants[2]["registration_date"] == "2017-05-24T15:33:58Z"
    repairs = run.log_lines("repaired the JSON report")
    assert len(repairs) == 1
    assert "Event 20786" in repairs[0]
    assert "line 226" in repairs[0]
    # Ragged rows (issue 9: mapped as the sample shows): the registration cells where they
    # are, the totals found by their shape; what cannot be told apart is kept, never guessed.
    assert (registrants[1]["title"], registrants[1]["country"]) == (
        "Senior",
        "United States of America",
    )
    assert registrants[1]["unmapped_values"] == ["Answer 1", "Yes", "Yes"]
    assert run.log_lines("cell count that differs")


def test_dates_in_two_time_zones_give_the_same_utc_instants(
    tmp_path: Path, server: EmulatorServer
) -> None:
    runs = [
        sync(tmp_path, server, event_ids=["2227118"], timezone=tz) for tz in ("GMT", "Asia/Kolkata")
    ]
    reports = [r.records["event_reports"][0] for r in runs]
    asked = [r.query for r in server.requests.matching("/report/")]
    assert [q["tz"] for q in asked] == [["GMT"], ["Asia/Kolkata"]]
    assert reports[0]["live_start_time"] == reports[1]["live_start_time"]
    assert reports[0]["live_start_time"].endswith("Z")
    gmt, kolkata = (comparable(r) for r in runs)
    assert gmt == kolkata
    assert gmt["sessions"]


def test_filters_and_date_range_are_sent_as_the_api_names_them(tmp_path: Path) -> None:
    with EmulatorServer("webcasts", size=300, events=1, expired_events=0) as server:
        run, query = _filtered_sync(tmp_path, server)
    assert query["start"] == ["01/01/2026"]
    assert query["end"] == ["01/31/2026"]
    assert query["live_viewers"] == ["on"]
    assert query["dr_regs"] == ["off"]
    assert query["excl_domain"] == ["example.org|example.net"]
    assert query["sti_filter"] == ["Newsletter|Linkedin Campaign"]
    assert "no_shows" not in query  # unset filters keep the API's default
    report = run.records["event_reports"][0]
    assert report["filters"]["live_viewers"] is True
    assert report["filters"]["excl_domain"] == ["example.org", "example.net"]
    assert run.records["registrants"]
    for registrant in run.records["registrants"]:
        assert registrant["live_sessions"] >= 1
        assert registrant["source_track_id"] in ("Newsletter", "Linkedin Campaign")
        assert registrant["email"].endswith((".com", ".example"))


def _filtered_sync(tmp_path: Path, server: EmulatorServer) -> tuple[TapOutput, dict[str, Any]]:
    run = sync(
        tmp_path,
        server,
        event_ids=["2227117"],
        start_date="2026-01-01",
        end_date="2026-01-31",
        filter_live_viewers=True,
        filter_registered_in_range=False,
        exclude_domains=["example.org", "example.net"],
        campaign_ids=["Newsletter", "Linkedin Campaign"],
    )
    return run, server.requests.matching("/report/xml")[0].query
