"""The preview's HTTP side: the server, request resolution, host checks and the live-reload
channel (`scholarpage serve` = the watch/rebuild session in generator/serve.py + this).

See generator/serve.py's docstring for the limits (ServeLimits) and the Host policy
(HostPolicy) this module enforces.
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import ipaddress
import json
import mimetypes
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlsplit

from generator.errors import Problem, ScholarpageError
from generator.output import MARKER

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

EVENTS_PATH = "/__scholarpage/events"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
KEEPALIVE_S = 15.0  # an SSE comment this often notices closed tabs
REQUEST_TIMEOUT_S = 10.0  # a connection that sends or accepts nothing this long is dropped
LISTEN_BACKLOG = 128  # connections the kernel holds while every handler is busy (was 5)
MAX_HANDLERS = 128  # handler threads at once; each open tab's event stream holds one
WRITE_CHUNK = 64 * 1024  # a send gets the whole timeout per chunk, not per file
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "127.0.0.1", "[::1]"})
_HOST_RE = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::[0-9]*)?", re.ASCII)
MAX_LISTED = 200  # changed paths sent to pages; past this, pages assume everything changed


@dataclass(frozen=True)
class ServeLimits:
    """How long and how many: the defaults suit a preview; tests pass small ones."""

    timeout: float = REQUEST_TIMEOUT_S
    keepalive: float = KEEPALIVE_S
    handlers: int = MAX_HANDLERS
    backlog: int = LISTEN_BACKLOG


@dataclass(frozen=True)
class HostPolicy:
    """Which Host headers are answered (see the module docstring for why and which)."""

    names: frozenset[str]
    any_address: bool = False  # bound to every address: any literal IP address is answered too
    shown: tuple[str, ...] = field(default=(), compare=False)  # for the 403 text

    def refusal(self, values: list[str], version: str) -> tuple[int, str] | None:
        """None when a request with these Host values may be answered, else status and why."""
        if len(values) > 1:
            return HTTPStatus.BAD_REQUEST, "a request must have one Host header, not several"
        if not values:
            if version in ("HTTP/0.9", "HTTP/1.0"):
                return None
            return HTTPStatus.BAD_REQUEST, "an HTTP/1.1 request must have a Host header"
        name = host_name(values[0])
        if name is not None and (name in self.names or (self.any_address and _is_ip(name))):
            return None
        sent = values[0] if len(values[0]) <= 80 else values[0][:77] + "..."
        return (
            HTTPStatus.FORBIDDEN,
            f"this preview answers only requests for {', '.join(self.shown)} (any port); the "
            f"request named {sent!r}. It refuses other names so that a web page you visit "
            "cannot read the preview by pointing its own domain at this computer (DNS "
            "rebinding). Open the address `scholarpage serve` printed.",
        )


def host_name(value: str) -> str | None:
    """The host of a Host header value, lower-cased and without the port; None if malformed."""
    match = _HOST_RE.fullmatch(value.strip(" \t").lower())
    return match.group(1) if match else None


def _is_ip(name: str) -> bool:
    try:
        if name.startswith("["):
            ipaddress.IPv6Address(name[1:-1])
        else:
            ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def _authority(address: str) -> str:
    """An address as it appears in a Host header: IPv6 in brackets."""
    return f"[{address}]" if ":" in address else address


def host_policy(host: str, bound: str) -> HostPolicy:
    """The names answered by a server started with `--host host` and bound to `bound`."""
    extra = {_authority(bound).lower(), _authority(host.strip("[]")).lower()}
    shown = ("localhost", "127.0.0.1", "[::1]")
    try:
        address = ipaddress.ip_address(bound)
    except ValueError:  # cannot happen for a bound socket; answer the loopback names only
        return HostPolicy(LOOPBACK_NAMES, shown=shown)
    if address.is_loopback:
        names = LOOPBACK_NAMES | extra
        return HostPolicy(names, shown=(*shown, *sorted(names - LOOPBACK_NAMES)))
    if address.is_unspecified:
        machine = socket.gethostname().lower()
        names = LOOPBACK_NAMES | {machine}
        return HostPolicy(names, any_address=True, shown=(*shown, machine, "any IP address"))
    names = LOOPBACK_NAMES | extra
    return HostPolicy(names, shown=(*shown, *sorted(names - LOOPBACK_NAMES)))


# --- what the pages are told ------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The state a page needs: which build it shows, whether HTML changed, current errors."""

    generation: int
    build: int
    html_build: int
    errors: tuple[dict[str, Any], ...]
    mount: str
    # the output paths the latest build changed, and the build before it: a page that has seen
    # that one knows whether it must fetch itself again; None: too many to list
    changed: tuple[str, ...] | None = None
    previous: int = 0
    scripts: int = 0  # the last build that changed a script: pages since swap whole, re-run

    def message(self) -> str:
        data = {
            "build": self.build,
            "html_build": self.html_build,
            "errors": self.errors,
            "changed": self.changed,
            "previous": self.previous,
            "scripts": self.scripts,
        }
        return f"data: {json.dumps(data)}\n\n"


