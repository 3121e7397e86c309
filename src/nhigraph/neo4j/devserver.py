"""Development/test Neo4j server: an embedded Neo4j Community 5.26 with Bolt, built from Maven Central.

The Java launcher lives in ``launcher/`` next to this module (``pom.xml`` and one class,
``io.nhigraph.devserver.DevServer``). :func:`build` compiles it with Maven once and caches the jar and its
dependencies under ``$NHIGRAPH_CACHE/neo4j-launcher/<hash>`` (default ``~/.cache/nhigraph/neo4j-launcher/<hash>``),
keyed by a hash of the launcher sources, so it is rebuilt only when they change.

:func:`start` runs the server for a database home directory and waits until it prints ``READY bolt://...``;
:func:`stop` and :func:`status` work from ``HOME/devserver.json``, which :func:`start` writes.
Server output goes to ``HOME/logs/devserver.log`` (launcher) and ``HOME/logs/debug.log`` (Neo4j).

The password, when there is one, reaches the Java process only through an environment variable.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

try:  # POSIX only; the dev server targets Linux/macOS.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_PORT",
    "DevServerError",
    "ServerInfo",
    "build",
    "cache_dir",
    "launcher_dir",
    "source_hash",
    "start",
    "status",
    "stop",
]

DEFAULT_PORT = 7687
MAIN_CLASS = "io.nhigraph.devserver.DevServer"
JAR_NAME = "nhigraph-devserver.jar"
STATE_FILE = "devserver.json"
LOCK_FILE = "devserver.lock"
PASSWORD_ENV = "NHIGRAPH_NEO4J_PASSWORD"
CACHE_ENV = "NHIGRAPH_CACHE"

# Exit codes of the Java launcher.
_EXIT_USAGE = 2
_EXIT_LOCKED = 3
_EXIT_PORT_IN_USE = 4

# JVM flags as in Neo4j's own neo4j.conf (server.jvm.additional), minus the ones only useful in production.
_JVM_OPTS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)

Progress = Callable[[str], None]

# Children started by this process, by pid, so that stop()/status() can reap them (a zombie still answers
# os.kill(pid, 0)) and Popen objects are not garbage-collected while the server runs.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class DevServerError(Exception):
    """The dev server could not be built, started or stopped."""


# --------------------------------------------------------------------------------------------- build


def launcher_dir() -> Path:
    """Directory of the packaged Java launcher sources (``pom.xml`` and ``src/``)."""
    return Path(__file__).resolve().parent / "launcher"


def _source_files() -> list[Path]:
    root = launcher_dir()
    files = [root / "pom.xml"]
    src = root / "src"
    if src.is_dir():
        files += sorted(p for p in src.rglob("*") if p.is_file())
    return files


def source_hash() -> str:
    """Hash of the launcher sources (pom.xml and everything under src/); names the build cache directory."""
    root = launcher_dir()
    h = hashlib.sha256()
    for f in _source_files():
        try:
            data = f.read_bytes()
        except FileNotFoundError:
            raise DevServerError(f"launcher source missing: {f}") from None
        h.update(f.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(data)
        h.update(b"\0")
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Root of the launcher build cache: ``$NHIGRAPH_CACHE/neo4j-launcher`` or ``~/.cache/nhigraph/neo4j-launcher``."""
    base = os.environ.get(CACHE_ENV)
    if base:
        root = Path(base).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "nhigraph"
    return root / "neo4j-launcher"


