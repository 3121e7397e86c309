"""Will an ingest fit in memory? Estimated from the inputs' sizes and checked before anything is parsed.

An ingest holds every file's records, the current snapshot and the merged graph at once, so its peak memory
grows with the size of the exports. Rather than let a 2 GB export push the machine into swap (or the
out-of-memory killer) half way through, :func:`check` estimates the peak from the file sizes and compares it
with what the machine (and its cgroup, in a container) has available, and refuses with one line saying what to
do instead. The workspace is not touched.

The factors are peak resident memory per byte of export, measured with ``tests/benchmarks/bench_large_export.py``
(authorization details) and the same method on the other families (whole ``nhigraph ingest`` runs into a fresh
workspace, baseline interpreter memory subtracted), rounded up. They hold for exports whose records grow with
their size; one whose grants fan out (a binding to a role that reads every secret of a busy namespace) makes more
records per byte than any factor, so the check catches the plainly too large, not every case.
``NHIGRAPH_NO_MEMORY_CHECK=1`` or ``nhigraph ingest --no-memory-check`` skips the check.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import NhigraphError

#: set to 1 to skip the check (as ``nhigraph ingest --no-memory-check`` does)
ENV_SKIP = "NHIGRAPH_NO_MEMORY_CHECK"
#: the interpreter with nhigraph, pandas and pyarrow loaded (a tiny ingest peaks at about 130 MB)
BASELINE = 200 * 2**20
#: peak resident bytes per byte of export for a whole ingest into an empty workspace, by how the file is read;
#: measured (2 cores, Python 3.11), then rounded up:
FACTORS = {
    "authz": 6.0,  # AWS authorization details, streamed: 5.9 at 200 MB (tests/benchmarks/bench_large_export.py)
    "json": 9.0,  # other JSON exports, one document at a time: 8.4 for a 15 MB kubectl List
    "lines": 13.0,  # CSV tables and JSON lines, a line at a time: 12.6 for a 20 MB identities.csv
}
#: per node or edge of the current snapshot (loaded, merged and written again)
PER_EXISTING_RECORD = 2048
#: the estimate must fit in this share of what is available
HEADROOM = 0.9


class InsufficientMemoryError(NhigraphError):
    """The inputs would not fit in the memory available."""

    exit_code = 7


@dataclass(frozen=True)
class Estimate:
    needed: int
    available: int | None
    where: str  # where ``available`` was read
    biggest: list[tuple[Path, int]]

    @property
    def fits(self) -> bool:
        return self.available is None or self.needed <= self.available * HEADROOM


def family(path: Path) -> str:
    """How a file is read, from its name and first bytes (no full detection: cheap for any number of files)."""
    name = path.name.lower()
    if name.endswith((".csv", ".tsv", ".txt", ".jsonl", ".ndjson")):
        return "lines"
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "json"
    if b'"UserDetailList"' in head or b'"RoleDetailList"' in head or b'"GroupDetailList"' in head:
        return "authz"
    return "json"


def needed_bytes(files: list[Path], existing_records: int = 0) -> tuple[int, list[tuple[Path, int]]]:
    """Estimated peak bytes for ingesting ``files`` into a snapshot of ``existing_records`` nodes and edges, and
    the files by size, largest first."""
    sizes = []
    for f in files:
        try:
            sizes.append((f, f.stat().st_size))
        except OSError:
            sizes.append((f, 0))  # reported by the reader
    total = BASELINE + existing_records * PER_EXISTING_RECORD
    total += int(sum(size * FACTORS[family(f)] for f, size in sizes if size))
    return total, sorted(sizes, key=lambda fs: -fs[1])


def available_bytes() -> tuple[int | None, str]:
    """Memory this process can still use, and where that was read: the least of the kernel's MemAvailable and
    the room left under a cgroup memory limit. None when neither can be read (not Linux)."""
    found: list[tuple[int, str]] = []
    mem = _meminfo_available()
    if mem is not None:
        found.append((mem, "MemAvailable"))
    cg = _cgroup_room()
    if cg is not None:
        found.append((cg, "cgroup memory limit"))
    if not found:
        return None, "unknown"
    return min(found)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            k, _, v = line.partition(" ")
            if k == key:
                return int(v)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_room() -> int | None:
    """Limit minus usage (page cache that can be dropped not counted as used) of this process's cgroup."""
    root = Path("/sys/fs/cgroup")
    candidates = [(root / "memory.max", root / "memory.current", root / "memory.stat", "inactive_file"),
                  (root / "memory/memory.limit_in_bytes", root / "memory/memory.usage_in_bytes",
                   root / "memory/memory.stat", "total_inactive_file")]
    best: int | None = None
    for limit_file, usage_file, stat_file, inactive in candidates:
        limit = _read_int(limit_file)
        if limit is None or limit >= 2**60:
            continue
        usage = _read_int(usage_file) or 0
        room = max(0, limit - max(0, usage - _stat(stat_file, inactive)))
        best = room if best is None else min(best, room)
    return best


