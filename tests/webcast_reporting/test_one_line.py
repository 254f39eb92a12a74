"""A report without line breaks is read in bounded blocks (issue 9): before, the reader held a
whole line, so a 38 MB report on one line took 475 MB and was then refused and fetched again.
The readers' holdings are capped here, and the whole report still arrives."""

from __future__ import annotations

import json
import logging
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer
from tap_webcast_reporting.errors import UnreadableReportError
from tap_webcast_reporting.parsing import ParsedViewer, csv_report, json_report, xml_report
from tap_webcast_reporting.parsing.body import CHUNK, MAX_CARRY, ReportBody
from tap_webcast_reporting.values import zone

SIZE = 6_000  # about 6 MB of XML on one line
VIEWERS = 15_000  # about 6 MB (XML) and 7 MB (JSON) in the in-process tests
#: What one report reader may hold at once, whatever the report's size or line length.
HELD_CAP = MAX_CARRY + CHUNK
#: What Python may allocate at most while a one-line report is read (a whole line is more).
ALLOCATED_CAP = 4 * 1024 * 1024
LOG = logging.getLogger("test-one-line")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_report_on_one_line_of_several_mb_arrives_whole(tmp_path: Path, fmt: str) -> None:
    with EmulatorServer("webcasts", size=SIZE, events=1, expired_events=0, samples=False) as server:
        server.state.break_report("one_line")
        cfg = config(server.url, report_format=fmt, timezone="GMT")
        run = seen(run_cli(TAP, cfg, tmp_path, streams=["events", "event_reports", "registrants"]))
        assert run.returncode == 0, run.logs[-3000:]
        assert len(server.requests.matching("/report/")) == 1  # read once, never refused
    emails = [r["email"] for r in run.records["registrants"]]
    assert len(emails) == len(set(emails)) == SIZE
    assert run.records["event_reports"][0]["registrant_count"] == SIZE


def chunks(parts: Iterator[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """The parts as an HTTP body arrives: fixed-size chunks, never the whole report at once."""
    pending = b""
    for part in parts:
        pending += part
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if pending:
        yield pending


def xml_parts() -> Iterator[bytes]:
    yield (
        b'<convey_api version="2.0"><currentTimeZone>GMT</currentTimeZone><result>'
        b"<returnCode>1</returnCode><report_data><eventtitle>One line &amp; more</eventtitle>"
        b"<viewers>"
    )
    for i in range(VIEWERS):
        yield (
            b"<viewer><registration_date>01/02/2026 03:04:05 PM</registration_date>"
            b'<registration_answers><ra id="email">viewer.%d@example.com</ra>'
            b'<ra id="company">AT&T R&D</ra></registration_answers><sessions><session>'
            b"<type>Live</type><start_time>01/02/2026 03:04:05 PM</start_time>"
            b"<end_time>01/02/2026 03:14:05 PM</end_time><duration>600000</duration>"
            b"<media/></session></sessions><qa/><survey_responses/></viewer>" % i
        )
    yield b"</viewers></report_data></result></convey_api>"


def json_parts() -> Iterator[bytes]:
    headers = ["Event Id", "Event Title", "Cost Center", "Registered On", "Email", "sessions"]
    head = {"currentTimeZone": "Greenwich Mean Time", "data_headers": headers}
    yield json.dumps(head)[:-1].encode() + b', "data_rows": ['
    for i in range(VIEWERS):
        row = ["1", "x", "c" * 300, "01/02/2026 03:04:05 PM", f"viewer.{i}@example.com"]
        session = ["Live", "01/02/2026 03:04:05 PM", "01/02/2026 03:14:05 PM", 600000, "HTML5"]
        yield (b"," if i else b"") + json.dumps([*row, [session]]).encode()
    yield b"]}"


@pytest.mark.parametrize(("reader", "parts"), [(xml_report, xml_parts), (json_report, json_parts)])
def test_a_one_line_report_is_read_within_a_cap_on_what_the_reader_holds(
    reader: object, parts: object
) -> None:
    body = ReportBody(chunks(parts()))  # type: ignore[operator]
    tracemalloc.start()
    try:
        seen = 0
        for item in reader.parse(body, "42", zone("GMT"), LOG):  # type: ignore[attr-defined]
            if isinstance(item, ParsedViewer):
                seen += 1
                assert item.sessions[0]["duration"] == 600.0
        _, allocated = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == VIEWERS
    assert body.lines_read == 1
    assert body.peak <= HELD_CAP, body.peak
    assert allocated <= ALLOCATED_CAP, allocated


def test_a_csv_line_longer_than_the_cap_is_refused_not_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csv_report, "MAX_LINE", 1024 * 1024)
    header = b"Event Id,Event Title,Cost Center,Registered On,Email\r\n"
    endless = (b"x" * 65536 for _ in range(64))  # 4 MB without a line break
    body = ReportBody(chunks(iter([header, *endless])))
    with pytest.raises(UnreadableReportError, match="a line longer than"):
        list(csv_report.parse(body, "42", zone("GMT"), LOG))
    assert body.peak <= HELD_CAP
