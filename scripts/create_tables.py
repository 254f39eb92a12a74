"""Create a tap's tables in the loader before its partitions run at the same time.

``python scripts/create_tables.py tap-brightcove-audience [target-postgres]`` sends the loader
(``meltano invoke``, in the current Meltano environment) one SCHEMA message per selected stream
of the tap's catalog and no record: the loader creates each table, and nothing else. Why:
target-postgres 0.8.1 checks whether a table exists and then creates it, so two partitions that
start together into a new schema can both try to create it, and one fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# The meltano beside this interpreter (`uv run` or .venv/bin/python), else the one on PATH.
_BESIDE = Path(sys.executable).with_name("meltano")
MELTANO = str(_BESIDE) if _BESIDE.exists() else "meltano"


def schema_messages(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    messages = []
    for stream in catalog["streams"]:
        top: dict[str, Any] = next(
            (m["metadata"] for m in stream["metadata"] if m["breadcrumb"] == []), {}
        )
        if not (top.get("selected") or top.get("inclusion") == "automatic"):
            continue
        keys = stream.get("key_properties") or top.get("table-key-properties") or []
        messages.append(
            {
                "type": "SCHEMA",
                "stream": stream["tap_stream_id"],
                "schema": stream["schema"],
                "key_properties": keys,
            }
        )
    return messages


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        raise SystemExit("usage: python scripts/create_tables.py TAP [LOADER (target-postgres)]")
    tap, loader = argv[0], (argv[1] if len(argv) > 1 else "target-postgres")
    dumped = subprocess.run(
        [MELTANO, "invoke", "--dump=catalog", tap], capture_output=True, text=True, check=False
    )
    if dumped.returncode != 0:
        sys.stderr.write(dumped.stderr[-4000:])
        return dumped.returncode
    messages = schema_messages(json.loads(dumped.stdout))
    lines = "".join(json.dumps(m) + "\n" for m in messages)
    loaded = subprocess.run([MELTANO, "invoke", loader], input=lines, text=True, check=False)
    if loaded.returncode == 0:
        print(f"{loader}: tables of {tap}: {', '.join(m['stream'] for m in messages)}")
    return loaded.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
