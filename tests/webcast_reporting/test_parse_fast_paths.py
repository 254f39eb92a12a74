"""The XML reader's fast paths (issue 10) give what the general paths give: the report times
converted hour by hour, the registrants record made by the reader as it reads, the records of
some streams only, and a report read as it came (the repairs only after lxml refused it)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from webcast_reporting.report_files import EVENT, blocks, render_report

from tap_webcast_reporting.parsing import ParsedViewer, xml_report
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.records import ReportRecords, ReportShaping
from tap_webcast_reporting.values import UNEXPECTED, local_to_utc, utc_converter, zone

LOG = logging.getLogger("test-fast-paths")
VIEWER_STREAMS = ("registrants", "viewing_sessions", "questions", "survey_responses")
#: Zones with daylight saving changes, offsets of half and quarter hours, a 30-minute change.
ZONES = (
    "GMT",
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
)


def report_times() -> Iterator[str | None]:
    """Every quarter hour around the 2026 daylight saving changes, and forms the tap does not
    expect or reads only through the general path."""
    for day in ("03/08/2026", "03/29/2026", "04/05/2026", "10/04/2026", "10/25/2026", "11/01/2026"):
        start = datetime.strptime(day, "%m/%d/%Y") - timedelta(hours=2)
        for quarter in range(0, 30 * 4):
            at = start + timedelta(minutes=15 * quarter, seconds=quarter % 60)
            yield at.strftime("%m/%d/%Y %I:%M:%S %p")
    yield from (
        None,
        "",
        "  ",
        "N/A",
        " 1/02/2026 03:04:05 PM",
        "1/2/2026 3:04:05 pm",
        "01/02/2026 03:04:05 PM ",
        "01/01/2026 13:00:00 PM",
        "01/01/2026 12:60:00 PM",
        "01/01/2026 12:00:60 AM",
        "02/30/2026 01:00:00 AM",
        "13/01/2026 01:30:00 AM",
        "\u0661\u0662/01/2026 01:00:00 AM",
        "01/01/2026 01:0\u0661:00 AM",
        "01/01/2026 01:00:00 XM",
        "01/01/2026T01:00:00 AM",
    )


def outcome(convert: Any, value: str | None) -> tuple[str, Any]:
    try:
        return "value", convert(value)
    except UNEXPECTED as exc:
        return "error", type(exc)


@pytest.mark.parametrize("name", ZONES)
def test_times_converted_hour_by_hour_are_those_converted_one_by_one(name: str) -> None:
    tz = zone(name)
    convert = utc_converter(tz)
    for _ in range(2):  # the second time from what the converter remembers
        for value in report_times():
            assert outcome(convert, value) == outcome(lambda x: local_to_utc(x, tz), value), value


def viewers_of(path: Path, timezone: str, streams: set[str] | None) -> list[Any]:
    body = ReportBody(blocks(path))
    items = list(xml_report.parse(body, EVENT, zone(timezone), LOG, streams=streams))
    body.close()
    return items


VARIANTS = (None, "unexpected_values", "unescaped", "missing_gt", "one_line")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, Path]:
    folder = tmp_path_factory.mktemp("reports")
    return {
        variant: render_report(
            folder / f"{variant}.xml", 400, variant=variant, timezone="America/New_York"
        )
        for variant in VARIANTS
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_registrants_record_the_xml_reader_makes_is_the_one_report_records_makes(
    reports: dict[str | None, Path], variant: str | None
) -> None:
    header, *viewers = viewers_of(reports[variant], "America/New_York", None)
    records = ReportRecords(EVENT, header)
    for viewer in viewers:
        assert isinstance(viewer, ParsedViewer)
        assert viewer.registrant is not None
        general = dataclasses.replace(viewer, registrant=None, email=None)
        [(_, made)] = [r for r in records.viewer_records(general) if r[0] == "registrants"]
        assert json.dumps(viewer.registrant) == json.dumps(made)  # the fields and their order


def shaped(path: Path, streams: set[str] | None) -> list[tuple[str, dict[str, Any]]]:
    body = ReportBody(blocks(path))
    shaping = ReportShaping(EVENT, streams=streams)
    items = xml_report.parse(body, EVENT, zone("America/New_York"), LOG, streams=streams)
    out = list(shaping.records(items))
    body.close()
    assert shaping.count == 400
    return out


@pytest.mark.parametrize(
    "streams",
    [{"registrants"}, {"viewing_sessions"}, {"questions", "survey_responses"}, set()],
    ids=lambda s: "+".join(sorted(s)) or "none",
)
@pytest.mark.parametrize("variant", [None, "unexpected_values"])
def test_the_records_of_some_streams_are_those_of_every_stream(
    reports: dict[str | None, Path], variant: str | None, streams: set[str]
) -> None:
    every = shaped(reports[variant], None)
    some = shaped(reports[variant], streams)
    viewer_records = [(n, r) for n, r in every if n not in VIEWER_STREAMS or n in streams]
    assert json.dumps(some) == json.dumps(viewer_records)


def test_a_well_formed_report_is_read_once_as_it_came(
    reports: dict[str | None, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_reading(self: ReportBody) -> ReportBody:
        raise AssertionError("read again")

    monkeypatch.setattr(ReportBody, "replay", no_second_reading)
    assert len(viewers_of(reports[None], "America/New_York", None)) == 401


def test_a_report_lxml_refuses_is_read_again_with_the_repairs_each_viewer_handed_on_once(
    reports: dict[str | None, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A bare '&' in the 300th viewer: lxml refuses it past the first pieces, the viewers
    before it already handed on; the second reading, repaired, hands on only the others."""
    clean = reports[None].read_bytes()
    at = -1
    for _ in range(300):
        at = clean.index(b"<viewer>", at + 1)
    company = clean.index(b'<ra id="company">', at) + len(b'<ra id="company">')
    broken = tmp_path / "broken.xml"
    broken.write_bytes(clean[:company] + b"AT&T " + clean[company:])
    expected = viewers_of(reports[None], "America/New_York", None)
    got = viewers_of(broken, "America/New_York", None)
    assert len(got) == len(expected) == 401
    for n, (mine, theirs) in enumerate(zip(got[1:], expected[1:], strict=True), 1):
        if n == 300:
            assert mine.registrant["company"] == "AT&T " + theirs.registrant["company"]
        else:
            assert json.dumps(mine.registrant) == json.dumps(theirs.registrant)
    assert "escaped a bare '&'" in caplog.text


def test_the_copy_of_a_report_read_as_it_came_counts_its_lines_and_goes_with_close(
    reports: dict[str | None, Path],
) -> None:
    body = ReportBody(blocks(reports[None]))
    body.keep_copy()
    data = b"".join(iter(lambda: body.read(), b""))
    assert data == reports[None].read_bytes()
    assert body.lines_read == data.count(b"\n") + 1
    assert body.last_line_chars == len(data) - data.rfind(b"\n") - 1
    body.close()
    with pytest.raises(RuntimeError, match="lines unknown"):
        body.lines_read  # noqa: B018
