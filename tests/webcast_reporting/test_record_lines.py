"""The report streams write their RECORD lines directly, without the SDK's per-value type
conformance (streams.py's ReportPartStream, TYPE_CONFORMANCE_LEVEL NONE): that is only right
while the records records.py makes already are what the SDK's strictest conformance would make
of them. This compares both paths on every report format, the values the parsers do not expect
included."""

from __future__ import annotations

import re
import typing as t

import pytest
from singer_sdk.helpers.conform import TypeConformanceLevel
from testkit import run_tap
from webcast_reporting.helpers import config, seen

from emulators import EmulatorServer
from tap_webcast_reporting.messages import RecordLines
from tap_webcast_reporting.streams import ReportPartStream
from tap_webcast_reporting.tap import TapWebcastReporting

EVENT, OTHER = "2227117", "2227118"


def _records(output: t.Any) -> dict[str, list[dict[str, t.Any]]]:
    """The records of each stream that has some, with the time the emulator ran each report
    (its clock's second, which two runs may not share; the CSV report has none) set aside."""
    kept = {name: records for name, records in output.records.items() if records}
    for report in kept["event_reports"]:
        run_time = report.pop("report_run_time", None)
        assert run_time is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", run_time)
    return kept


@pytest.mark.parametrize("fmt", ["xml", "json", "csv"])
def test_the_records_written_directly_are_those_the_sdks_conformance_makes(
    server: EmulatorServer, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.state.break_report("unexpected_values", event_id=EVENT)
    cfg = config(server.url, event_ids=[EVENT, OTHER], report_format=fmt, timezone="GMT")
    written: list[str] = []
    sdk_write = RecordLines.write

    def counted(self: RecordLines, record: dict[str, t.Any]) -> None:
        written.append(self.name)
        sdk_write(self, record)

    with monkeypatch.context() as patched:
        patched.setattr(RecordLines, "write", counted)
        direct = seen(run_tap(TapWebcastReporting, cfg))
    parts = {
        s.name
        for s in TapWebcastReporting(config=cfg).streams.values()
        if isinstance(s, ReportPartStream)
    }
    report_streams = {name for name, s in direct.records.items() if s} & parts
    assert {"registrants", "viewing_sessions"} <= report_streams
    assert set(written) == report_streams  # every report stream's lines went the direct way
    assert len(written) == sum(len(direct.records[name]) for name in report_streams)

    with monkeypatch.context() as patched:
        patched.setattr(ReportPartStream, "TYPE_CONFORMANCE_LEVEL", TypeConformanceLevel.RECURSIVE)
        conformed = seen(run_tap(TapWebcastReporting, cfg))
    assert _records(direct) == _records(conformed)
    assert "not found in catalog schema" not in conformed.logs
