"""Readers of the API's answers. The report's three formats are read as streams (xml_report,
json_report, csv_report), each yielding one :class:`ReportHeader`, then one
:class:`ParsedViewer` per registrant, never holding the report in memory; the small XML answers
(login, time zones, event list) are read whole with :func:`safe_xml_parser`."""

from __future__ import annotations

from lxml import etree

from tap_webcast_reporting.parsing.model import ParsedViewer, ReportHeader, ReportItem

__all__ = ["ParsedViewer", "ReportHeader", "ReportItem", "safe_xml_parser"]


def safe_xml_parser() -> etree.XMLParser:
    """A parser that resolves no entity, loads no DTD and reaches no network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
    )
