"""Child process of the floor measurement: ``python -m bench.floor module:function URL``.

Runs the function (which fetches and decodes every page and returns how many records it saw)
and prints that count, so the parent can time it and read its peak RSS."""

from __future__ import annotations

import importlib
import sys


def main() -> None:
    target, url = sys.argv[1], sys.argv[2]
    module, _, function = target.partition(":")
    count = getattr(importlib.import_module(module), function)(url)
    print(count)


if __name__ == "__main__":
    main()
