"""The file lock around a cache entry, removed when released (also on Ctrl-C), so no empty ``.lock`` stays."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock


@contextmanager
def entry_lock(path: Path) -> Iterator[None]:
    """Concurrent agents that miss the same entry compute it once while the others wait.

    The lock file is unlinked after release. A process still waiting on the unlinked file and one that
    creates a new lock may then both compute the entry: writes are temp file + rename, so the rare
    overlap costs duplicated work, never a half-written file.
    """
    lock_path = Path(str(path) + ".lock")
    try:
        with FileLock(str(lock_path)):
            yield
    finally:
        lock_path.unlink(missing_ok=True)
