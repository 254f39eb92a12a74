"""Streaming readers of the three report formats; each yields one :class:`ReportHeader`, then
one :class:`ParsedViewer` per registrant, never holding the report in memory."""

from __future__ import annotations

from tap_webcast_reporting.parsing.model import ParsedViewer, ReportHeader, ReportItem

__all__ = ["ParsedViewer", "ReportHeader", "ReportItem"]