class LiveState:
    """Shared between the rebuild thread and request threads; every change wakes SSE streams."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cond = threading.Condition()
        self._snap = Snapshot(0, 0, 0, (), "/")
        self._closed = False

    def snapshot(self) -> Snapshot:
        with self._cond:
            return self._snap

    def built(self, changed: tuple[str, ...], mount: str) -> None:
        with self._cond:
            s = self._snap
            build = s.build + 1 if changed else s.build
            css_only = bool(changed) and all(p.endswith(".css") for p in changed)
            html_build = s.html_build if css_only or not changed else build
            listed = changed if len(changed) <= MAX_LISTED else None
            scripts = build if any(p.endswith((".js", ".mjs")) for p in changed) else s.scripts
            previous = s.build
            if not changed:  # nothing new: keep telling what the latest build changed
                listed, previous = s.changed, s.previous
            self._snap = Snapshot(
                s.generation + 1, build, html_build, (), mount, listed, previous, scripts
            )
            self._cond.notify_all()

    def failed(self, errors: tuple[dict[str, Any], ...]) -> None:
        with self._cond:
            s = self._snap
            self._snap = Snapshot(
                s.generation + 1,
                s.build,
                s.html_build,
                errors,
                s.mount,
                s.changed,
                s.previous,
                s.scripts,
            )
            self._cond.notify_all()

    def wait(self, generation: int, timeout: float) -> Snapshot | None:
        """The snapshot once it differs from `generation` (or after `timeout`); None if closed."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._closed or self._snap.generation != generation, timeout
            )
            return None if self._closed else self._snap

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def mount_path(base_url: str) -> str:
    """The path the site is served under: base_url's path, so subpath mistakes show locally."""
    path = urlsplit(base_url).path if base_url else ""
    path = "/" + path.strip("/")
    return path if path == "/" else path + "/"


def problem_data(problem: Problem, site_dir: Path) -> dict[str, Any]:
    """A problem for the overlay, with the file shown relative to the site when inside it."""
    file = problem.file
    shown = None
    if file is not None:
        try:
            shown = str(file.resolve().relative_to(site_dir))
        except ValueError:
            shown = str(file)
    text = Problem(
        problem.message, Path(shown) if shown else None, problem.line, problem.key, problem.hint
    ).format()
    return {
        "file": shown,
        "line": problem.line,
        "message": problem.message,
        "hint": problem.hint,
        "text": text,
    }


# --- HTTP -----------------------------------------------------------------------------------


@functools.cache
def client_script() -> str:
    """The live-reload client (serve_client.js, shipped in the package)."""
    return resources.files("generator").joinpath("serve_client.js").read_text(encoding="utf-8")


def live_script(build: int, mount: str = "/") -> bytes:
    tag = (
        f'<script data-scholarpage-live data-build="{build}" data-events="{EVENTS_PATH}" '
        f'data-mount="{html.escape(mount)}">{client_script()}</script>'
    )  # no text after it: the page parsed so far is then the served page minus this script
    return tag.encode("utf-8")


def inject(html: bytes, script: bytes) -> bytes:
    """Put the script before the last </body>, or at the end of a page without one."""
    at = html.lower().rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


@dataclass(frozen=True)
class Resolved:
    """Where a request path leads: a file, a redirect, or an error status."""

    status: int
    file: Path | None = None
    location: str | None = None


