"""Local HTTP emulators of the four vendor APIs, with fault injection for tests.

Each vendor is one module (``emulators.brightcove``, ``emulators.conviva``, ``emulators.vbrick``,
``emulators.webcasts``) exposing ``create_app(seed=..., size=..., **options) -> flask.Flask``.
:class:`emulators.server.EmulatorServer` runs one on loopback with the shared fault switches.
"""

from emulators.faults import Fault, FaultInjector
from emulators.server import EmulatorServer

__all__ = ["EmulatorServer", "Fault", "FaultInjector"]
