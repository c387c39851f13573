"""Helpers of the import tests: running the CLI, reading a .bib back, and a real HTTP server on
127.0.0.1 that answers like the APIs `scholarpage import` talks to.

Each route (a path, optionally a predicate on the query) has a list of replies given in turn
(the last one repeats), so a test can say "503, then the recorded answer". A reply can also
stall (hold the connection until the test ends: timeouts, Ctrl-C), trickle its body, or
promise more bytes than it sends. Every request is recorded (path, query, headers), so tests
assert on the work done rather than on time.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
SHARED_API = REPO.parent / "shared" / "corpus" / "api"
FIXTURES = REPO / "tests" / "fixtures" / "api"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/octet-stream"
    stall: bool = False  # accept the request, then send nothing until the server stops
    drip: float = 0.0  # seconds between single bytes of the body
    promise: int | None = None  # Content-Length to announce (more than is sent: cut off)


Responder = Callable[[dict[str, list[str]]], Reply]


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


@dataclass
class _Route:
    path: str
    replies: list[Reply | Responder]
    match: Callable[[dict[str, list[str]]], bool] | None = None
    served: int = 0


@dataclass
class RecordedAPI:
    """Routes and the requests seen; `stalled` is set when a stalling reply is reached."""

    routes: list[_Route] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    on_request: Callable[[Request], None] | None = None
    url: str = ""

    def add(
        self,
        path: str,
        *replies: Reply | Responder,
        match: Callable[[dict[str, list[str]]], bool] | None = None,
    ) -> None:
        self.routes.insert(0, _Route(path, list(replies), match))

    def reply_for(self, path: str, query: dict[str, list[str]]) -> Reply:
        for route in self.routes:
            if route.path == path and (route.match is None or route.match(query)):
                index = min(route.served, len(route.replies) - 1)
                route.served += 1
                chosen = route.replies[index]
                return chosen if isinstance(chosen, Reply) else chosen(query)
        return Reply(404, b"no such route", content_type="text/plain")

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


def _handler(api: RecordedAPI) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            request = Request(parts.path, query, dict(self.headers.items()), time.monotonic())
            api.requests.append(request)
            if api.on_request is not None:
                api.on_request(request)
            reply = api.reply_for(parts.path, query)
            if reply.stall:
                api.stalled.set()
                api.release.wait(120)
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            length = reply.promise if reply.promise is not None else len(reply.body)
            self.send_header("Content-Length", str(length))
            for name, value in reply.headers:
                self.send_header(name, value)
            if reply.promise is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            try:
                if reply.drip:
                    for i in range(len(reply.body)):
                        if api.release.is_set():
                            break
                        self.wfile.write(reply.body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                else:
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            if reply.promise is not None:
                self.close_connection = True

    return Handler


def serve(api: RecordedAPI) -> Iterator[RecordedAPI]:
    """Run `api` on 127.0.0.1 (an ephemeral port) for the duration of a fixture."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        api.release.set()
        server.shutdown()
        server.server_close()


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m generator ARGS` with this checkout and a fixed reference date (2026-11-28)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1795824000"}
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 1 with every fragment in the message, and no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def entries(path: Path) -> dict[str, dict[str, str]]:
    """key -> fields, as the importer's own scanner reads the file back."""
    from generator.importers.bibfile import read_blocks

    text = path.read_text(encoding="utf-8")
    return {b.entry.key or "": b.entry.values() for b in read_blocks(text)}


def shared(name: str) -> bytes:
    """A recorded response from the shared corpus (tests skip when it is absent)."""
    return (SHARED_API / name).read_bytes()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
