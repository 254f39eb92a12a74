"""Rev's scroll paging: each answer carries the ``scrollId`` of the next page."""

from __future__ import annotations

from typing import Any

import requests
from singer_sdk.pagination import BaseAPIPaginator

from tap_vbrick_webcast.payload import payload_of


class ScrollPaginator(BaseAPIPaginator[str | None]):
    """Follows ``scrollId`` until an answer has none, brings no items, or the items seen reach
    the answer's total (``total_key``)."""

    def __init__(self, items_key: str, total_key: str) -> None:
        super().__init__(None)
        self.items_key = items_key
        self.total_key = total_key
        self.seen = 0

    def has_more(self, response: requests.Response) -> bool:
        payload: Any = payload_of(response)
        if not isinstance(payload, dict):
            return False
        items = payload.get(self.items_key) or []
        self.seen += len(items)
        total = payload.get(self.total_key)
        if not items or (isinstance(total, int) and self.seen >= total):
            return False
        return bool(payload.get("scrollId"))

    def get_next(self, response: requests.Response) -> str | None:
        payload = payload_of(response)
        return payload.get("scrollId") if isinstance(payload, dict) else None

    def advance(self, response: requests.Response) -> None:
        # The cursor lives on Rev's side: a scroll id may stay the same from page to page, so
        # the SDK's "same token twice is a loop" check does not apply; the total bounds the loop.
        self._page_count += 1
        if not self.has_more(response):
            self._finished = True
            return
        self._value = self.get_next(response)
        self._finished = not self._value
