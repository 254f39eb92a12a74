"""What the emulator was asked: tests assert on request counts, parameters and headers."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

# Query, form and JSON fields whose values never reach a log line (the emulators log too).
SECRET_FIELDS = frozenset(
    {"password", "secret", "client_secret", "apikey", "api_key", "token", "access_token"}
)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


class RequestRecorder:
    def __init__(self, maxlen: int = 200_000) -> None:
        self._items: deque[RecordedRequest] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def record(self, environ: dict, body: bytes) -> None:
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        item = RecordedRequest(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", ""),
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=body,
        )
        with self._lock:
            self._items.append(item)

    def __iter__(self) -> Iterator[RecordedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def matching(self, path_part: str = "", method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self
            if path_part in r.path and (method is None or r.method == method.upper())
        ]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def redact_query(query: str) -> str:
    """A query string with every secret field's value replaced by ``***``."""
    if not query:
        return query
    parts = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        parts.append(f"{name}={'***'}" if sep and name.lower() in SECRET_FIELDS else pair)
    return "&".join(parts)
