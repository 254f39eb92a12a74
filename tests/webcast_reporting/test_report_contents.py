"""What a report holds that the tap did not expect (issue 9): a value in another form ("N/A"
where a duration goes) is kept as text and the report goes on; vendor XML broken by hand is
repaired where only one reading exists; the page's JSON sample rows, shorter than its header,
keep their totals, Q&A and survey answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testkit import PgTarget, run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer
from emulators.webcasts.render_xml import BARE_TEXT

EVENT, OTHER = "2227117", "2227118"


def by_email(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["email"]: r for r in records}


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["xml", "json", "csv"])
def test_a_value_the_parsers_do_not_expect_is_kept_as_text_and_the_report_goes_on(
    tmp_path: Path, server: EmulatorServer, fmt: str, pg_target: PgTarget
) -> None:
    server.state.break_report("unexpected_values", event_id=EVENT)
    cfg = config(server.url, event_ids=[EVENT, OTHER], report_format=fmt, timezone="GMT")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-3000:]
    registrants = [r for r in run.records["registrants"] if r["event_id"] == EVENT]
    assert len(registrants) == 12  # every registrant of the event, the odd one included
    odd = registrants[0]
    assert odd["registration_date"] is None
    assert odd["unparsed_values"]["registration_date"] in ("N/A", "TBD")
    assert all("unparsed_values" not in r for r in registrants[1:])
    assert all(r["registration_date"] for r in registrants[1:])
    if fmt != "xml":  # the flat formats carry the totals: a count and a duration
        assert odd["live_sessions"] is None
        assert odd["live_duration"] is None
        assert odd["unparsed_values"]["live_duration"] == "N/A"
    if fmt != "csv":  # the event's own values
        report = next(r for r in run.records["event_reports"] if r["event_id"] == EVENT)
        field = "total_sessions" if fmt == "xml" else "event_duration"
        assert report[field] is None
        assert report["unparsed_values"][field] == "N/A"
    sessions = [s for s in run.records["viewing_sessions"] if s["email"] == odd["email"]]
    for session in sessions:
        assert session["duration"] is None
        assert session["unparsed_values"] == {"duration": "N/A"}
        assert session["start_time"].endswith("Z")
    [warning] = run.log_lines(f"Event {EVENT}: ")[-1:]
    assert "value(s) of the report are not in a form the tap reads" in warning
    assert not run.state["bookmarks"]["event_reports"].get("owed")
    # The schema declares the raw values: the loader keeps them.
    pg_target.load(run, tmp_path)
    [(raw,)] = pg_target.query(
        f'SELECT unparsed_values FROM "{pg_target.schema}".registrants '  # noqa: S608
        "WHERE email = %s",
        odd["email"],
    )
    assert raw == odd["unparsed_values"]


def test_an_odd_value_in_the_event_list_is_kept_as_text() -> None:
    from lxml import etree

    from tap_webcast_reporting.streams import EventsStream
    from tap_webcast_reporting.tap import TapWebcastReporting

    tap = TapWebcastReporting(config=config("http://127.0.0.1:9"), validate_config=False)
    events = tap.streams["events"]
    assert isinstance(events, EventsStream)
    element = etree.fromstring(
        '<event_info id="1" event_expiry="soon" is_expired="maybe" latest_registration="N/A"'
        ' latest_session="1554920650000">x</event_info>'
    )
    record = events.record_of(element)
    assert record["latest_activity"] == record["latest_session"] == "2019-04-10T18:24:10Z"
    assert record["is_expired"] is False
    assert record["unparsed_values"] == {
        "latest_registration": "N/A",
        "event_expiry": "soon",
        "is_expired": "maybe",
    }


@pytest.mark.parametrize(
    ("kind", "repaired", "check"),
    [
        ("unescaped", "escaped a bare '&'", ("company", BARE_TEXT)),
        ("missing_gt", "lacked its '>'", ("email", None)),
    ],
)
def test_vendor_xml_broken_by_hand_is_repaired_where_only_one_reading_exists(
    tmp_path: Path,
    server: EmulatorServer,
    kind: str,
    repaired: str,
    check: tuple[str, str | None],
) -> None:
    whole = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    server.state.break_report(kind, event_id=EVENT)
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-3000:]
    assert len(run.records["registrants"]) == 12
    field, value = check
    first = run.records["registrants"][0]
    assert first[field] == (value or whole.records["registrants"][0][field])
    lines = run.log_lines("repaired the XML report at line")
    assert any(repaired in line for line in lines)
    assert all(f"Event {EVENT}" in line for line in lines)
    if kind == "unescaped":
        assert any("escaped a bare '<'" in line for line in lines)
    assert not run.state["bookmarks"]["event_reports"].get("owed")


def test_the_page_json_sample_rows_keep_their_totals_qa_and_survey_answers(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """Every row of the page's JSON sample is shorter than data_headers (one registration cell
    fewer): before issue 9 only the cells up to Email were read."""
    cfg = config(server.url, event_ids=["20786"], report_format="json", timezone="GMT")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-3000:]
    registrants = by_email(run.records["registrants"])
    totals = {
        email: (r["live_sessions"], r["od_sessions"], r["total_sessions"], r["total_duration"])
        for email, r in registrants.items()
    }
    assert totals == {
        "user1@company.com": (3, 0, 3, 33 * 60),
        "user2@company.com": (1, 0, 1, 11 * 60),
        "user3@company.com": (2, 0, 2, 10 * 60 + 2),
        "user4@company.com": (1, 0, 1, 6 * 60 + 54),
    }
    user2 = registrants["user2@company.com"]
    assert (user2["firstname"], user2["city"], user2["phone"], user2["fax"]) == (
        "Josh",
        "New York",
        "888-888-8888",
        "111-111-1111",
    )
    questions = [(q["email"], q["question"], q["answer"]) for q in run.records["questions"]]
    assert questions == [
        ("user1@company.com", "greta?", "answer"),
        ("user1@company.com", "good morning?", "yes it is"),
        ("user1@company.com", "another question", "another answer"),
    ]
    responses = [
        (r["email"], r["survey_name"], r["question_label"], r["value"])
        for r in run.records["survey_responses"]
    ]
    assert responses == [
        ("user1@company.com", "Sample Survey 1", "Question 1", "Answer 1|Answer 2"),
        ("user1@company.com", "Sample Survey 1", "Question 2", "Answer 2|Answer 1"),
        ("user1@company.com", "Sample Survey 2", "Question 1", "Answer 2|Answer 1"),
        ("user1@company.com", "Sample Attendance Survey", None, "Yes|Yes|No"),
        (
            "user1@company.com",
            "Post Event Survey",
            "Did you enjoy the webcast ?",
            "No|Yes|Yes",
        ),
    ]
    # The other rows list only some Q&A pairs and survey answers: which columns they fill
    # cannot be told from the row, so they are kept as text, not guessed.
    assert [registrants[f"user{i}@company.com"]["unmapped_values"] for i in (1, 2, 3, 4)] == [
        None,
        ["Answer 1", "Yes", "Yes"],
        ["Answer 1", "Answer 1", "Answer 1", "No"],
        ["kool?", "great webcast, very good"],
    ]
    [warning] = run.log_lines("cell count that differs from data_headers")
    assert "4 rows" in warning
    assert "3 of them hold cells whose column cannot be told" in warning
    assert not run.log_lines("count other Total Sessions")  # each row's sessions add up
