"""Local HTTP emulators of the four vendor APIs, with fault injection for tests.

Each vendor is one module (``emulators.brightcove``, ``emulators.conviva``, ``emulators.vbrick``,
``emulators.webcasts``) exposing ``create_app(seed=..., size=..., **options) -> flask.Flask``;
each enforces its vendor's documented rate limit by default, answered as the vendor does.
:class:`emulators.server.EmulatorServer` runs one on loopback with the shared fault switches, an
optional latency on every answer (``latency``, ``latency_spread``) and counts of the answers by
status (``stats()``, ``GET /_emulator/stats``); ``python -m emulators serve`` runs them in a
process of their own.
"""

from emulators.faults import Fault, FaultInjector
from emulators.server import EmulatorServer

__all__ = ["EmulatorServer", "Fault", "FaultInjector"]
