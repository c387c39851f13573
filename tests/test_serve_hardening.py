"""`scholarpage serve` under load and against other web pages (issue 10 §6), through real server
processes on 127.0.0.1: a bounded burst of requests, forged Host headers (DNS rebinding), idle
and trickling connections, the event stream past the timeout, and the bounded handler threads.

Connection-level tests run `serve_site` with small `ServeLimits` (one second instead of ten) in
a subprocess of their own, so they stay fast; they assert what the server did (closed the
connection, how many keep-alives came), never how long it took.
"""

from __future__ import annotations

import http.client
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from generator.devserver import EVENTS_PATH, HostPolicy, host_name, host_policy
from tests.conftest import REPO, write_site

# real builds and server processes: several seconds each (see pyproject's markers)
pytestmark = pytest.mark.slow

TIMEOUT = 15.0  # only to detect a hang (2-core CI)
BURST = 1000  # requests
IN_FLIGHT = 50  # at once
SITE_YAML = "title: Alice Example\nbase_url: https://alice.github.io/profile/\ntoday: 2026-11-28\n"
PROFILE = "name: Alice Example\n"
PAGES = ("/profile/", "/profile/assets/style.css", "/profile/papers/one/", "/profile/feed.xml")
LIMITS = {"timeout": 1.0, "keepalive": 0.25, "handlers": 4}
LIMITED_SERVE = """\
import sys
from pathlib import Path
from generator.devserver import ServeLimits
from generator.serve import serve_site


def report(event):
    if event.kind == "serving":
        print(f"Serving {sys.argv[1]} at {event.url}", flush=True)

limits = ServeLimits(float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
serve_site(Path(sys.argv[1]), port=int(sys.argv[2]), report=report, limits=limits)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


class ServeProcess:
    """A serve process on 127.0.0.1:PORT with its output collected by threads."""

    def __init__(self, argv: Sequence[str], port: int, tmp: Path) -> None:
        self.port = port
        tmp.mkdir(exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.out: list[str] = []
        self.err: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out)),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err)),
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str], into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def wait_serving(self) -> None:
        def serving() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited: {''.join(self.out + self.err)}")
            return any(line.startswith("Serving ") for line in list(self.out))

        wait_for(serving, "the server to start", timeout=60)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for reader in self.readers:
                reader.join(timeout=TIMEOUT)
            assert self.proc.stdout is not None and self.proc.stderr is not None
            self.proc.stdout.close()
            self.proc.stderr.close()
        return code


def running(argv: list[str], port: int, tmp: Path) -> Iterator[ServeProcess]:
    srv = ServeProcess(argv, port, tmp)
    try:
        srv.wait_serving()
        yield srv
    finally:
        code = srv.stop()
    stderr = "".join(srv.err)
    assert code in (0, 130), stderr
    assert "Traceback" not in stderr
    assert list(tmp.iterdir()) == [], "the serve folder is removed on exit"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """`python -m generator serve SITE --port PORT`, as the user runs it; the tests using it
    only read, so one process serves them all."""
    tmp = tmp_path_factory.mktemp("served")
    site = write_site(tmp / "site", site_yaml=SITE_YAML, profile=PROFILE)
    port = free_port()
    argv = [sys.executable, "-m", "generator", "serve", str(site), "--port", str(port)]
    yield from running(argv, port, tmp / "tmp")


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[ServeProcess]:
    """`serve_site` with small limits in a process of its own (the CLI has no option for them)."""
    site = write_site(tmp_path / "site", site_yaml=SITE_YAML, profile=PROFILE)
    port = free_port()
    limits = [str(LIMITS["timeout"]), str(LIMITS["keepalive"]), str(LIMITS["handlers"])]
    argv = [sys.executable, "-c", LIMITED_SERVE, str(site), str(port), *limits]
    yield from running(argv, port, tmp_path / "tmp")


def exchange(port: int, request: bytes) -> bytes:
    """Send a raw request (headers exactly as given) and read the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def status_of(response: bytes) -> int:
    return int(response.split(b"\r\n", 1)[0].split()[1])


