"""Run a vendor emulator on loopback in a background thread, behind the shared fault switches,
an optional latency on every answer, and counts of the answers by status."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from emulators import registry
from emulators.faults import Fault, FaultInjector
from emulators.latency import Latency
from emulators.recorder import RequestRecorder, redact_query
from emulators.stats import AnswerStats

log = logging.getLogger("emulators")

CONTROL_PREFIX = "/_emulator/"


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's access log, with secret query values masked (webcasts.com sends passwords
    in the query string) and at DEBUG level so test output stays readable. HTTP/1.1 keeps
    connections open between requests, as the vendors' servers do."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path, _, query = self.path.partition("?")
        target = f"{path}?{redact_query(query)}" if query else path
        log.debug("%s %s %s %s", self.address_string(), self.command, target, code)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("emulator: " + format, *args)


class EmulatorMiddleware:
    """Records each request, applies armed faults, holds answers for the latency, counts them
    by status, and serves the control endpoints (never delayed, never counted)."""

    def __init__(
        self,
        app: Any,
        faults: FaultInjector,
        recorder: RequestRecorder,
        latency: Latency | None = None,
        stats: AnswerStats | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.recorder = recorder
        self.latency = latency or Latency()
        self.stats = stats or AnswerStats()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        body = self._buffer_body(environ)
        self.recorder.record(environ, body)
        fault = self.faults.take(environ["REQUEST_METHOD"], path)
        hold = self.latency.draw()
        if fault is not None and fault.kind == "drop":
            # No answer, noticed by the client after the same trip as an answer.
            time.sleep(hold)
            self.stats.count(None)
            return _drop_connection(environ, start_response)
        counted = self._counting(start_response)
        if hold <= 0:
            return self._answer(fault, environ, counted)
        # The app handles the request now (a vendor's rate limiter counts it on arrival); only
        # the finished answer waits. Each request has its own thread: the sleep holds no lock.
        status, headers, data = _buffered(lambda s: self._answer(fault, environ, s))
        time.sleep(hold)
        counted(status, headers)
        return [data]

    def _counting(self, start_response: Any) -> Any:
        def counted(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            self.stats.count(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        return counted

    def _answer(self, fault: Fault | None, environ: dict, start_response: Any) -> Iterable[bytes]:
        """The app's answer, or the armed fault's."""
        if fault is None:
            return self.app(environ, start_response)
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return self.app(environ, start_response)
        if fault.kind == "status":
            status, headers, data = self.faults.status_response(fault)
            start_response(_status_line(status), headers)
            return [data]
        return self._malformed(environ, start_response)

    @staticmethod
    def _buffer_body(environ: dict) -> bytes:
        """Read the body once so that both the recorder and the app can see it."""
        import io

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _malformed(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        status, headers, data = _buffered(lambda s: self.app(environ, s))
        cut = data[: max(1, len(data) // 2)]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(cut))))
        start_response(status, headers)
        return [cut]

    def _control(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        action = environ["PATH_INFO"][len(CONTROL_PREFIX) :].strip("/")
        payload: Any
        if action == "faults" and method == "POST":
            raw = self._buffer_body(environ)
            try:
                fault = self.faults.add(Fault(**json.loads(raw or b"{}")))
            except (TypeError, ValueError) as exc:
                return _json(start_response, 400, {"error": str(exc)})
            payload = fault.to_dict()
        elif action == "faults" and method == "DELETE":
            self.faults.clear()
            payload = {"cleared": True}
        elif action == "faults":
            payload = [f.to_dict() for f in self.faults.armed]
        elif action == "requests" and method == "DELETE":
            self.recorder.clear()
            payload = {"cleared": True}
        elif action == "stats" and method == "DELETE":
            self.stats.clear()
            payload = {"cleared": True}
        elif action == "stats":
            payload = self.stats.snapshot()
        elif action == "requests":
            payload = [
                {"method": r.method, "path": r.path, "query": r.query, "at": r.at}
                for r in self.recorder
            ]
        else:
            return _json(start_response, 404, {"error": f"no control endpoint {action!r}"})
        return _json(start_response, 200, payload)


def _buffered(call: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI call to the end: its status line, headers and whole body (a streamed body is
    produced now, so that what it does, e.g. release a quota slot, happens now)."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = call(capture)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(chunks)


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def _json(start_response: Any, status: int, payload: Any) -> list[bytes]:
    data = json.dumps(payload, default=str).encode()
    start_response(
        _status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _drop_connection(environ: dict, start_response: Any) -> Iterable[bytes]:
    """Shut the socket so the client sees the connection end with no answer."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    start_response("500 Connection dropped", [("Content-Length", "0")])
    return []


class EmulatorServer:
    """One vendor emulator on ``host:port`` (port 0: a free one), served from a thread.

    Every answer to a vendor path is held ``latency + uniform(0, latency_spread)`` seconds on
    its way back (drawn from a generator seeded with the ``seed`` option); ``options`` go to
    the vendor's ``create_app``.

    >>> with EmulatorServer("brightcove", latency=0.05, seed=1, size=100) as server:
    ...     server.url, server.faults, server.requests, server.app, server.stats()
    """

    def __init__(
        self,
        vendor: str,
        *,
        latency: float = 0.0,
        latency_spread: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        app: Flask | None = None,
        **options: Any,
    ) -> None:
        self.vendor = vendor
        if app is None:
            module = registry.load(vendor)
            app = module.create_app(**options)
            error_body = getattr(module, "error_body", None)
        else:
            error_body = None
        self.app: Flask = app
        self.faults = FaultInjector(error_body)
        self.requests = RequestRecorder()
        self.latency = Latency(latency, latency_spread, seed=f"{vendor}:{options.get('seed')}")
        self.answers = AnswerStats()
        self._wsgi = EmulatorMiddleware(
            self.app, self.faults, self.requests, self.latency, self.answers
        )
        self._server: BaseWSGIServer = make_server(
            host, port, self._wsgi, threaded=True, request_handler=RedactingRequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """Base URL of the emulator, without a trailing slash."""
        return f"http://{self._server.host}:{self.port}"

    @property
    def state(self) -> Any:
        """The vendor module's in-memory state object (tokens, clocks, switches)."""
        return self.app.extensions.get("emulator_state")

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"emulator-{self.vendor}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stats(self) -> dict[str, object]:
        """The answers to vendor paths so far: ``{"requests": N, "throttled": M, "statuses":
        {"200": n, "429": m, ...}}`` (the same as ``GET /_emulator/stats``)."""
        return self.answers.snapshot()

    def reset(self) -> None:
        """Disarm faults, forget recorded requests and zero the stats (between tests sharing
        one server)."""
        self.faults.clear()
        self.requests.clear()
        self.answers.clear()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
