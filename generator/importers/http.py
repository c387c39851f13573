"""The one HTTP client of the importers: polite, bounded, and never a traceback.

Every request names the project in its User-Agent, waits out the API's minimum interval per
host (arXiv asks for one request per 3 s), has a timeout for the connection, for each read and
for the whole response (a server that trickles one byte a second cannot hold an import
forever), and reads at most `max_bytes`. 429, 5xx, timeouts, resets and cut-off bodies are
retried with exponential backoff, honouring Retry-After up to `max_wait`; anything else is
returned as a `Response` (the caller knows how its API words errors) or raised as a
ScholarpageError naming the URL. Only http and https are spoken, redirects included.

The clock and sleep are parameters so tests can assert on the waits asked for instead of
measuring wall time.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from generator import __version__
from generator.errors import ScholarpageError
from generator.importers.records import printable

USER_AGENT = f"scholarpage/{__version__} (+https://pypi.org/project/scholarpage/)"
MB = 1024 * 1024
MAX_BYTES = 64 * MB
MAX_ERROR_BODY = 1 * MB
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_CHUNK = 64 * 1024
_OFFLINE_HINT = (
    "check the network connection (or --api-url), or save the response in a browser and run "
    "again with --from FILE"
)


@dataclass(frozen=True)
class Response:
    """A complete HTTP response (the body read to its end, within the size limit)."""

    url: str
    status: int
    reason: str
    content_type: str
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _Retry(Exception):
    """A failure worth another attempt; `after` is the server's Retry-After in seconds."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib also follows ftp://)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise ScholarpageError.single(
                f"the server redirected to {printable(newurl)!r}, which is not an http(s) URL",
                hint="check --api-url",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


def check_base_url(url: str, option: str = "--api-url", *, query: bool = False) -> str:
    """An API base URL must be http(s) with a host (no query: paths are added to it);
    returned without a trailing slash. `query`: a whole URL, whose query is kept."""
    parts = urlsplit(url)
    bad = any(ord(c) < 33 for c in url) or parts.fragment or (parts.query and not query)
    if parts.scheme not in ("http", "https") or not parts.netloc or bad:
        raise ScholarpageError.single(
            f"{option} must be an http(s) URL such as https://export.arxiv.org/api, "
            f"got {printable(url)!r}",
            hint="give the API's base URL (a mirror, or a local server in tests)",
        )
    return url if query else url.rstrip("/")


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now, 0.0)


