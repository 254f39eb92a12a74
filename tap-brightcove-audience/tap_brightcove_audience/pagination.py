"""limit/offset paging until the answer's ``count``, refusing pages that repeat or never end."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import requests
from singer_sdk.pagination import OffsetPaginator

from tap_brightcove_audience.errors import PaginationError

# Pages beyond ceil(count / limit) tolerated before paging is declared endless.
EXTRA_PAGES_ALLOWED = 2

#: A page's body, decoded once (the stream gives its own reader: client.py's ``decoded()``).
PageReader = Callable[[requests.Response], Any]


class CountedOffsetPaginator(OffsetPaginator):
    """Advances ``offset`` by the records received while ``offset < count``."""

    #: Once the first page has given ``count``, every following offset is known: the pages
    #: are asked for ahead (offsets_ahead).
    tokens_known_ahead: ClassVar[bool] = True

    def __init__(self, page_size: int, label: str, read: PageReader) -> None:
        super().__init__(start_value=0, page_size=page_size)
        self.label = label
        self.read = read
        self.first_count: int | None = None
        self.per_page = page_size
        self.pages_read = 0
        self.previous_fingerprint: tuple[str, str] | None = None

    def offsets_ahead(self, response: requests.Response) -> range:
        """The offsets of the pages after this one, as far as its answer tells (``count``, and
        the records a page holds): pages that can be asked for before this one is read. The
        paginator still decides which page comes next (has_more, get_next)."""
        body = self.read(response)
        records = body.get("result") if isinstance(body, dict) else None
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records or type(count) is not int:
            return range(0)
        per_page = self.per_page
        if self.first_count is None:  # the first page: the same rule as has_more's
            per_page = len(records) if len(records) < count else self.page_size
        return range(self.current_value + len(records), count, max(1, per_page))

    def has_more(self, response: requests.Response) -> bool:
        body = self.read(response)
        records = body.get("result") or []
        count = int(body.get("count") or 0)
        self.pages_read += 1
        if self.first_count is None:
            self.first_count = count
            # The records a page holds: page_size, or fewer when the API serves fewer (a cap
            # of its own) while more are to come.
            self.per_page = len(records) if 0 < len(records) < count else self.page_size
        if len(records) > self.page_size:
            msg = (
                f"{self.label}: the page at offset {self.current_value} has {len(records)} "
                f"records, more than the limit {self.page_size}"
            )
            raise PaginationError(msg)
        fingerprint = (repr(records[0]), repr(records[-1])) if records else None
        if fingerprint is not None and fingerprint == self.previous_fingerprint:
            msg = (
                f"{self.label}: the page at offset {self.current_value} repeats the previous "
                "page: the API is ignoring offset, stopping instead of looping"
            )
            raise PaginationError(msg)
        self.previous_fingerprint = fingerprint
        most_pages = math.ceil(self.first_count / self.per_page) + EXTRA_PAGES_ALLOWED
        if self.pages_read > most_pages:
            msg = (
                f"{self.label}: {self.pages_read} pages fetched although count announced "
                f"{self.first_count} records: paging never ends, stopping"
            )
            raise PaginationError(msg)
        end = self.current_value + len(records)
        if end > count:
            msg = (
                f"{self.label}: the page at offset {self.current_value} holds records up to "
                f"{end}, past count {count}: count is not the number of records matching the "
                "query"
            )
            raise PaginationError(msg)
        if not records:
            # Before count: records left the window while paging (the stream warns); the
            # bookmark is at the last record read, so the next sync reads on from there.
            return False
        if end < count:
            return True
        # count reached. A full first page whose count is its own length may be counting the
        # page, not the query: one more page tells (empty: count was the total).
        full = len(records) in (self.page_size, body.get("limit"))
        return self.current_value == 0 and full and count == len(records)

    def get_next(self, response: requests.Response) -> int | None:
        # has_more said a next page is needed, so this page held records: the offset moves.
        return self.current_value + len(self.read(response).get("result") or [])