def estimate(files: list[Path], existing_records: int = 0) -> Estimate:
    needed, biggest = needed_bytes(files, existing_records)
    available, where = available_bytes()
    return Estimate(needed, available, where, biggest)


def _skipped() -> bool:
    """Whether ``NHIGRAPH_NO_MEMORY_CHECK`` asks to skip the checks."""
    return os.environ.get(ENV_SKIP, "").strip().lower() in ("1", "true", "yes")


def _size(n: int) -> str:
    for unit, div in (("GB", 2**30), ("MB", 2**20)):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n / 2**10:.0f} KB"


def check(files: list[Path], existing_records: int = 0) -> Estimate:
    """Raise :class:`InsufficientMemoryError` if ingesting ``files`` would not fit in memory (unless
    ``NHIGRAPH_NO_MEMORY_CHECK`` is set)."""
    est = estimate(files, existing_records)
    if est.fits or _skipped():
        return est
    shown = ", ".join(f"{p} ({_size(s)})" for p, s in est.biggest[:3])
    more = f" and {len(est.biggest) - 3} more" if len(est.biggest) > 3 else ""
    raise InsufficientMemoryError(
        f"not enough memory to ingest {len(files)} file(s): needs about {_size(est.needed)}, "
        f"{_size(est.available or 0)} available ({est.where}); largest: {shown}{more}. Split the export, "
        "ingest it in parts (one account or scope at a time, with --scope), or use a machine with more memory "
        "(or Neo4j); --no-memory-check (or NHIGRAPH_NO_MEMORY_CHECK=1) ingests anyway")


#: peak resident bytes per node or edge for loading a snapshot into networkx and analysing it (debt, findings,
#: blast radii, the report): measured 5.1 KB for the whole `nhigraph report` at 100k identities (1.42 M records,
#: 7.2 GB peak), rounded up
PER_LOADED_RECORD = 5500


def check_load(records: int) -> Estimate:
    """Raise :class:`InsufficientMemoryError` if analysing a snapshot of ``records`` nodes and edges on the
    embedded backend would not fit (unless ``NHIGRAPH_NO_MEMORY_CHECK`` is set), saying what to use instead:
    `reach` and `viz KEY` (which read one credential's neighbourhood) or Neo4j."""
    needed = BASELINE + records * PER_LOADED_RECORD
    available, where = available_bytes()
    est = Estimate(needed, available, where, [])
    if est.fits or _skipped():
        return est
    raise InsufficientMemoryError(
        f"not enough memory to analyse this snapshot: {records:,} nodes and edges need about {_size(needed)} on the embedded "
        f"backend, {_size(available or 0)} available ({where}). Push it to Neo4j and analyse there "
        "(`nhigraph neo4j push`, then `--backend neo4j`); `nhigraph reach KEY` and `nhigraph viz KEY` still work "
        "here (they read one credential's neighbourhood); NHIGRAPH_NO_MEMORY_CHECK=1 loads anyway")
