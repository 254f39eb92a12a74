"""The webcasts.com report parse alone, without HTTP or the SDK: ``python -m bench.webcasts_parse
{tap,lxml} N`` reads the XML report of an event of N registrants and prints how many registrant
records (``tap``) or ``<viewer>`` elements (``lxml``) it got, so that a parent process can time
it and read its peak RSS.

- ``lxml``: bare ``lxml.etree.iterparse``, clearing as it goes (the floor of any XML reader);
- ``tap``: the tap's own path from an answer's body to records, the functions
  ``EventReportsStream`` calls on the HTTP answer (parsing/body.py's ReportBody, the first bytes'
  return code as validate_response reads it, xml_report.parse with its checks and repairs,
  records.py's ReportShaping), with the streams the tap's bench case selects (``registrants``,
  bench/tap_webcast_reporting.py): every registrants record dict as the spool takes it. Not
  run: the check of the filters against the settings (one per report), the spool's files;
- ``tap-all``: the same with every report stream selected (sessions, Q&A, survey answers).

Both read the same bytes: the report the emulator serves (``emulators.webcasts`` with the
bench's options, its clock frozen), rendered once in a child process of its own and cached under
the system temp dir, keyed by N and :data:`VERSION`. ``render N`` only makes the file (a parent
may call :func:`ensure_report` first so that no timed run pays for it). Neither mode reads the
file whole."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

EVENT = "2227117"  # the first generated event of the emulator
#: The emulator's clock: the report's currentDateTime, so every rendering is the same bytes.
FROZEN_NOW = "2026-06-01T00:00:00Z"
#: Bump when the emulator's report changes: the cached files of older versions are not read.
VERSION = 1
READ_SIZE = 256 * 1024
#: What the tap's own bench case selects (bench/tap_webcast_reporting.py).
REGISTRANTS = frozenset({"registrants"})


def report_path(size: int) -> Path:
    return Path(tempfile.gettempdir(), "bench-webcasts-parse", f"registrants-{size}-v{VERSION}.xml")


def ensure_report(size: int) -> Path:
    """The cached report, rendered first (in a child process: the emulator's imports and
    rendering stay out of this process's memory and time) when missing."""
    path = report_path(size)
    if not path.exists():
        print(f"rendering the report of {size} registrants into {path}", file=sys.stderr)
        render_it = [sys.executable, "-m", "bench.webcasts_parse", "render", str(size)]
        subprocess.run(render_it, check=True, stdout=subprocess.DEVNULL)
    return path


def render(size: int) -> Path:
    """The report as the emulator serves it, streamed into a temporary file then renamed: a
    reader never sees half a file, two renderings racing leave one whole file."""
    from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME, create_app

    path = report_path(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(size=size, events=1, expired_events=0, samples=False, now=FROZEN_NOW)
    client = app.test_client()
    login = client.get(
        "/api/login/json",
        query_string={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD, "ver": "2.0"},
    ).get_json()
    params = {"ui": login["userid"], "si": login["sessionid"], "ver": "2.0", "ei": EVENT}
    answer = client.get(
        "/api/reporting/report/xml", query_string={**params, "tz": "GMT"}, buffered=False
    )
    fd, partial_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for block in answer.iter_encoded():
                out.write(block)
        os.replace(partial_name, path)
    except BaseException:
        Path(partial_name).unlink(missing_ok=True)
        raise
    finally:
        answer.close()
    return path


def blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks, as an HTTP answer's body arrives (``iter_content``)."""
    with path.open("rb") as handle:
        yield from iter(partial(handle.read, READ_SIZE), b"")


def count_lxml(path: Path) -> int:
    from lxml import etree

    seen = 0
    with path.open("rb") as handle:
        for _, viewer in etree.iterparse(handle, events=("end",), tag="viewer"):
            seen += 1
            viewer.clear()
            while viewer.getprevious() is not None:
                del viewer.getparent()[0]
    return seen


def count_tap(path: Path, streams: frozenset[str] | None = REGISTRANTS) -> int:
    from tap_webcast_reporting.parsing import xml_report
    from tap_webcast_reporting.parsing.body import ReportBody
    from tap_webcast_reporting.records import ReportShaping
    from tap_webcast_reporting.return_codes import SUCCESS, return_code
    from tap_webcast_reporting.values import zone

    logger = logging.getLogger("bench.webcasts_parse")
    body = ReportBody(blocks(path))
    if return_code(body.head) != SUCCESS:  # what validate_response reads first
        raise SystemExit(f"{path}: not a report")
    shaping = ReportShaping(EVENT, streams=streams)
    items = xml_report.parse(body, EVENT, zone("GMT"), logger, streams=streams)
    registrants = sum(1 for name, _ in shaping.records(items) if name == "registrants")
    body.close()  # the copy of the report kept on disk, as the stream closes it
    assert registrants == shaping.count
    return registrants


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webcasts_parse")
    parser.add_argument("mode", choices=("tap", "tap-all", "lxml", "render"))
    parser.add_argument("size", type=int, help="registrants in the report")
    args = parser.parse_args()
    if args.mode == "render":
        print(render(args.size))
        return
    path = ensure_report(args.size)
    if args.mode == "lxml":
        print(count_lxml(path))
    else:
        print(count_tap(path, REGISTRANTS if args.mode == "tap" else None))


if __name__ == "__main__":
    main()