def _is_built(d: Path) -> bool:
    return (d / ".complete").is_file() and (d / JAR_NAME).is_file() and (d / "lib").is_dir()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 30, start: int = 0) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            begin = max(start, size - 64 * 1024)
            fh.seek(begin)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def build(force: bool = False, progress: Progress | None = None) -> Path:
    """Build the launcher with Maven unless a build of the current sources is cached; return its directory.

    The directory holds ``nhigraph-devserver.jar`` and ``lib/`` (all dependencies). Safe against concurrent
    builds: a file lock serialises them and each build goes into a temporary directory that is renamed into
    place when complete. Maven's output goes to ``<cache>/build-<hash>.log``.
    """
    digest = source_hash()
    root = cache_dir()
    target = root / digest
    if _is_built(target) and not force:
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise DevServerError("Maven ('mvn') not found on PATH; it is needed once to build the Neo4j dev server")
    with _file_lock(root / f".{digest}.lock"):
        if _is_built(target) and not force:
            return target  # built by a concurrent process while we waited
        log = root / f"build-{digest}.log"
        tmp = Path(tempfile.mkdtemp(prefix=f".build-{digest}-", dir=root))
        try:
            src = tmp / "src"
            shutil.copytree(launcher_dir(), src, ignore=shutil.ignore_patterns("target", ".*"))
            if progress:
                progress(f"Building the Neo4j dev server with Maven (log: {log}) ...")
            t0 = time.monotonic()
            with open(log, "wb") as out:
                try:
                    rc = subprocess.call(
                        [mvn, "-q", "-B", "package", "-DskipTests"],
                        cwd=src,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env=_java_env(),
                    )
                except OSError as e:
                    raise DevServerError(f"could not run Maven ({mvn}): {e}") from e
            built = src / "target"
            if rc != 0 or not (built / JAR_NAME).is_file() or not (built / "lib").is_dir():
                raise DevServerError(
                    f"Maven build of the Neo4j dev server failed (exit {rc}); see {log}\n{_tail(log, 20)}"
                )
            out_dir = tmp / "out"
            out_dir.mkdir()
            os.replace(built / JAR_NAME, out_dir / JAR_NAME)
            os.replace(built / "lib", out_dir / "lib")
            shutil.copy2(log, out_dir / "build.log")
            (out_dir / ".complete").write_text(
                json.dumps({"hash": digest, "built_at": _now(), "seconds": round(time.monotonic() - t0, 1)}) + "\n"
            )
            if target.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".old-{digest}-", dir=root))
                os.replace(target, trash / "old")
                shutil.rmtree(trash, ignore_errors=True)
            os.replace(out_dir, target)
            if progress:
                progress(f"Built the Neo4j dev server in {time.monotonic() - t0:.0f}s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


# --------------------------------------------------------------------------------------------- run


def _java_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(PASSWORD_ENV, None)
    return env


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise DevServerError("Java not found: set JAVA_HOME or put 'java' (17 or newer) on PATH")
    return found


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class ServerInfo:
    """A running dev server. ``stop()`` stops it; also usable as a context manager."""

    def __init__(
        self,
        home: Path,
        pid: int,
        port: int,
        uri: str,
        started_at: str,
        detached: bool,
        auth: bool,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.home = home
        self.pid = pid
        self.port = port
        self.uri = uri
        self.started_at = started_at
        self.detached = detached
        self.auth = auth
        self.process = process

    def __repr__(self) -> str:
        return f"ServerInfo(uri={self.uri!r}, pid={self.pid}, home={str(self.home)!r}, detached={self.detached})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "port": self.port,
            "uri": self.uri,
            "started_at": self.started_at,
            "detached": self.detached,
            "auth": self.auth,
            "home": str(self.home),
        }

    def is_running(self) -> bool:
        return _pid_alive(self.pid)

    def stop(self, timeout: float = 60) -> bool:
        """Stop the server; returns False if it was not running.

        Attached servers (``detach=False``) are stopped by closing their stdin, then SIGTERM/SIGKILL if needed.
        """
        proc = self.process
        if proc is None or self.detached:
            return stop(self.home, timeout=timeout)
        was_running = proc.poll() is None
        if was_running:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _terminate(proc.pid, 10)
        _CHILDREN.pop(proc.pid, None)
        _remove_state(self.home, proc.pid)
        return was_running

    def __enter__(self) -> ServerInfo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    home: Path | str,
    port: int = DEFAULT_PORT,
    password: str | None = None,
    detach: bool = True,
    timeout: float = 180,
    *,
    host: str = "127.0.0.1",
    heap: str = "1g",
    pagecache: str = "512m",
    java_opts: Sequence[str] = (),
    progress: Progress | None = None,
) -> ServerInfo:
    """Start a dev server on database home ``home`` and wait until its Bolt port accepts connections.

    ``port=0`` lets the server pick a free port (see ``ServerInfo.port``). With ``password`` authentication is
    on and user ``neo4j`` gets that password; without it authentication is off. ``detach=True`` runs the server
    in its own session, independent of this process (stop it with :func:`stop`); ``detach=False`` ties it to
    this process through a stdin pipe, so it stops when ``ServerInfo.stop()`` closes the pipe or this process
    dies. Raises :class:`DevServerError` on failure, with the tail of the server log.
    """
    home = Path(home).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    running = status(home)
    if running is not None:
        raise DevServerError(f"a dev server is already running for {home}: pid {running['pid']}, {running['uri']}")
    if _home_locked(home):
        raise DevServerError(f"a dev server is already running for {home} ({home / LOCK_FILE} is locked)")

    artifacts = build(progress=progress)
    java = _java()
    logs = home / "logs"
    logs.mkdir(exist_ok=True)
    log_path = logs / "devserver.log"
    # Stdout (only the READY line) goes to a file of its own per start, never a pipe: a detached server must
    # not depend on this process, and a concurrent failed start must not clobber it.
    out_fd, out_name = tempfile.mkstemp(prefix="devserver-", suffix=".out", dir=logs)
    out_path = Path(out_name)

    cmd = [java, f"-Xmx{heap}", *_JVM_OPTS, *java_opts]
    cmd += ["-cp", f"{artifacts / JAR_NAME}{os.pathsep}{artifacts / 'lib' / '*'}", MAIN_CLASS]
    cmd += ["--home", str(home), "--port", str(port), "--host", host, "--pagecache", pagecache]
    env = _java_env()
    if password is not None:
        if not password:
            raise DevServerError("the password must not be empty")
        env[PASSWORD_ENV] = password
        cmd += ["--password-env", PASSWORD_ENV]
    if detach:
        cmd.append("--no-stdin-watch")

    with open(log_path, "ab") as log:
        log.write(f"=== {_now()} starting dev server (port {port}, detach={detach})\n".encode())
        log.flush()
        log_start = log.tell()
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=home,
                env=env,
                stdin=subprocess.DEVNULL if detach else subprocess.PIPE,
                stdout=out_fd,
                stderr=log,
                start_new_session=detach,
                close_fds=True,
            )
        except OSError as e:
            out_path.unlink(missing_ok=True)
            raise DevServerError(f"could not run Java ({java}): {e}") from e
        finally:
            os.close(out_fd)
    _CHILDREN[proc.pid] = proc

    try:
        uri = _wait_ready(proc, out_path, log_path, log_start, timeout, port)
    finally:
        out_path.unlink(missing_ok=True)
    info = ServerInfo(
        home=home,
        pid=proc.pid,
        port=int(uri.rsplit(":", 1)[1]),
        uri=uri,
        started_at=_now(),
        detached=detach,
        auth=password is not None,
        process=proc,
    )
    _write_state(home, {**info.as_dict(), "host": host})
    return info


