"""The report readers on their own: what is repaired, what is refused, and where."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from testkit import run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer, Fault
from tap_webcast_reporting.errors import BrokenReportError, UnreadableReportError
from tap_webcast_reporting.parsing import ParsedViewer, xml_report
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.values import local_to_utc, zone

HEAD = b'<convey_api version="2.0"><result><returnCode>1</returnCode><report_data>\n<viewers>\n'
TAIL = b"</viewers>\n</report_data></result></convey_api>\n"


def viewer(email: bytes, extra: bytes = b"") -> bytes:
    return (
        b"<viewer>\n<registration_answers>\n"
        b'<ra id="email">' + email + b"</ra>\n" + extra + b"</registration_answers>\n</viewer>\n"
    )


def parse(data: bytes, chunk: int = 7) -> list[ParsedViewer]:
    body = ReportBody(iter([data[i : i + chunk] for i in range(0, len(data), chunk)]))
    items = xml_report.parse(body, "42", zone("GMT"), logging.getLogger("test"))
    return [i for i in items if isinstance(i, ParsedViewer)]


def test_text_that_merely_looks_like_an_attribute_is_left_alone() -> None:
    odd = b'<ra id="title">He said "x="y"z</ra>\n'
    viewers = parse(HEAD + viewer(b"a@x.com", odd) + viewer(b"b@x.com") + TAIL)
    assert [v.answer("email") for v in viewers] == ["a@x.com", "b@x.com"]
    assert viewers[0].answer("title") == 'He said "x="y"z'


def test_a_broken_tag_split_over_lines_is_not_guessed() -> None:
    broken = b'<ra id="email"\nb@x.com</ra>\n'
    data = HEAD + viewer(b"a@x.com") + b"<viewer>\n<registration_answers>\n" + broken
    data += b"</registration_answers>\n</viewer>\n" + TAIL
    with pytest.raises(UnreadableReportError, match="event 42: the XML report is broken at line"):
        parse(data)


def test_a_report_cut_short_is_a_retriable_error() -> None:
    data = HEAD + viewer(b"a@x.com") + TAIL
    with pytest.raises(BrokenReportError, match="ended early"):
        parse(data[: len(data) - 30])


def test_entities_are_never_resolved_nor_fetched() -> None:
    doctype = b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
    data = doctype + HEAD + viewer(b"&x;") + TAIL
    viewers = parse(data)
    assert viewers[0].answer("email") in (None, "")  # the entity stays unexpanded


def test_report_times_across_a_daylight_saving_change() -> None:
    eastern = zone("America/New_York")
    assert local_to_utc("03/07/2026 11:00:00 AM", eastern) == "2026-03-07T16:00:00Z"
    assert local_to_utc("03/09/2026 11:00:00 AM", eastern) == "2026-03-09T15:00:00Z"
    assert local_to_utc("01/01/2026 12:00:00 AM", eastern) == "2026-01-01T05:00:00Z"
    assert local_to_utc("01/01/2026 12:30:00 PM", zone("GMT")) == "2026-01-01T12:30:00Z"
    with pytest.raises(ValueError, match="is not a report time"):
        local_to_utc("2026-01-01 12:00", eastern)


def test_an_unreadable_report_skips_its_event_and_the_sync_goes_on(
    tmp_path: Path, server: EmulatorServer
) -> None:
    broken = HEAD + b'<viewer>\n<registration_answers>\n<ra id="email"\n' + TAIL
    server.faults.add(
        Fault(
            "status",
            path="/report/",
            status=200,
            body=broken.decode(),
            content_type="application/xml",
        )
    )
    # GMT: this hand-made report states no time zone (one that does not is owed otherwise).
    cfg = config(server.url, event_ids=["2227117", "2227118"], timezone="GMT")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert {r["event_id"] for r in run.records["event_reports"]} == {"2227118"}
    # Issue 9: owed (it was skipped "until the next run", where it failed the same, forever).
    errors = run.log_lines("skipped event_id=2227117, is_expired=False, owed to the next sync")
    assert errors
    assert "broken at line" in errors[0]
    assert len(server.requests.matching("/report/")) == 2  # not fetched again: it would not help
    [owed] = run.state["bookmarks"]["event_reports"]["owed"]
    assert "broken at line" in owed["reason"]


def test_bare_ampersands_and_less_thans_in_text_are_escaped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    odd = b'<ra id="company">AT&T &copy; R&amp;D: 3 < 5, <3</ra>\n'
    with caplog.at_level(logging.WARNING, logger="test"):
        viewers = parse(HEAD + viewer(b"a@x.com", odd) + viewer(b"b@x.com") + TAIL)
    assert [v.answer("email") for v in viewers] == ["a@x.com", "b@x.com"]
    assert viewers[0].answer("company") == "AT&T &copy; R&D: 3 < 5, <3"
    lines = [r.getMessage() for r in caplog.records if "repaired the XML report" in r.getMessage()]
    assert lines == [
        "Event 42: repaired the XML report at line 6: escaped a bare '<'",
        "Event 42: repaired the XML report at line 6: escaped a bare '<'",
        "Event 42: repaired the XML report at line 6: escaped a bare '&'",
        "Event 42: repaired the XML report at line 6: escaped a bare '&'",
    ]


def test_comments_and_cdata_are_left_as_they_are() -> None:
    kept = b'<ra id="title"><![CDATA[R&D <team> & co]]></ra>\n<!-- a & b < c -->\n'
    viewers = parse(HEAD + viewer(b"a@x.com", kept) + TAIL, chunk=5)
    assert viewers[0].answer("title") == "R&D <team> & co"


def test_a_less_than_before_a_letter_is_not_guessed() -> None:
    broken = b'<ra id="company">Smith<Jones & Co</ra>\n'
    with pytest.raises(UnreadableReportError, match="in a way no repair settles"):
        parse(HEAD + viewer(b"a@x.com", broken) + TAIL)


def test_past_twenty_repairs_one_line_counts_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    many = b"".join(viewer(b"u%d@x.com" % i, b'<ra id="company">A&B</ra>\n') for i in range(25))
    with caplog.at_level(logging.WARNING, logger="test"):
        assert len(parse(HEAD + many + TAIL, chunk=4096)) == 25
    messages = [r.getMessage() for r in caplog.records]
    assert sum("repaired the XML report at line" in m for m in messages) == 20
    assert "Event 42: 5 more repairs of the XML report were made (25 in all)" in messages[-1]


def test_an_answer_that_is_not_a_report_is_retriable() -> None:
    from tap_webcast_reporting.errors import UnexpectedAnswerError

    page = b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>\n"
    with pytest.raises(UnexpectedAnswerError, match="not a report"):
        parse(page)
    no_viewers = b'<convey_api version="2.0"><result><returnCode>1</returnCode><report_data>'
    with pytest.raises(UnexpectedAnswerError, match="without <viewers>"):
        parse(no_viewers + b"</report_data></result></convey_api>\n")


def test_a_tag_that_lost_its_gt_is_repaired_in_a_report_on_one_line() -> None:
    """The page's broken attribute, in a report without line breaks (its repair needed the
    element alone on its line before issue 9)."""
    one_line = HEAD + viewer(b"a@x.com") + b"<viewer>\n<registration_answers>\n"
    one_line += b'<ra id="email"b@x.com</ra>\n</registration_answers>\n</viewer>\n' + TAIL
    viewers = parse(one_line.replace(b"\n", b" "), chunk=3)
    assert [v.answer("email") for v in viewers] == ["a@x.com", "b@x.com"]
