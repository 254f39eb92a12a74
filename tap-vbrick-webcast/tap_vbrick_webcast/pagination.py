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


def scroll_step(payload: Any, items_key: str, total_key: str, seen: int) -> tuple[bool, int, Any]:
    """One answer of a scroll read after ``seen`` items: whether a page follows, the items seen
    with this one, and the total it announces (None when it announces none). A pure function of
    the answer, so that a page sent ahead can tell which page comes next (``next_token``) as the
    paginator will."""
    if not isinstance(payload, dict):
        return False, seen, None
    items = payload.get(items_key) or []
    seen += len(items)
    total = payload.get(total_key)
    if not (isinstance(total, int) and not isinstance(total, bool)):
        total = None
    if not items or (total is not None and seen >= total):
        return False, seen, total
    return bool(payload.get("scrollId")), seen, total


class ScrollPaginator(BaseAPIPaginator[ScrollToken | None]):
    """Follows ``scrollId`` until an answer has none, brings no items, or the items seen reach
    the answer's total (``total_key``). ``seen`` and ``total`` are kept, so that the stream can
    tell a scroll that ended short of its total (client.ScrollStream.check_count). An answer that
    is a plain array (comments without paging) is one page."""

    # A scroll id comes only with the answer before it: the next tokens cannot be computed
    # before that answer (a page sent ahead asks for its successor itself: next_token).
    tokens_known_ahead: ClassVar[bool] = False

    def __init__(self, items_key: str, total_key: str) -> None:
        super().__init__(None)
        self.items_key = items_key
        self.total_key = total_key
        self.seen = 0
        self.total: int | None = None

    def has_more(self, response: requests.Response) -> bool:
        more, self.seen, total = scroll_step(
            decoded(response, rev_json), self.items_key, self.total_key, self.seen
        )
        if total is not None:
            self.total = total
        return more

    def get_next(self, response: requests.Response) -> ScrollToken | None:
        payload = decoded(response, rev_json)
        scroll_id = payload.get("scrollId") if isinstance(payload, dict) else None
        # `count` already counts the page just read: the token is for the one after it.
        return ScrollToken(scroll_id, self.count + 1) if scroll_id else None

    def next_token(
        self, response: requests.Response, token: ScrollToken | None, seen: int
    ) -> tuple[ScrollToken | None, int]:
        """The token of the page after ``response`` (None: the scroll ends there) and the items
        seen with it, for the page of ``token`` read after ``seen`` items: what this paginator
        decides after that page, without changing its own state (free of side effects: a
        worker asks it for a page sent ahead)."""
        payload = decoded(response, rev_json)
        more, seen, _ = scroll_step(payload, self.items_key, self.total_key, seen)
        scroll_id = payload.get("scrollId") if more else None
        if not scroll_id:
            return None, seen
        return ScrollToken(scroll_id, (token.page if token else 1) + 1), seen