class HttpClient:
    """GET with timeouts, retries and per-host rate limits. One instance per import: it
    remembers when it last asked each host (the only state, and it is the instance's)."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not 0 < timeout <= 600:  # also refuses nan and inf
            raise ScholarpageError.single("--timeout must be a number of seconds, 0 to 600")
        if not 0 <= retries <= 10:
            raise ScholarpageError.single("--retries must be 0 to 10")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_bytes = max_bytes
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._on_wait = on_wait
        self._last: dict[str, float] = {}
        self.requests = 0
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.UnknownHandler(),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            _RedirectHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            self._opener.add_handler(handler)

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self._on_wait is not None:
            self._on_wait(seconds, why)
        self._sleep(seconds)

    def get(
        self, url: str, *, what: str, accept: str | None = None, interval: float = 0.0
    ) -> Response:
        """The response to GET `url`; `what` names the service in messages, `interval` is
        its minimum time between requests to one host."""
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise ScholarpageError.single(f"not an http(s) URL: {printable(url)!r}")
        host = urlsplit(url).netloc.lower()
        attempt = 0
        while True:
            last = self._last.get(host)
            if last is not None:
                self._wait(
                    last + interval - self._clock(),
                    f"{what} asks for {interval:g} s between requests",
                )
            self._last[host] = self._clock()
            self.requests += 1
            try:
                return self._once(url, accept)
            except _Retry as retry:
                if attempt >= self.retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise ScholarpageError.single(
                        f"cannot fetch {printable(url)} from {what}: {retry.reason}{tries}",
                        hint=_OFFLINE_HINT if retry.after is None else "try again later",
                    ) from None
                delay = min(self.backoff * 2**attempt, self.max_wait)
                if retry.after is not None:
                    most = self.max_wait
                    if retry.after > most:
                        raise ScholarpageError.single(
                            f"{what} asks to wait {retry.after:.0f} s before the next request "
                            f"({retry.reason})",
                            hint=f"try again later (scholarpage waits {most:.0f} s at most)",
                        ) from None
                    delay = max(delay, retry.after)
                attempt += 1
                # the interval runs from the failed request's start, so the backoff counts
                self._wait(delay, f"{retry.reason}; retry {attempt} of {self.retries}")

    def _once(self, url: str, accept: str | None) -> Response:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity"}
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(url, headers=headers, method="GET")
        deadline = self._clock() + 4 * self.timeout
        try:
            try:
                raw = self._opener.open(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                raw = exc
            with raw:
                status = int(raw.status or 0)
                reason = str(getattr(raw, "reason", "") or "")
                header = raw.headers
                if 300 <= status < 400:
                    target = printable(header.get("Location") or "nowhere")
                    raise ScholarpageError.single(
                        f"{printable(url)} redirects to {target!r}, which is not followed "
                        "(a redirect loop, or not an http(s) URL)",
                        hint="check --api-url",
                    )
                if status in RETRY_STATUS:
                    after = retry_after(header.get("Retry-After"), self._wall())
                    raise _Retry(f"HTTP {status} {printable(reason)}".rstrip(), after)
                limit = self.max_bytes if 200 <= status < 300 else MAX_ERROR_BODY
                body = self._read(raw, header.get("Content-Length"), limit, deadline, url)
                encoding = (header.get("Content-Encoding") or "identity").strip().lower()
                if encoding in ("gzip", "x-gzip", "deflate"):
                    body = self._inflate(body, encoding, limit, url)
                elif encoding not in ("identity", ""):
                    raise ScholarpageError.single(
                        f"{printable(url)}: unsupported Content-Encoding {printable(encoding)!r}"
                    )
                return Response(
                    raw.geturl() or url, status, reason, header.get("Content-Type") or "", body
                )
        except ScholarpageError:
            raise
        except _Retry:
            raise
        except TimeoutError:
            raise _Retry(f"no answer within {self.timeout:g} s") from None
        except http.client.HTTPException as exc:
            raise _Retry(f"broken HTTP response ({type(exc).__name__})") from None
        except urllib.error.URLError as exc:
            reason_obj = exc.reason
            if isinstance(reason_obj, TimeoutError):
                raise _Retry(f"no answer within {self.timeout:g} s") from None
            if isinstance(reason_obj, socket.gaierror):
                host = urlsplit(url).hostname or url
                raise ScholarpageError.single(
                    f"cannot resolve host {printable(host)!r} (offline, or a typo in the URL?)",
                    hint=_OFFLINE_HINT,
                ) from None
            if isinstance(reason_obj, ssl.SSLError):
                raise ScholarpageError.single(
                    f"TLS error talking to {printable(url)}: {printable(str(reason_obj))}",
                    hint=_OFFLINE_HINT,
                ) from None
            if isinstance(reason_obj, OSError):
                raise _Retry(f"connection failed ({printable(str(reason_obj))})") from None
            raise ScholarpageError.single(
                f"cannot fetch {printable(url)}: {printable(str(reason_obj))}", hint=_OFFLINE_HINT
            ) from None
        except OSError as exc:
            raise _Retry(f"connection failed ({printable(str(exc))})") from None

    def _read(
        self, raw: object, length: str | None, limit: int, deadline: float, url: str
    ) -> bytes:
        expected = int(length) if length and length.strip().isdigit() else None
        if expected is not None and expected > limit:
            raise ScholarpageError.single(
                f"{printable(url)}: the response is {expected} bytes, over the {limit // MB} MB "
                "limit",
                hint="ask for fewer results (--limit)",
            )
        chunks: list[bytes] = []
        size = 0
        read1 = getattr(raw, "read1", None) or raw.read  # type: ignore[attr-defined]
        while True:
            if self._clock() > deadline:
                raise _Retry(
                    f"the response did not finish within {4 * self.timeout:g} s "
                    f"({size} bytes received)"
                )
            chunk = read1(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise ScholarpageError.single(
                    f"{printable(url)}: the response is over the {limit // MB} MB limit",
                    hint="ask for fewer results (--limit)",
                )
            chunks.append(chunk)
        if expected is not None and size < expected:
            raise _Retry(f"the response was cut off after {size} of {expected} bytes")
        return b"".join(chunks)

    def _inflate(self, body: bytes, encoding: str, limit: int, url: str) -> bytes:
        """Decompress without ever holding more than `limit` bytes (a gzip bomb is an error)."""
        wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise _Retry("the compressed response is corrupt or cut off") from None
        if len(out) > limit:
            raise ScholarpageError.single(
                f"{printable(url)}: the decompressed response is over the {limit // MB} MB limit"
            )
        if not inflater.eof:
            raise _Retry("the compressed response was cut off")
        return out


def status_error(response: Response, what: str, detail: str | None = None) -> ScholarpageError:
    """The error for a response that is not a success: status, reason and the API's own words."""
    text = f"{what} answered HTTP {response.status} {printable(response.reason)}".rstrip()
    if detail:
        text += f": {printable(detail)}"
    hint = "check the identifier" if 400 <= response.status < 500 else "try again later"
    return ScholarpageError.single(f"{text} (for {printable(response.url)})", hint=hint)
