"""``python -m emulators serve``: run the emulators on loopback until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from typing import Any

from emulators import registry
from emulators.server import EmulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve emulators on loopback until Ctrl-C")
    serve.add_argument(
        "vendors",
        nargs="*",
        help=f"which ones (default: all present): {', '.join(registry.VENDORS)}",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--port",
        type=int,
        action="append",
        default=[],
        help="port per vendor, in the order given (0: a free one); default: each vendor's own",
    )
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--size", type=int, default=None, help="records per data set")
    serve.add_argument(
        "--now",
        default=None,
        help="start every emulator's clock at this instant (ISO 8601 with a zone), so that two "
        "runs serve the same data",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request (redacted)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    names = args.vendors or registry.available()
    options: dict[str, Any] = {"seed": args.seed}
    options |= {"size": args.size} if args.size is not None else {}
    options |= {"now": args.now} if args.now is not None else {}
    servers = []
    try:
        for i, name in enumerate(names):
            port = args.port[i] if i < len(args.port) else registry.VENDORS[name].default_port
            servers.append(EmulatorServer(name, host=args.host, port=port, **options).start())
            # Ready to paste: meltano.yml's `emulators` environment reads these variables.
            print(f"export {name.upper()}_EMULATOR_URL={servers[-1].url}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
