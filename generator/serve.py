"""`scholarpage serve`: build into a temporary folder, serve it, rebuild on save, update open tabs.

Follows mkdocs' livereload: a builder is called on every (debounced) change, a failed rebuild keeps
the last good site and is shown as an overlay, and the reload script is injected by the HTTP
handler only, so `scholarpage build` output never contains it. The library never prints: what
happens is passed to the `report` callback the CLI provides.

Under load and against other web pages (`ServeLimits`):
- the listen backlog is 128, so a burst of connections waits in the kernel instead of being
  dropped; at most 128 handler threads run, a connection beyond that waits for a free one (one
  timeout long, then gets a 503);
- a request must arrive whole within the timeout (10 s) of connecting, however slowly its bytes
  trickle in, and every send must make progress within it (on Linux also through
  TCP_USER_TIMEOUT, so a vanished client's unacknowledged data ends the connection): an idle or
  half-open connection cannot hold a thread. The live-reload event stream is not idle: it waits
  on the build state, not the socket, and writes a keep-alive comment every 15 s;
- the Host header must name this server, so a web page the user visits cannot read the preview
  (drafts, file paths in error messages) through DNS rebinding, where a name the attacker owns
  resolves to 127.0.0.1. Bound to a loopback address, only `localhost` (also `localhost.`),
  `127.0.0.1`, `[::1]` and the address itself are answered, with any port, in any case. Bound
  to another address (the user's choice), the names also include that address and the --host
  value as given (a host name works); bound to every address (0.0.0.0, ::), any IP address and
  this machine's name (socket.gethostname()) are answered too: a literal address cannot be
  rebound. Anything else gets 403 with a short explanation, more than one Host header 400. A
  request without Host is answered only when it is HTTP/1.0 (or 0.9), which has no Host and
  which browsers never send, so it cannot come from a web page; HTTP/1.1 requires the header
  (RFC 9112 section 3.2), its absence gets 400.
"""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchfiles import DefaultFilter, watch

from generator.config import CONFIG_NAME, load_config
from generator.errors import Problem, ScholarpageError, Warnings
from generator.incremental import BuildResult, Rebuilder
from generator.output import claim_folder, remove_dead_folders
from generator.theme import load_theme

if TYPE_CHECKING:
    pass

from generator.devserver import (
    LOCAL_HOSTS,
    LiveState,
    ServeLimits,
    bind,
    mount_path,
    problem_data,
)

DEBOUNCE_MS = 1600  # upper bound on grouping a burst of changes (a git checkout, a formatter run)
STEP_MS = 50  # quiet time that ends a burst: the usual latency added to a single save
SERVE_PREFIX = "scholarpage-serve-"  # the preview's folder in the temp folder, with its lock


ServeKind = str  # "serving", "built", "failed", "warning"


@dataclass(frozen=True)
class ServeEvent:
    """Something the CLI should tell the user about; serve itself never prints."""

    kind: ServeKind
    message: str = ""
    problems: tuple[Problem, ...] = ()
    url: str = ""
    result: BuildResult | None = None
    seconds: float = 0.0


Report = Callable[[ServeEvent], None]


class EditorFilter(DefaultFilter):
    """watchfiles' defaults plus the side files editors write around a save."""

    ignore_entity_patterns = (
        *DefaultFilter.ignore_entity_patterns,
        r"^4913$",  # vim probes whether it may create files
        r"^#.*#$",  # emacs auto-save
        r"^\.goutputstream-",  # gedit atomic save
        r"\.crswap$",
        r"^\..*\.tmp$",  # the in-place rebuild's temp files, should an output folder sit in a tree
    )

    def __init__(self, exclude: Iterable[Path]) -> None:
        super().__init__(ignore_paths=[str(p) for p in exclude])


