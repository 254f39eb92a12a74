"""The derived keys: documented, reproducible, and blind to the fields that keep changing."""

from __future__ import annotations

import hashlib

from brightcove_audience.helpers import tap_config

from tap_brightcove_audience.streams import LeadsStream, ViewEventsStream
from tap_brightcove_audience.tap import TapBrightcoveAudience
from tap_brightcove_audience.values import to_utc_ms

EVENT = {
    "created_at": "2016-04-25T18:31:55.071Z",
    "updated_at": "2016-04-25T18:32:00.879Z",
    "page_url": "http://players.brightcove.net/1486906377/BkgFuzyhg_default/index.html?videoId=4842718056001",
    "player_id": "BkgFuzyhg",
    "time_watched": 15,
    "video_id": "4842718056001",
    "video_name": "Horses Heading to the Track",
    "watched": 99,
}


def _stream() -> ViewEventsStream:
    tap = TapBrightcoveAudience(config=tap_config("http://127.0.0.1:9"), validate_config=False)
    stream = tap.streams["view_events"]
    assert isinstance(stream, ViewEventsStream)
    return stream


def test_view_event_key_is_the_documented_hash() -> None:
    shaped = _stream().shape(dict(EVENT), "1486906377")
    parts = ["1486906377", EVENT["created_at"], EVENT["video_id"], "BkgFuzyhg", EVENT["page_url"]]
    expected = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    assert shaped["view_event_key"] == expected
    assert ViewEventsStream.key_fields == ("created_at", "video_id", "player_id", "page_url")
    assert LeadsStream.key_fields == ("created_at", "email_address", "video_id", "player_id")


def test_key_ignores_what_processing_changes_and_follows_what_it_does_not() -> None:
    stream = _stream()
    key = stream.shape(dict(EVENT), "1")["view_event_key"]
    processed = {**EVENT, "updated_at": "2016-04-26T00:00:00.000Z", "watched": 100}
    assert stream.shape(processed, "1")["view_event_key"] == key
    assert stream.shape(dict(EVENT), "2")["view_event_key"] != key
    later = {**EVENT, "created_at": "2016-04-25T18:31:55.072Z"}
    assert stream.shape(later, "1")["view_event_key"] != key


def test_timestamps_become_utc_with_milliseconds() -> None:
    assert to_utc_ms("2016-04-25T18:30:21.651Z") == "2016-04-25T18:30:21.651Z"
    assert to_utc_ms("2016-04-25T20:30:21+02:00") == "2016-04-25T18:30:21.000Z"
    assert to_utc_ms("2016-04-25T18:30:21.651123") == "2016-04-25T18:30:21.651Z"
    offset = {**EVENT, "created_at": "2016-04-25T20:31:55.071+02:00"}
    assert (
        _stream().shape(offset, "1")["view_event_key"]
        == _stream().shape(dict(EVENT), "1")["view_event_key"]
    )
