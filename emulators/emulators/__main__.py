"""``python -m emulators serve``: run the emulators on loopback until interrupted (Ctrl-C or
SIGTERM). Once every server listens, one ``export <VENDOR>_EMULATOR_URL=http://...`` line each
is printed (flushed), so a script or the benchmark can start this as a process and read them."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from typing import Any

from emulators import registry
from emulators.server import EmulatorServer


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text!r}")
    return value


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object of create_app options")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulators")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve emulators on loopback until Ctrl-C or SIGTERM")
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
    serve.add_argument("--seed", type=int, default=None, help="the data sets' seed (42)")
    serve.add_argument("--size", type=int, default=None, help="records per data set")
    serve.add_argument(
        "--now",
        default=None,
        help="start every emulator's clock at this instant (ISO 8601 with a zone), so that two "
        "runs serve the same data",
    )
    serve.add_argument(
        "--options",
        type=_json_object,
        default={},
        metavar="JSON",
        help="a JSON object of create_app options given to every vendor named, e.g. "
        '\'{"size": 100000, "accounts": ["1486906377"]}\' (the vendor package documents them)',
    )
    serve.add_argument(
        "--latency",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="hold every answer this long before sending it (the control endpoints excepted)",
    )
    serve.add_argument(
        "--latency-spread",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="and up to this much longer, drawn uniformly (a generator seeded by the seed)",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request (redacted)")
    return parser


def _options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The create_app options: the flags', then --options (naming one twice is refused)."""
    flags = {name: getattr(args, name) for name in ("seed", "size", "now")}
    flags = {name: value for name, value in flags.items() if value is not None}
    both = sorted(flags.keys() & args.options.keys())
    if both:
        parser.error(f"--options sets {', '.join(both)} and so does its own flag: give one")
    return {"seed": 42} | flags | args.options


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    names = args.vendors or registry.available()
    unknown = [name for name in names if name not in registry.VENDORS]
    if unknown:
        parser.error(f"unknown emulator {unknown[0]!r}; known: {', '.join(registry.VENDORS)}")
    options = _options(parser, args)
    # Before any server listens: a SIGTERM sent as soon as the first line is read stops cleanly.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    servers: list[EmulatorServer] = []
    try:
        for i, name in enumerate(names):
            port = args.port[i] if i < len(args.port) else registry.VENDORS[name].default_port
            try:
                server = EmulatorServer(
                    name,
                    latency=args.latency,
                    latency_spread=args.latency_spread,
                    host=args.host,
                    port=port,
                    **options,
                )
            except (TypeError, ValueError, OSError) as exc:
                print(f"python -m emulators: {name}: {exc}", file=sys.stderr, flush=True)
                return 2
            servers.append(server.start())
            # Ready to paste: meltano.yml's `emulators` environment reads these variables.
            print(f"export {name.upper()}_EMULATOR_URL={server.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        # Side by side: each shutdown waits out its server's poll interval (half a second).
        stopping = [threading.Thread(target=server.stop) for server in servers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
