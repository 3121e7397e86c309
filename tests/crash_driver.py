"""A fork server for tests/test_crash_safety.py: runs `nhigraph ingest` in children that kill -9 themselves at
an exact step of the snapshot write.

Run as ``python tests/crash_driver.py``. Each line on stdin is a JSON request ``{"argv": [...], "kill_at": N}``;
the driver forks a child that runs the ``nhigraph`` command line with ``argv`` (output discarded) and sends
itself SIGKILL just before the N-th *step* of the workspace writer: each call it makes to open a file, write a
parquet table, fsync, rename, replace or remove a folder (``kill_at`` 0: never). The reply line is
``{"signal": 9 | null, "exit": code | null, "steps": [...]}`` with the steps the child got to (all of them
when it was not killed). Forking keeps each run to the ingest itself, without a Python start-up.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import signal
import sys


def _instrument(store, kill_at: int, steps: list[str]) -> None:
    def step(name: str) -> None:
        steps.append(name)
        if len(steps) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    class Proxy:
        def __init__(self, real, names: set[str], label: str) -> None:
            self._real, self._names, self._label = real, names, label

        def __getattr__(self, name: str):
            value = getattr(self._real, name)
            if name not in self._names:
                return value

            def counted(*args, **kwargs):
                step(f"{self._label}.{name}")
                return value(*args, **kwargs)
            return counted

    store.os = Proxy(os, {"rename", "replace", "fsync", "open"}, "os")
    store.pq = Proxy(store.pq, {"write_table", "ParquetWriter"}, "pq")
    store.shutil = Proxy(shutil, {"rmtree"}, "shutil")

    def open_(*args, **kwargs):
        step("open")
        return builtins.open(*args, **kwargs)
    store.open = open_


def _child(argv: list[str], kill_at: int, report: int) -> None:
    import nhigraph.workspace.store as store
    from nhigraph.cli import cli

    steps: list[str] = []
    _instrument(store, kill_at, steps)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)

    def tell() -> None:
        os.write(report, (json.dumps(steps) + "\n").encode())

    try:
        cli.main(args=argv, prog_name="nhigraph", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001
        code = 70
    tell()
    os._exit(code)


def main() -> None:
    import nhigraph.cli  # noqa: F401 - imported once, before forking
    import nhigraph.cli.ingest_cmd  # noqa: F401
    import nhigraph.workspace.ingest  # noqa: F401

    for line in sys.stdin:
        req = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                _child(req["argv"], int(req.get("kill_at", 0)), w)
            finally:
                os._exit(71)
        os.close(w)
        with os.fdopen(r) as fh:
            told = fh.read()
        _, status = os.waitpid(pid, 0)
        reply = {"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                 "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                 "steps": json.loads(told) if told.strip() else None, "pid": pid}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
