"""Vbrick Rev emulator: logins, webcast search, post-event and real-time reports.

``create_app(seed=42, size=40, **options)`` serves ``size`` webcasts scheduled every 12 hours up
to the moment the app is created (``anchor``): the last ``upcoming`` ones (default 1) are still to
come, the ``in_progress`` ones before them (default 1) are running, the others have ended. Of the
ended ones, ``large_webcasts`` (default 3) have more than 1,000 attendee sessions. Every record is
computed from ``(seed, webcast, run, index)`` when a page asks for it.

The state object (``app.extensions["emulator_state"]``, :class:`VbrickState`) holds what tests
switch: credentials, token lifetime, scroll lifetime, rate limits, forbidden webcasts, the clock,
and the other plausible answers of the real API the tap's assumptions are tested against
(webcasts not allowed to the user, webcasts running late, lost scrolls, real-time keys in
camelCase, fields left out, comments past one page, expirations already past, an unsorted
search, totals on the first page only, date-times without a zone).
"""

from emulators.vbrick.app import create_app
from emulators.vbrick.errors import error_body
from emulators.vbrick.state import VbrickState

__all__ = ["VbrickState", "create_app", "error_body"]
