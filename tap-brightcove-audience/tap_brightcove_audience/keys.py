"""The record key: the Audience API gives view events and leads no id.

The key is a hash of the account and of the fields that are written once, when the event or the
lead is created, and never change afterwards (``updated_at``, ``watched``, ``time_watched``,
``is_synced``, custom events and metrics change while a view event is processed, and are left
out). The same record therefore gets the same key on every sync, and loaders upsert it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

SEPARATOR = "\x1f"  # a character none of the fields contain


def record_key(account_id: str, record: Mapping[str, object], fields: tuple[str, ...]) -> str:
    """32 hex characters of BLAKE2b over account_id and ``fields`` (missing: empty)."""
    parts = [account_id]
    for name in fields:
        value = record.get(name)
        parts.append(value if type(value) is str else "" if value is None else str(value))
    return hashlib.blake2b(SEPARATOR.join(parts).encode(), digest_size=16).hexdigest()
