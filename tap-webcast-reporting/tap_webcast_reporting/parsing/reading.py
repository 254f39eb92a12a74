"""What a report reader keeps besides the body: the event, the zone the report's times are in
(settled from what the report itself says, never assumed), and the values it could not read.

A value in a form the tap does not expect ("N/A" where a duration goes) never stops the report:
its typed field is null, the raw text is kept in the record's ``unparsed_values`` (a field of the
schema), and one warning per report counts them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from tap_webcast_reporting import values as v
from tap_webcast_reporting.errors import UnreadableReportError


class Reading:
    def __init__(self, event_id: str, asked: ZoneInfo, logger: logging.Logger) -> None:
        self.event_id = event_id
        self.asked = asked  # the timezone setting
        self.logger = logger
        self.zone = asked  # the zone the report's times are in, once settle_zone has run
        #: A report time as UTC ISO 8601 from ``zone``; raises for a value in another form.
        self.utc = v.utc_converter(asked)
        self.unparsed = 0
        self.first_unparsed: str | None = None

    def settle_zone(self, stated: str | None) -> ZoneInfo:
        """The zone the report's times are in, from what the report says (``currentTimeZone``;
        None when it says nothing); a warning when it is not the zone asked for. A report whose
        zone cannot be told without a guess is unreadable (its event is owed)."""
        try:
            self.zone, note = v.report_zone(stated, self.asked.key)
        except ValueError as exc:
            raise UnreadableReportError(f"event {self.event_id}: {exc}") from None
        self.utc = v.utc_converter(self.zone)
        if note:
            self.logger.warning("Event %s: %s", self.event_id, note)
        return self.zone

    def value(
        self, convert: Callable[[Any], Any], raw: Any, name: str, unparsed: dict[str, str]
    ) -> Any:
        """``convert(raw)``, or None with ``raw`` kept as text in ``unparsed`` under ``name``."""
        value = v.lenient(convert, raw, name, unparsed)
        if value is None and name in unparsed:
            self.unparsed += 1
            if self.first_unparsed is None:
                self.first_unparsed = f"{name} {unparsed[name][:80]!r}"
        return value

    def time(self, raw: Any, name: str, unparsed: dict[str, str]) -> str | None:
        """A report time as UTC ISO 8601, converted from the report's own zone."""
        return self.value(self.utc, raw, name, unparsed)

    def finish(self) -> None:
        """One warning for the values of the report the tap could not read, if any."""
        if self.unparsed:
            self.logger.warning(
                "Event %s: %d value(s) of the report are not in a form the tap reads (first: "
                "%s): each typed field is null and the raw text is kept in the record's "
                "unparsed_values",
                self.event_id,
                self.unparsed,
                self.first_unparsed,
            )
