"""Child process of the floor measurement: ``python -m bench.floor module:function URL STREAM``.

The function fetches and decodes every page and yields each record; this writes each one as a
Singer RECORD line of ``STREAM`` exactly as singer-sdk's MsgSpecWriter (the taps' writer) does,
so the parent counts the floor's records from its stdout as it counts the tap's."""

from __future__ import annotations

import datetime
import importlib
import sys
from collections.abc import Iterable
from typing import Any

import msgspec


def _enc_hook(obj: Any) -> Any:
    # singer_sdk.contrib.msgspec.enc_hook: what msgspec cannot encode natively.
    return obj.isoformat(sep="T") if isinstance(obj, datetime.datetime) else str(obj)


# singer_sdk.contrib.msgspec's encoder, built alike so the floor needs nothing of the SDK.
ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook, decimal_format="number")


def write_records(stream: str, records: Iterable[dict[str, Any]]) -> None:
    """One RECORD line per record: the message RecordMessage.to_dict builds, encoded into one
    reused buffer, newline-terminated, written and flushed (MsgSpecWriter flushes each one)."""
    buffer = bytearray(64)
    for record in records:
        message = {
            "type": "RECORD",
            "stream": stream,
            "record": record,
            "time_extracted": datetime.datetime.now(datetime.UTC),
        }
        ENCODER.encode_into(message, buffer)
        buffer.extend(b"\n")
        sys.stdout.buffer.write(buffer)
        sys.stdout.flush()


def main() -> None:
    target, url, stream = sys.argv[1], sys.argv[2], sys.argv[3]
    module, _, function = target.partition(":")
    write_records(stream, getattr(importlib.import_module(module), function)(url))


if __name__ == "__main__":
    main()
