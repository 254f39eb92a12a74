"""The XML report's first reading follows the report's shape (issue 10: the viewers taken from
``<viewers>`` as the tree grows, no lxml event per element); whatever the report holds, the
items handed on, the errors and the warnings are those of the reading event by event that read
every report before (``_Walk.items``, then the repaired reading after an error of lxml), on one
block and on many: the shape it expects, the shapes it reads alike (other elements, text or
comments among the viewers, the header's elements after ``</viewers>``), and those it hands
over to that reading (a ``<viewer>`` before, after or inside another, a second ``<viewers>``,
an answer that is no report, a broken or cut report)."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from webcast_reporting.report_files import EVENT, render_report

from tap_webcast_reporting.parsing import xml_report
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.values import zone

VIEWERS = 300  # about 300 kB: several of the body's 64 kB pieces
Mutation = Callable[[bytes], bytes]


def nth(data: bytes, needle: bytes, n: int) -> int:
    """Where the ``n``-th ``needle`` is (the last one in a report that has fewer)."""
    at = -1
    for _ in range(min(n, data.count(needle))):
        at = data.index(needle, at + 1)
    return at


def insert_at(needle: bytes, n: int, what: bytes, after: bool = False) -> Mutation:
    def mutate(data: bytes) -> bytes:
        at = nth(data, needle, n) + (len(needle) if after else 0)
        return data[:at] + what + data[at:]

    return mutate


def replace(old: bytes, new: bytes, count: int = 1) -> Mutation:
    return lambda data: data.replace(old, new, count)


STRAY = b"<viewer><registration_answers><ra id='email'>stray@example.org</ra>"
STRAY += b"</registration_answers></viewer>"
SHAPES: dict[str, Mutation] = {
    "as_served": lambda data: data,
    "viewer_before_viewers": insert_at(b"<viewers>", 1, STRAY),
    "viewer_in_a_viewer": insert_at(b"</viewer>", 40, STRAY),
    "viewer_in_an_answer": insert_at(b"</ra>", 200, STRAY),
    "viewer_in_the_last_viewer": insert_at(b"</viewers>", 1, STRAY + b"</viewer>", after=False),
    "viewer_after_viewers": insert_at(b"</viewers>", 1, STRAY, after=True),
    "viewer_at_the_end": replace(b"</convey_api>", STRAY + b"</convey_api>"),
    "second_viewers": insert_at(b"</viewers>", 1, b"<viewers>" + STRAY + b"</viewers>", True),
    "viewers_in_a_viewer": insert_at(b"</viewer>", 100, b"<viewers>" + STRAY + b"</viewers>"),
    "other_elements_among_viewers": lambda data: data.replace(
        b"</viewer>", b"</viewer><note>x</note>"
    ),
    "text_and_comments_among_viewers": lambda data: data.replace(
        b"</viewer>", b"</viewer> text <!-- c -->"
    ),
    "title_after_viewers": insert_at(b"</viewers>", 1, b"<eventtitle>Late</eventtitle>", True),
    "analytics_after_viewers": lambda data: insert_at(
        b"</viewers>", 1, b"<event_analytics><no_shows>7</no_shows></event_analytics>", True
    )(data.replace(b"<event_analytics>", b"<event_analytics_x>", 1)),
    "element_after_result": replace(b"</convey_api>", b"<trailer>x</trailer></convey_api>"),
    "empty_viewers": lambda data: re.sub(rb"<viewers>.*</viewers>", b"<viewers/>", data, flags=16),
    "no_viewers": lambda data: re.sub(rb"<viewers>.*</viewers>", b"", data, flags=16),
    "viewers_elsewhere": lambda data: re.sub(
        rb"(<viewers>.*</viewers>)(</report_data>)", rb"\2\1", data, flags=16
    ),
    "other_root": lambda data: data.replace(b"convey_api", b"other_api"),
    "namespaced": replace(b'<convey_api version="2.0">', b'<convey_api xmlns="urn:x">'),
    "bare_ampersand": insert_at(b'<ra id="company">', 150, b"AT&T ", after=True),
    "unrepairable": insert_at(b'<ra id="company">', 150, b"Smith<Jones ", after=True),
    "cut_short": lambda data: data[: nth(data, b"<viewer>", 250) + 40],
    "cut_in_the_header": lambda data: data[: data.index(b"<surveys>") + 20],
    "entities": lambda data: data.replace(
        b"<convey_api", b'<!DOCTYPE convey_api [<!ENTITY co "Acme">]><convey_api', 1
    ).replace(b'<ra id="company">', b'<ra id="company">&co; ', 5),
    "one_line": lambda data: data.replace(b"\n", b""),
    "empty": lambda data: b"",
    "not_xml": lambda data: b"Service unavailable",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[int, bytes]:
    folder = tmp_path_factory.mktemp("shapes")
    return {
        size: render_report(folder / f"{size}.xml", size, timezone="America/New_York").read_bytes()
        for size in (3, VIEWERS)
    }


def outcome(data: bytes, caplog: pytest.LogCaptureFixture) -> tuple[list[str], str, list[str]]:
    """The items (as JSON), the error and the warnings of reading ``data``."""
    caplog.clear()
    body = ReportBody(iter([data[i : i + 100_000] for i in range(0, len(data), 100_000)]))
    items: list[str] = []
    error = ""
    try:
        for item in xml_report.parse(body, EVENT, zone("America/New_York"), LOG):
            fields = item if isinstance(item, dict) else dataclasses.asdict(item)
            items.append(json.dumps(fields, default=str))
    except Exception as exc:  # the error is what is compared
        error = f"{type(exc).__name__}: {exc}"
    finally:
        body.close()
    return items, error, [r.getMessage() for r in caplog.records]


LOG = logging.getLogger("test-parse-shapes")


def event_by_event(self: Any, body: ReportBody) -> Iterator[Any]:
    """The first reading as it was before issue 10: event by event, without repairs."""
    return self.items(body)


@pytest.mark.parametrize("size", [3, VIEWERS], ids=["one_block", "many_blocks"])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_shaped_reading_hands_on_what_the_reading_event_by_event_hands_on(
    served: dict[int, bytes],
    shape: str,
    size: int,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.WARNING)
    data = SHAPES[shape](served[size])
    shaped = outcome(data, caplog)
    monkeypatch.setattr(xml_report._Walk, "shaped_items", event_by_event)
    before = outcome(data, caplog)
    assert shaped == before
    if shape == "as_served":
        assert len(shaped[0]) == size + 1
        assert not shaped[1]


def test_a_report_of_the_expected_shape_is_read_once_without_events(
    served: dict[int, bytes], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_other_reading(self: ReportBody) -> ReportBody:
        raise AssertionError("read again")

    monkeypatch.setattr(ReportBody, "replay", no_other_reading)
    for mutate in (SHAPES["as_served"], SHAPES["other_elements_among_viewers"]):
        items, error, _ = outcome(mutate(served[VIEWERS]), caplog)
        assert (len(items), error) == (VIEWERS + 1, "")


def test_what_the_first_reading_handed_on_is_not_handed_on_again(
    served: dict[int, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """A ``<viewer>`` after ``</viewers>``: the viewers were handed on by the shaped reading,
    the stray one by the reading event by event, each once."""
    items, error, _ = outcome(SHAPES["viewer_after_viewers"](served[VIEWERS]), caplog)
    assert not error
    emails = [json.loads(i).get("email") for i in items[1:]]
    assert len(emails) == len(set(emails)) == VIEWERS + 1
    assert emails[-1] == "stray@example.org"