def get_with_host(port: int, host: str, path: str = "/profile/") -> bytes:
    return exchange(port, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("latin-1"))


def open_stream(port: int) -> socket.socket:
    """An event stream (what every open tab holds), read up to its first message."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    data = b""
    while b"data:" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the event stream closed before its first message"
        data += chunk
    assert data.startswith(b"HTTP/1.0 200"), data[:80]
    return sock


# --- load ------------------------------------------------------------------------------------


def test_a_burst_of_requests_loses_no_connection(server: ServeProcess) -> None:
    statuses: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    todo = iter(range(BURST))

    def client() -> None:
        while True:
            with lock:
                n = next(todo, None)
            if n is None:
                return
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT * 2)
            try:
                conn.request("GET", PAGES[n % len(PAGES)])
                response = conn.getresponse()
                body = response.read()
                with lock:
                    statuses.append(response.status if body else -1)
            except OSError as exc:
                with lock:
                    errors.append(repr(exc))
            finally:
                conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(IN_FLIGHT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)  # only to detect a hang: the burst takes seconds
    assert not any(t.is_alive() for t in threads), "the burst did not finish"
    assert errors == []
    assert len(statuses) == BURST and set(statuses) == {200}
    assert status_of(get_with_host(server.port, f"127.0.0.1:{server.port}")) == 200


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` (iproute2) to read the backlog")
def test_the_listen_backlog_is_128(server: ServeProcess) -> None:
    """The kernel's own record of the listening socket: its accept queue holds 128 (was 5)."""
    listing = subprocess.run(
        ["ss", "-Hltn", f"sport = :{server.port}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert listing[0] == "LISTEN" and listing[2] == "128", listing


# --- Host headers ----------------------------------------------------------------------------

FORGED = [
    "evil.com",
    "127.0.0.1.evil.com",
    "localhost@evil",
    "",
    "localhost.evil.com",
    "evil.com:{port}",
    "127.0.0.1:{port}@evil.com",
    "localhost:{port}:80",
    "[::1].evil.com",
    "[::1]:{port}x",
    "127.0.0.2",  # a loopback address, but not the one served: not answered on a loopback bind
    "0x7f.0.0.1",
    "local\xe9host",
]
ALLOWED = [
    "localhost:{port}",
    "127.0.0.1:{port}",
    "[::1]:{port}",
    "LocalHost:{port}",
    "localhost",
    "localhost.:{port}",
    "127.0.0.1:8080",  # any port: a proxy or port forward may change it
]


def test_forged_host_headers_get_403(server: ServeProcess) -> None:
    for forged in FORGED:
        host = forged.format(port=server.port)
        for path in ("/profile/", EVENTS_PATH, "/profile/assets/style.css"):
            response = get_with_host(server.port, host, path)
            assert status_of(response) == 403, (host, path, response[:200])
            assert b"Alice Example" not in response and b"data:" not in response, host
            assert b"DNS rebinding" in response, host


def test_local_host_names_get_200(server: ServeProcess) -> None:
    for allowed in ALLOWED:
        host = allowed.format(port=server.port)
        response = get_with_host(server.port, host)
        assert status_of(response) == 200, (host, response[:200])
        assert b"Alice Example" in response, host


def test_missing_or_doubled_host(server: ServeProcess) -> None:
    port = server.port
    # HTTP/1.0 has no Host; a browser never sends it, so it cannot be a web page's request
    assert status_of(exchange(port, b"GET /profile/ HTTP/1.0\r\n\r\n")) == 200
    no_host = exchange(port, b"GET /profile/ HTTP/1.1\r\n\r\n")
    assert status_of(no_host) == 400 and b"Host header" in no_host
    two = f"GET /profile/ HTTP/1.1\r\nHost: evil.com\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    assert status_of(exchange(port, two.encode())) == 400
    # a method the server does not serve is refused for a forged host before anything else
    post = exchange(port, b"POST /profile/ HTTP/1.1\r\nHost: evil.com\r\nContent-Length: 0\r\n\r\n")
    assert status_of(post) == 403


def test_host_policy_for_each_kind_of_bind() -> None:
    loopback = host_policy("127.0.0.1", "127.0.0.1")
    assert loopback.refusal(["localhost:1"], "HTTP/1.1") is None
    assert loopback.refusal(["192.168.1.5:8000"], "HTTP/1.1") is not None
    chosen = host_policy("preview.example.test", "192.168.1.5")
    assert chosen.refusal(["preview.example.test:8000"], "HTTP/1.1") is None
    assert chosen.refusal(["192.168.1.5:8000"], "HTTP/1.1") is None
    assert chosen.refusal(["192.168.1.6:8000"], "HTTP/1.1") is not None
    everywhere = host_policy("0.0.0.0", "0.0.0.0")
    assert everywhere.refusal(["10.1.2.3:8000"], "HTTP/1.1") is None
    assert everywhere.refusal(["[fe80::1]:8000"], "HTTP/1.1") is None
    assert everywhere.refusal([f"{socket.gethostname()}:8000"], "HTTP/1.1") is None
    assert everywhere.refusal(["attacker.example:8000"], "HTTP/1.1") is not None
    six = host_policy("::1", "::1")
    assert isinstance(six, HostPolicy) and six.refusal(["[::1]:9"], "HTTP/1.1") is None
    assert host_name(" LOCALHOST:80 ") == "localhost"
    assert host_name("[::1]:80") == "[::1]"
    assert host_name("a b") is None and host_name("[::1") is None


# --- connections that hold a thread ------------------------------------------------------------


def test_an_idle_connection_is_closed(limited: ServeProcess) -> None:
    with socket.create_connection(("127.0.0.1", limited.port), timeout=TIMEOUT) as sock:
        try:
            data = sock.recv(1)
        except TimeoutError:
            pytest.fail("the server kept a connection that sent nothing")
    assert data == b""


def test_a_trickling_request_is_closed(limited: ServeProcess) -> None:
    """A byte at a time, each well within the timeout: the deadline is for the whole request."""
    pace = LIMITS["timeout"] / 5
    sent = 0
    closed = False
    with socket.create_connection(("127.0.0.1", limited.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /profile/ HTTP/1.0\r\nX-Slow: ")
        while sent < 200 and not closed:
            try:
                sock.sendall(b"a")
            except OSError:  # reset by the server
                closed = True
                break
            sent += 1
            readable, _, _ = select.select([sock], [], [], pace)
            if readable:
                try:
                    closed = sock.recv(1) == b""
                except OSError:
                    closed = True
    assert closed, "the server kept reading a request that never ends"
    # the deadline (one timeout) passed after about 5 paced bytes, far from 200
    assert sent < 100, sent


def test_the_event_stream_outlives_the_timeout(limited: ServeProcess) -> None:
    sock = open_stream(limited.port)
    wanted = 12  # 12 keep-alives of 0.25 s: three timeouts of 1 s
    seen = b""
    try:
        while seen.count(b": keep-alive") < wanted:
            chunk = sock.recv(4096)
            assert chunk, f"the stream closed after {seen.count(b': keep-alive')} keep-alives"
            seen += chunk
    finally:
        sock.close()
    assert seen.count(b": keep-alive") >= wanted


def test_handler_threads_are_bounded(limited: ServeProcess) -> None:
    """Every slot held by a tab's event stream: the next request waits, then hears we're busy;
    once a tab closes, requests are served again."""
    streams = [open_stream(limited.port) for _ in range(int(LIMITS["handlers"]))]
    try:
        busy = get_with_host(limited.port, f"127.0.0.1:{limited.port}")
        assert status_of(busy) == 503 and b"busy" in busy
        streams.pop().close()
        wait_for(
            lambda: status_of(get_with_host(limited.port, f"127.0.0.1:{limited.port}")) == 200,
            "a free handler after a stream closed",
        )
    finally:
        for stream in streams:
            stream.close()
    assert status_of(get_with_host(limited.port, f"127.0.0.1:{limited.port}")) == 200
