"""Rev's scroll paging: each answer carries the ``scrollId`` of the next page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import requests
from singer_sdk.pagination import BaseAPIPaginator

from tap_vbrick_webcast.client import decoded, rev_json


@dataclass(frozen=True)
class ScrollToken:
    """The next page of a scroll: Rev's scroll id, and which page it asks for. Rev may send the
    same scroll id from page to page (its cursor lives on its side); the page number keeps two
    tokens in a row different, so the SDK's "same token twice is a loop" check holds."""

    scroll_id: str
    page: int


class ScrollPaginator(BaseAPIPaginator[ScrollToken | None]):
    """Follows ``scrollId`` until an answer has none, brings no items, or the items seen reach
    the answer's total (``total_key``). ``seen`` and ``total`` are kept, so that the stream can
    tell a scroll that ended short of its total (client.ScrollStream.check_count). An answer that
    is a plain array (comments without paging) is one page."""

    # A scroll id comes only with the answer before it: the next tokens cannot be computed
    # ahead (pages cannot be asked for in parallel).
    tokens_known_ahead: ClassVar[bool] = False

    def __init__(self, items_key: str, total_key: str) -> None:
        super().__init__(None)
        self.items_key = items_key
        self.total_key = total_key
        self.seen = 0
        self.total: int | None = None

    def has_more(self, response: requests.Response) -> bool:
        payload: Any = decoded(response, rev_json)
        if not isinstance(payload, dict):
            return False
        items = payload.get(self.items_key) or []
        self.seen += len(items)
        total = payload.get(self.total_key)
        if isinstance(total, int) and not isinstance(total, bool):
            self.total = total
        if not items or (isinstance(total, int) and self.seen >= total):
            return False
        return bool(payload.get("scrollId"))

    def get_next(self, response: requests.Response) -> ScrollToken | None:
        payload = decoded(response, rev_json)
        scroll_id = payload.get("scrollId") if isinstance(payload, dict) else None
        # `count` already counts the page just read: the token is for the one after it.
        return ScrollToken(scroll_id, self.count + 1) if scroll_id else None
