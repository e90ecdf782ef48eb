"""Atomic file writes, temporary names, and file fingerprints.

A file is written under a temporary name in the same folder, then renamed over its target: a
reader never sees a half-written file, and a run killed at any moment leaves at most a stray
temporary file. Temporary names carry the host and the process id (".NAME.HOST.PID.tmp"), so
two runs writing into one folder (two terminals, a cluster array job on a shared disk) never
write to, or clean up, each other's temporaries.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from contextlib import contextmanager, suppress
from pathlib import Path

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"
_TEMPORARY = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.tmp(\.[A-Za-z0-9]+)?$")


def temporary_name(path: str | Path, keep_suffix: bool = False) -> Path:
    """The temporary name this process writes `path` under: .NAME.HOST.PID.tmp in the same
    folder (with keep_suffix, .STEM.HOST.PID.tmp.SUFFIX, for writers that pick the format
    from the suffix)."""
    path = Path(path)
    if keep_suffix:
        return path.with_name(f".{path.stem}.{_HOST}.{os.getpid()}.tmp{path.suffix}")
    return path.with_name(f".{path.name}.{_HOST}.{os.getpid()}.tmp")


def output_folder(path: str | Path, option: str) -> Path:
    """Create an output folder (and its parents) and check that this process can write in it,
    before any work starts: a file in its place or on its path, a folder without write
    permission or a read-only disk is one sentence naming the folder and `option`
    (NotADirectoryError, PermissionError or OSError), not an error at the end of a long run."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path}: is a file; expected a folder for the outputs ({option}).")
    blocker = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocker is not None:
        raise NotADirectoryError(f"{path}: cannot be created, {blocker} is a file; expected a folder for the "
                                 f"outputs ({option}).")
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A real write, not os.access: it also sees a read-only disk, and ACLs; the name is a
        # temporary's, so a run killed right here leaves what remove_stale_temporaries clears.
        probe = temporary_name(path / "write-check")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        probe.unlink()
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise type(error)(f"{path}: cannot create or write in this folder ({reason}); expected a folder for "
                          f"the outputs that this user can write in ({option}).") from None
    return path


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the temporaries in `folder` left by runs on this host that are no longer alive;
    returns them. Temporaries of live runs, and of runs on other hosts (which cannot be
    checked from here), are left alone: the renames of their owners replace them."""
    removed = []
    for path in Path(folder).glob(".*.tmp*"):
        match = _TEMPORARY.match(path.name)
        if match is None or match["host"] != _HOST or _process_alive(int(match["pid"])):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextmanager
def atomic_open(path: str | Path):
    """Open a binary handle whose content replaces `path` only when the block ends cleanly.
    An OSError of the write (disk full, permission denied, a folder where the file should be)
    names `path`, not the temporary."""
    path = Path(path)
    temporary = temporary_name(path)
    try:
        with open(temporary, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        if error.errno is not None and error.filename in (None, str(temporary)):
            raise type(error)(error.errno, error.strerror, str(path)) from None
        raise
    finally:
        with suppress(OSError):  # cleanup only; a stale temporary is harmless
            temporary.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Replace `path` with `data` (str is written as UTF-8) atomically."""
    with atomic_open(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


_digests: dict[tuple, str] = {}


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes (hex). Remembered per process by path, size and
    modification time, so a model file is read once per run, not once per video."""
    path = Path(path).resolve()
    status = path.stat()
    key = (str(path), status.st_size, status.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def source_info(path: str | Path) -> dict:
    """What identifies an input file's content cheaply: its resolved path, size in bytes and
    modification time in nanoseconds. Raises FileNotFoundError for a missing file."""
    path = Path(path).resolve()
    status = path.stat()
    return {"path": str(path), "size_bytes": int(status.st_size), "modified_ns": int(status.st_mtime_ns)}
