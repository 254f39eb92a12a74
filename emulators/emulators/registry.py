"""Which vendor emulators exist, and the port each one takes by default."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Vendor:
    name: str
    module: str
    default_port: int


VENDORS: dict[str, Vendor] = {
    v.name: v
    for v in (
        Vendor("brightcove", "emulators.brightcove", 8701),
        Vendor("conviva", "emulators.conviva", 8702),
        Vendor("vbrick", "emulators.vbrick", 8703),
        Vendor("webcasts", "emulators.webcasts", 8704),
    )
}


def load(name: str) -> ModuleType:
    """Import a vendor's module; KeyError names the vendors that exist."""
    if name not in VENDORS:
        raise KeyError(f"unknown emulator {name!r}; known: {', '.join(VENDORS)}")
    return importlib.import_module(VENDORS[name].module)


def available() -> list[str]:
    """The vendors whose module is present in this checkout."""
    names = []
    for name, vendor in VENDORS.items():
        try:
            importlib.import_module(vendor.module)
        except ModuleNotFoundError as exc:
            if exc.name != vendor.module:
                raise
            continue
        names.append(name)
    return names