def resolve_request(raw_path: str, mount: str, root: Path) -> Resolved:
    """Map a request path to a file inside `root`, refusing every way out of it.

    Encoded slashes and backslashes, doubled slashes, dot segments (also percent-encoded) and
    symlinks that lead outside the output folder are refused rather than normalised.
    """
    path, _, query = raw_path.partition("?")
    path = path.partition("#")[0]
    lowered = path.lower()
    if (
        not path.startswith("/")
        or "\\" in path
        or "//" in path
        or any(code in lowered for code in ("%2f", "%5c", "%00"))
    ):
        return Resolved(HTTPStatus.FORBIDDEN)
    decoded = unquote(path, errors="strict")
    segments = decoded.split("/")[1:]
    if any(seg in (".", "..") or "\x00" in seg for seg in segments[:-1]) or segments[-1] in (
        ".",
        "..",
    ):
        return Resolved(HTTPStatus.FORBIDDEN)
    suffix = f"?{query}" if query else ""
    if mount != "/":
        if path in ("/", mount[:-1]):
            return Resolved(HTTPStatus.FOUND, location=mount)
        if not path.startswith(mount):
            return Resolved(HTTPStatus.NOT_FOUND)
        decoded = unquote(path[len(mount) - 1 :])
    parts = [p for p in decoded.split("/") if p]
    if parts and parts[-1] == MARKER:
        return Resolved(HTTPStatus.NOT_FOUND)
    base = root.resolve()
    target = base.joinpath(*parts)
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return Resolved(HTTPStatus.NOT_FOUND)
    if real != base and base not in real.parents:
        return Resolved(HTTPStatus.FORBIDDEN)
    if real.is_dir():
        if not path.endswith("/"):
            return Resolved(HTTPStatus.MOVED_PERMANENTLY, location=path + "/" + suffix)
        real = real / "index.html"
        if not real.is_file() or real.is_symlink():
            return Resolved(HTTPStatus.NOT_FOUND)
        real = real.resolve()
        if base not in real.parents:
            return Resolved(HTTPStatus.FORBIDDEN)
    return Resolved(HTTPStatus.OK, file=real)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    live: LiveState
    warn: Callable[[str], None]  # the session's report, as a warning event
    hosts: HostPolicy

    def __init__(self, address: tuple[str, int], limits: ServeLimits) -> None:
        self.request_queue_size = limits.backlog  # read by listen() in super().__init__
        self.limits = limits
        self.slots = threading.BoundedSemaphore(limits.handlers)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a handler thread when one of the bounded slots is free; a connection waits one
        timeout for it (slots free up as requests end or time out), then is told we are busy."""
        if not self.slots.acquire(timeout=self.limits.timeout):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A tab closing mid-response is normal; anything else is reported, not printed."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        self.warn(f"request from {client_address[0]} failed: {exc!r}")


class _Server6(_Server):
    address_family = socket.AF_INET6


def _refuse_busy(request: socket.socket) -> None:
    """A 503 written without blocking the accepting thread (dropped if it does not fit)."""
    text = b"every connection of the preview server is busy; try again\n"
    head = (
        "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(text)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    )
    try:
        request.setblocking(False)
        request.send(head.encode() + text)
    except OSError:
        pass


class _HeadReader(socket.SocketIO):
    """The socket reader of one connection, with a deadline for the whole request head.

    A per-receive timeout alone restarts with every byte, so a client trickling a byte at a
    time could hold a handler thread for ever; with the deadline it gets one timeout in all.
    """

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__(sock, "rb")
        self.conn = sock
        self.timeout = timeout
        self.deadline: float | None = time.monotonic() + timeout

    def readinto(self, b: WriteableBuffer) -> int | None:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive within the timeout")
            self.conn.settimeout(min(left, self.timeout))
        return super().readinto(b)


class _Handler(BaseHTTPRequestHandler):
    server_version = "scholarpage"
    protocol_version = "HTTP/1.0"
    reader: _HeadReader

    def setup(self) -> None:
        """Timeouts on the connection (see `_HeadReader`, `ServeLimits`) before any read."""
        limits = cast(_Server, self.server).limits
        super().setup()
        self.connection.settimeout(limits.timeout)  # also for sends, which use the socket
        user_timeout = getattr(socket, "TCP_USER_TIMEOUT", None)  # Linux only
        if user_timeout is not None:
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.IPPROTO_TCP, user_timeout, max(1, int(limits.timeout * 1000))
                )
        self.rfile.close()  # the reader made by setup(), replaced by one with a deadline
        self.reader = _HeadReader(self.connection, limits.timeout)
        self.rfile = io.BufferedReader(self.reader)

    def parse_request(self) -> bool:
        """Parse the head, then refuse a Host this server must not answer (DNS rebinding)."""
        ok = super().parse_request()
        self.reader.deadline = None  # the head is in: from now on only the per-send timeout
        self.connection.settimeout(self.reader.timeout)
        if not ok:
            return False
        server = cast(_Server, self.server)
        refusal = server.hosts.refusal(self.headers.get_all("Host") or [], self.request_version)
        if refusal is None:
            return True
        status, why = refusal
        self.close_connection = True
        text = f"{int(status)} {HTTPStatus(status).phrase}: {why}\n"
        self._send(status, text.encode(), "text/plain; charset=utf-8", self.command != "HEAD")
        return False

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for build results and errors."""

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, *, body: bool) -> None:
        live = cast(_Server, self.server).live
        if self.path.partition("?")[0] == EVENTS_PATH:
            self._events(live)
            return
        snap = live.snapshot()
        try:
            found = resolve_request(self.path, snap.mount, live.root)
        except UnicodeDecodeError:
            found = Resolved(HTTPStatus.NOT_FOUND)
        if found.location is not None:
            self._send(found.status, b"", "text/plain", body, location=found.location)
        elif found.file is None:
            self._error_page(found.status, snap, body)
        else:
            try:
                data = found.file.read_bytes()
            except OSError:
                self._error_page(HTTPStatus.NOT_FOUND, snap, body)
                return
            ctype = mimetypes.guess_type(found.file.name)[0] or "application/octet-stream"
            if ctype == "text/html":
                data = inject(data, live_script(snap.build, snap.mount))
            if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml"):
                ctype += "; charset=utf-8"
            self._send(HTTPStatus.OK, data, ctype, body)

    def _error_page(self, status: int, snap: Snapshot, body: bool) -> None:
        phrase = HTTPStatus(status).phrase
        page = (
            f"<!DOCTYPE html><html><head><meta charset=utf-8><title>{status} {phrase}</title>"
            f"</head><body><h1>{status} {phrase}</h1><p>The site is served under "
            f'<a href="{quote(snap.mount)}">{snap.mount}</a>.</p></body></html>\n'
        ).encode()
        self._send(
            status,
            inject(page, live_script(snap.build, snap.mount)),
            "text/html; charset=utf-8",
            body,
        )

    def _send(
        self, status: int, data: bytes, ctype: str, body: bool, location: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        if body:
            view = memoryview(data)
            for start in range(0, len(view), WRITE_CHUNK):
                self.wfile.write(view[start : start + WRITE_CHUNK])

    def _events(self, live: LiveState) -> None:
        """Server-sent events: the current state at once, then every change until the tab goes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        snap: Snapshot | None = live.snapshot()
        generation = -1
        while snap is not None:
            if snap.generation != generation:
                self.wfile.write(b"retry: 500\n" + snap.message().encode())
                generation = snap.generation
            else:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()
            snap = live.wait(generation, cast(_Server, self.server).limits.keepalive)


def bind(host: str, port: int, limits: ServeLimits | None = None) -> _Server:
    """Open the listening socket first, so a busy port is reported before any work is done."""
    cls = _Server6 if ":" in host else _Server
    try:
        server = cls((host, port), limits or ServeLimits())
        server.hosts = host_policy(host, str(server.server_address[0]))
        return server
    except OSError as exc:
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise ScholarpageError.single(
                f"port {port} on {host} is already in use",
                hint=f"stop the other server, or pick another port: --port {port + 1}",
            ) from None
        raise ScholarpageError.single(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="check --host (e.g. 127.0.0.1) and --port",
        ) from None


# --- watching ---------------------------------------------------------------------------------
