"""Deterministic pseudo-random data: record ``i`` of seed ``s`` is the same on every call.

Nothing here holds a data set in memory: every value is derived from (seed, key parts), so an
emulator can serve ten records or ten million and generate only the page it is asked for.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime


def stable_int(seed: int, *parts: object) -> int:
    """A 64-bit integer that depends only on the seed and the parts."""
    key = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def rng(seed: int, *parts: object) -> random.Random:
    """A private random generator for one record (or one field of it)."""
    return random.Random(stable_int(seed, *parts))


def pick(seed: int, choices: list[str] | tuple[str, ...], *parts: object) -> str:
    return choices[stable_int(seed, *parts) % len(choices)]


def iso_ms(ts: float) -> str:
    """Epoch seconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the way the vendors write UTC)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso_s(ts: float) -> str:
    """Epoch seconds as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


FIRST_NAMES = (
    "Ada",
    "Bob",
    "Chen",
    "Dara",
    "Emeka",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
)
LAST_NAMES = (
    "Bailey",
    "Crooks",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Huang",
    "Ito",
    "Jones",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
)
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Industries",
    "Tyrell",
    "Cyberdyne",
)
COUNTRIES = ("US", "GB", "DE", "FR", "JP", "BR", "IN", "CA", "AU", "NG", "ES", "IT")
INDUSTRIES = ("Media", "Finance", "Healthcare", "Education", "Retail", "Technology", "Energy")
DOMAINS = ("example.com", "example.org", "example.net", "corp.example", "mail.example")


def epoch_seconds(value: str | float) -> float:
    """An emulator's ``now`` option: epoch seconds, or ISO 8601 with a zone (``...Z``)."""
    if not isinstance(value, str):
        return float(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"now={value!r} must carry a time zone (e.g. 2026-12-01T08:00:00Z)")
    return parsed.timestamp()
