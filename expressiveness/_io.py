"""Atomic file writes: write to a temporary name in the same folder, then rename.

A reader never sees a half-written file, and a run killed at any moment leaves at most a
stray temporary file (its name starts with "." and ends with ".tmp").
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_open(path: str | Path):
    """Open a binary handle whose content replaces `path` only when the block ends cleanly."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Replace `path` with `data` (str is written as UTF-8) atomically."""
    with atomic_open(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
