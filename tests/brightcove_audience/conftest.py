"""Fixtures for tap-brightcove-audience: an emulator per test module, and the tap run in-process
with its Singer output captured (also when it fails)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
from testkit import start_emulator

from emulators import EmulatorServer
from tap_brightcove_audience.client import BrightcoveStream
from tap_brightcove_audience.tap import TapBrightcoveAudience

ACCOUNTS = ["1486906377", "57838016001"]
CLIENT_ID = "emulator-client"
CLIENT_SECRET = "emulator-secret"


def tap_config(url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "account_ids": ACCOUNTS,
        "start_date": "2026-01-01",
        "api_url": f"{url}/v1",
        "oauth_url": f"{url}/v4/access_token",
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


@dataclass
class SyncResult:
    messages: list[dict] = field(default_factory=list)
    error: BaseException | None = None

    def records(self, stream: str | None = None) -> list[dict]:
        return [
            m["record"]
            for m in self.messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    @property
    def state(self) -> dict:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}

    def bookmark(self, stream: str, account: str) -> str | None:
        for partition in self.state.get("bookmarks", {}).get(stream, {}).get("partitions", []):
            if partition["context"]["account_id"] == account:
                return partition.get("replication_key_value")
        return None


Sync = Callable[..., SyncResult]


def _select(tap: TapBrightcoveAudience, streams: list[str] | None) -> None:
    if streams is None:
        return
    for name, stream in tap.streams.items():
        stream.selected = name in streams


@pytest.fixture
def sync() -> Sync:
    """``sync(config, state=None, streams=None, catalog=None)``: run the tap in-process; never
    raises, the error (if any) is on the result beside every message written before it."""

    def run(
        config: dict,
        state: dict | None = None,
        streams: list[str] | None = None,
        catalog: dict | None = None,
    ) -> SyncResult:
        result = SyncResult()
        buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        try:
            with redirect_stdout(buffer):
                tap = TapBrightcoveAudience(
                    config=config, state=state or {}, catalog=catalog, setup_mapper=True
                )
                _select(tap, streams)
                tap.sync_all()
        except Exception as exc:
            result.error = exc
        buffer.flush()
        buffer.seek(0)
        result.messages = [json.loads(line) for line in buffer if line.strip()]
        return result

    return run


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff from 10 ms up to 50 ms instead of 1 s up to 60 s (Retry-After is
    still honoured)."""
    monkeypatch.setattr(BrightcoveStream, "BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setattr(BrightcoveStream, "BACKOFF_CAP_SECONDS", 0.05)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """A small emulator (300 view events and 60 leads per account) shared by a module."""
    server = start_emulator("brightcove", size=300)
    yield server
    server.stop()


@pytest.fixture
def server(emulator: EmulatorServer) -> EmulatorServer:
    """The module's emulator with no faults armed and an empty request log."""
    emulator.reset()
    emulator.state.tokens.clear()
    return emulator