@dataclass(frozen=True)
class WatchTargets:
    """What a rebuild depends on: folders watched whole, and single files (via their folder)."""

    trees: tuple[Path, ...]
    files: frozenset[Path]
    mount: str | None

    @property
    def folders(self) -> tuple[Path, ...]:
        return tuple(sorted({f.parent for f in self.files if f.parent.is_dir()}))


def watch_targets(site_dir: Path, out_dirs: Iterable[Path]) -> WatchTargets:
    """Resolve the inputs from site.yaml now (bibs, profile, theme may move when it changes).

    Used after every build, also a failed one, so a fixed theme name or a new .bib path is
    picked up; what cannot be resolved falls back to the conventional folders.
    """
    trees = {site_dir / "content", site_dir / "templates", site_dir / "themes"}
    files = {site_dir / CONFIG_NAME, site_dir / "templates", site_dir / "themes"}
    mount = None
    try:
        config = load_config(site_dir, Warnings())
        mount = mount_path(config.base_url)
        files.add(config.profile)
        files.update(source.path for source in config.bibliography)
        theme = load_theme(config.theme, config.site_dir, config.config_file, warnings=Warnings())
        trees.update(theme.dirs)
    except ScholarpageError:
        pass
    excluded = [p.resolve() for p in out_dirs]
    kept = tuple(
        sorted(
            t.resolve()
            for t in trees
            if t.is_dir()
            and not any(t.resolve() == e or e in t.resolve().parents for e in excluded)
        )
    )
    loose = frozenset(f.resolve() for f in files if not any(t in f.resolve().parents for t in kept))
    return WatchTargets(kept, loose, mount)


# --- the session ----------------------------------------------------------------------------


class _Session:
    """One serve run: the builder, the watchers feeding it, and the state pages are told."""

    def __init__(self, site_dir: Path, out_dir: Path, report: Report, live: LiveState) -> None:
        self.site_dir = site_dir
        self.out_dir = out_dir
        self.report = report
        self.live = live
        self.builder = Rebuilder(site_dir, output=out_dir)
        self.stop = threading.Event()
        self.changes: queue.Queue[set[Path] | None] = queue.Queue()
        self.targets = watch_targets(site_dir, [out_dir])
        self.user_output: Path | None = None
        self.failure: BaseException | None = None

    def rebuild(self, reason: str) -> None:
        start = time.perf_counter()
        try:
            result = self.builder.build()
        except ScholarpageError as exc:
            errors = tuple(problem_data(p, self.site_dir) for p in exc.problems)
            self.live.failed(errors)
            self.report(ServeEvent("failed", reason, exc.problems))
            return
        except Exception as exc:  # a bug must not take the preview down; show it like an error
            problem = Problem(f"internal error while building: {exc!r}", hint="please report it")
            self.live.failed((problem_data(problem, self.site_dir),))
            self.report(ServeEvent("failed", reason, (problem,)))
            return
        finally:
            self.targets = watch_targets(self.site_dir, [self.out_dir])
        mount = self.targets.mount or self.live.snapshot().mount
        self.live.built(result.changed, mount)
        self.report(
            ServeEvent(
                "built", reason, result.warnings, result=result, seconds=time.perf_counter() - start
            )
        )

    def _watch(
        self, paths: tuple[Path, ...], recursive: bool, stop: threading.Event, up: threading.Event
    ) -> None:
        """Feed change batches to the queue. The first yield (a timeout tick at the latest) means
        the watches are in place; a vanished folder makes the session re-resolve and restart."""
        files = self.targets.files
        editor_filter = EditorFilter([self.out_dir])

        def wanted(change: Any, path: str) -> bool:
            return (recursive or Path(path) in files) and editor_filter(change, path)

        try:
            for batch in watch(
                *paths,
                watch_filter=wanted,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=stop,
                rust_timeout=200,
                yield_on_timeout=True,
                recursive=recursive,
                raise_interrupt=False,
            ):
                up.set()
                if batch:
                    self.changes.put({Path(p) for _, p in batch})
        except (OSError, RuntimeError):
            if not stop.is_set():
                time.sleep(0.2)
                self.targets = watch_targets(self.site_dir, [self.out_dir])
                self.changes.put(None)
        finally:
            up.set()

    def run(self, ready: threading.Event) -> None:
        """Watch, rebuild on change, restart the watchers when the inputs moved."""
        try:
            while not self.stop.is_set():
                targets = self.targets
                watch_stop = threading.Event()
                threads: list[threading.Thread] = []
                ups: list[threading.Event] = []
                for paths, recursive in ((targets.trees, True), (targets.folders, False)):
                    if paths:
                        ups.append(threading.Event())
                        threads.append(
                            threading.Thread(
                                target=self._watch,
                                args=(paths, recursive, watch_stop, ups[-1]),
                                daemon=True,
                            )
                        )
                for thread in threads:
                    thread.start()
                for up in ups:
                    up.wait(5)
                ready.set()
                self._until_moved(targets)
                watch_stop.set()
                for thread in threads:
                    thread.join()
        except BaseException as exc:  # handed to the main thread, which re-raises it
            self.failure = exc
            self.stop.set()

    def _until_moved(self, targets: WatchTargets) -> None:
        """Rebuild on every batch of changes; return when the watchers must be restarted."""
        while not self.stop.is_set():
            try:
                batch = self.changes.get(timeout=0.5)
            except queue.Empty:
                continue
            while batch is not None:  # two watchers may report one save: take all pending
                try:
                    more = self.changes.get_nowait()
                except queue.Empty:
                    break
                batch = None if more is None else batch | more
            if batch is None:
                return
            names = sorted(_shown(p, self.site_dir) for p in batch)
            self.rebuild(", ".join(names[:3]) + (" ..." if len(names) > 3 else ""))
            if self.targets != targets:
                return


