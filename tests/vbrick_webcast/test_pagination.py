"""Rev's scroll tokens: the SDK's paginator loop drives them, with no override of its own."""

from __future__ import annotations

import io
import json

import requests

from tap_vbrick_webcast.pagination import ScrollPaginator, ScrollToken


def answer(**body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = io.BytesIO(json.dumps(body).encode())
    return response


def test_the_same_scroll_id_twice_is_not_a_loop() -> None:
    # Rev may send the same scroll id from page to page: the page number tells them apart.
    paginator = ScrollPaginator("sessions", "totalSessions")
    assert paginator.current_value is None
    paginator.advance(answer(sessions=[1, 2], totalSessions=5, scrollId="abc"))
    assert paginator.current_value == ScrollToken("abc", 2)
    paginator.advance(answer(sessions=[3, 4], totalSessions=5, scrollId="abc"))
    assert paginator.current_value == ScrollToken("abc", 3)
    assert not paginator.finished
    paginator.advance(answer(sessions=[5], totalSessions=5, scrollId="abc"))
    assert paginator.finished  # the total is reached


def test_a_scroll_ends_without_scroll_id_or_items() -> None:
    paginator = ScrollPaginator("events", "total")
    paginator.advance(answer(events=[1], total=10))
    assert paginator.finished
    paginator = ScrollPaginator("events", "total")
    paginator.advance(answer(events=[], total=10, scrollId="abc"))
    assert paginator.finished


def test_scroll_tokens_cannot_be_known_ahead() -> None:
    assert ScrollPaginator.tokens_known_ahead is False
