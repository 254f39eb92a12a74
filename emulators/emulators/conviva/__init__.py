"""Conviva Insights 3.0 Sessions API emulator (``emulators.conviva``).

Serves ``/insights/3.0/sessions/...`` behind HTTP Basic auth: the discovery endpoint, sample
content and ad sessions with the documented time-range, limit and filter rules, the viewer
endpoints and the account's dimensions. Sessions are generated per minute from the seed, so any
window is computed on demand, whatever the size.
"""

from emulators.conviva.app import create_app, error_body
from emulators.conviva.state import ConvivaState

__all__ = ["ConvivaState", "create_app", "error_body"]