def _wait_ready(
    proc: subprocess.Popen[bytes], out_path: Path, log_path: Path, log_start: int, timeout: float, port: int
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            for line in out_path.read_text("utf-8", "replace").splitlines():
                if line.startswith("READY "):
                    return line.split(None, 1)[1].strip()
        rc = proc.poll()
        if rc is not None:
            _CHILDREN.pop(proc.pid, None)
            tail = _tail(log_path, 20, start=log_start)
            if rc == _EXIT_LOCKED:
                what = "the database home is already in use by another dev server"
            elif rc == _EXIT_PORT_IN_USE:
                what = f"port {port} is already in use"
            elif rc == _EXIT_USAGE:
                what = "invalid arguments"
            else:
                what = f"the server exited with code {rc}"
            raise DevServerError(f"Neo4j dev server failed to start: {what}; see {log_path}\n{tail}")
        if time.monotonic() > deadline:
            _terminate(proc.pid, 15)
            _CHILDREN.pop(proc.pid, None)
            tail = _tail(log_path, 20, start=log_start)
            raise DevServerError(
                f"Neo4j dev server did not become ready within {timeout:.0f}s; see {log_path}\n{tail}"
            )
        time.sleep(0.1)


def stop(home: Path | str, timeout: float = 60) -> bool:
    """Stop the dev server of ``home`` (SIGTERM, then SIGKILL after ``timeout``); False if none was running."""
    home = Path(home).expanduser().resolve()
    state = _read_state(home)
    if state is None:
        return False
    pid = int(state.get("pid", 0))
    if pid <= 0 or not _pid_alive(pid) or not _is_devserver(pid, home):
        _remove_state(home, pid)
        return False
    _terminate(pid, timeout)
    _remove_state(home, pid)
    return True


def status(home: Path | str) -> dict[str, Any] | None:
    """State of the dev server of ``home``, or None if it is not running.

    The dict has the fields of ``HOME/devserver.json`` (pid, port, uri, started_at, ...) plus ``running``
    (True) and ``bolt_reachable`` (whether a TCP connection to the Bolt port succeeds).
    """
    home = Path(home).expanduser().resolve()
    state = _read_state(home)
    if state is None:
        return None
    pid = int(state.get("pid", 0))
    if pid <= 0 or not _pid_alive(pid) or not _is_devserver(pid, home):
        return None
    host = state.get("host", "127.0.0.1")
    reachable = False
    with contextlib.suppress(OSError, ValueError, TypeError):
        with socket.create_connection((host, int(state["port"])), timeout=2):
            reachable = True
    return {**state, "home": str(home), "running": True, "bolt_reachable": reachable}


# --------------------------------------------------------------------------------------------- helpers


def _read_state(home: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((home / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_state(home: Path, state: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".devserver-", suffix=".json", dir=home)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, home / STATE_FILE)


def _remove_state(home: Path, pid: int) -> None:
    state = _read_state(home)
    if state is not None and int(state.get("pid", 0)) not in (pid, 0):
        return  # belongs to a newer server
    with contextlib.suppress(FileNotFoundError):
        (home / STATE_FILE).unlink()


def _home_locked(home: Path) -> bool:
    """Whether another process holds the launcher's lock on HOME/devserver.lock (a POSIX record lock)."""
    if fcntl is None:
        return False
    path = home / LOCK_FILE
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    proc = _CHILDREN.get(pid)
    if proc is not None:
        if proc.poll() is None:
            return True
        _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie answers kill(pid, 0) but is gone
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_devserver(pid: int, home: Path) -> bool:
    """Guard against a recycled pid: the process must be our launcher for this home (Linux /proc check)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # cannot tell (no /proc): trust devserver.json
    return MAIN_CLASS.encode() in args and str(home).encode() in args


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM ``pid``, wait up to ``timeout`` seconds for it to exit, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                _CHILDREN.pop(pid, None)
                return
            time.sleep(0.1)
    if _pid_alive(pid):
        raise DevServerError(f"dev server process {pid} did not exit")