def _shown(path: Path, site_dir: Path) -> str:
    try:
        return str(path.relative_to(site_dir))
    except ValueError:
        return str(path)


def serve_site(
    site_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    report: Report,
    limits: ServeLimits | None = None,
) -> None:
    """Serve SITE_DIR with live reload until Ctrl-C; returns normally when stopped."""
    site_dir = site_dir.resolve()
    if not (site_dir / CONFIG_NAME).is_file():
        raise ScholarpageError.single(
            f"no {CONFIG_NAME} in {site_dir}",
            file=site_dir / CONFIG_NAME,
            hint="run `scholarpage init DIR` to create a site, or pass the site folder",
        )
    if host not in LOCAL_HOSTS:
        report(
            ServeEvent(
                "warning",
                f"listening on {host}: other machines on your network can see the preview",
            )
        )
    server = bind(host, port, limits)
    temp = Path(tempfile.gettempdir())
    remove_dead_folders(temp, SERVE_PREFIX)  # of previews killed where no finally ran
    claimed = claim_folder(temp, SERVE_PREFIX)
    out_dir = claimed.path / "site"
    out_dir.mkdir()
    live = LiveState(out_dir)
    server.live = live
    server.warn = lambda message: report(ServeEvent("warning", message))
    session = _Session(site_dir, out_dir, report, live)
    http = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    ready = threading.Event()
    watcher = threading.Thread(target=session.run, args=(ready,))
    try:
        session.rebuild("start")
        http.start()
        watcher.start()
        ready.wait(10)
        bound_port = server.server_address[1]
        shown_host = f"[{host}]" if ":" in host else host
        report(
            ServeEvent("serving", url=f"http://{shown_host}:{bound_port}{live.snapshot().mount}")
        )
        while not session.stop.wait(0.5):
            pass
        if session.failure is not None:
            raise session.failure
    except KeyboardInterrupt:
        pass
    finally:
        session.stop.set()
        session.changes.put(None)
        if watcher.is_alive():
            watcher.join()
        live.close()
        if http.is_alive():
            server.shutdown()
            http.join()
        server.server_close()
        claimed.release()
