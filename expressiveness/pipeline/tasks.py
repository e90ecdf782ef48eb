"""Many videos: finding them, naming their outputs, recording failures, and running the
per-video tasks in this process or in worker processes (executors.py).

Extraction (extract.py: a data set's videos -> the crop cache) and analysis (run.py: video
files and folders -> per-frame tables and summaries) are two batches over this one runner.
Workers are started with 'spawn' (a fork after TensorFlow or MediaPipe has started threads can
hang), ignore Ctrl-C (the parent reports it once), and build their engines once, lazily, cached
by settings.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Hashable, Iterator

from expressiveness.pipeline import executors
from expressiveness.errors import BaselineError, SubjectError, UnreadableVideoError

# What a folder scan takes as a video: the containers FFmpeg (behind OpenCV) reads, including the
# transport streams of camcorders and broadcast (.ts .mts .m2ts) and phone and web formats.
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ts", ".mts", ".m2ts",
                  ".3gp", ".3g2", ".flv", ".f4v", ".ogv", ".vob", ".mxf", ".asf")


def failure_status(error: Exception, video: str | Path) -> str | None:
    """The status a video gets for an error while working on it: "missing" when the video is
    not there, "unreadable" when it cannot be decoded, "failed" for another OSError (an output
    that cannot be written: disk full, permission denied; or a measures baseline that cannot
    serve this video, BaselineError; a person asked by number that it does not show,
    SubjectError); None for anything else (a bug)."""
    if isinstance(error, (BaselineError, SubjectError)):
        return "failed"
    if isinstance(error, UnreadableVideoError):
        return "unreadable"
    if isinstance(error, FileNotFoundError) and not Path(video).exists():
        return "missing"
    if isinstance(error, OSError):
        return "failed"
    return None


# ---------------------------------------------------------------- the runner

_local = threading.local()  # engines per thread: a Dask worker may run several tasks at once


def worker_engine(key: Hashable, factory: Callable):
    """The engine (detector, analyzer, ...) this thread built for `key`, built on first use."""
    engines = _local.__dict__.setdefault("engines", {})
    if key not in engines:
        engines[key] = factory()
    return engines[key]


def forget_engine(key: Hashable) -> None:
    """Drop this thread's engine for `key` without closing it (its owner closes it)."""
    _local.__dict__.get("engines", {}).pop(key, None)


def close_engines() -> None:
    """Close the engines this thread built."""
    engines = _local.__dict__.get("engines", {})
    while engines:
        _, engine = engines.popitem()
        close = getattr(engine, "close", None)
        if close is not None:
            close()


def run_tasks(task: Callable, jobs: list[tuple], failed: Callable, workers: int = 1, executor=None,
              writable: str | Path | None = None) -> Iterator:
    """Yield task(*job) for every job, in the order they finish; the one seam through which
    every batch (extraction, analysis, validation) runs its per-video tasks.

    executor: None runs them in this process (workers == 1) or in `workers` spawned
    processes; a Dask cluster ("local", "tcp://HOST:PORT", a scheduler file, or a
    distributed.Client) runs them there, after checking that every worker can write to the
    output folder `writable`. A task whose worker dies (killed, out of memory, a crash) is
    retried once, then yields failed(job), the batch's row for a video whose worker died twice.
    When the consumer stops early or a task raises, the tasks not yet finished are stopped.
    """
    if not jobs:
        return
    if executor is not None:
        yield from executors.run_on_dask(task, jobs, workers, executor, writable, failed)
    elif workers == 1:
        try:
            for job in jobs:
                yield task(*job)
        finally:
            close_engines()
    else:
        yield from executors.run_in_pool(task, jobs, workers, failed)


# ---------------------------------------------------------------- video files and output names

def find_videos(paths: list[str | Path]) -> tuple[list[Path], list[dict]]:
    """Video files named or found (recursively, by suffix, VIDEO_SUFFIXES) in folders, each once
    (by resolved path: `videos/ videos/a.mp4` gives a.mp4 once). A file named is taken whatever
    its suffix; a folder scan leaves out hidden files (temporaries, macOS "._" copies). Missing
    paths, and folders without a video, are returned as failures rather than raised."""
    videos, failures, seen = [], [], set()
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES
                           and not p.name.startswith(".") and p.is_file())
            if not found:
                failures.append({"video": str(path), "status": "empty",
                                 "error": f"no videos found in {path}; expected files ending in "
                                          f"{' '.join(VIDEO_SUFFIXES)}."})
        elif path.exists():
            found = [path]
        else:
            failures.append({"video": str(path), "status": "missing", "error": f"{path}: file or folder not found."})
            continue
        for video in found:
            if video.resolve() not in seen:
                seen.add(video.resolve())
                videos.append(video)
    return videos, failures


def output_names(videos: list[Path]) -> dict[Path, str]:
    """A unique output name per video: its stem, with parent folders added where stems clash."""
    names = {}
    for video in videos:
        name, parents = video.stem, list(video.resolve().parents)
        depth = 0
        while name in names.values() and depth < len(parents) - 1:
            name = f"{parents[depth].name}_{name}"
            depth += 1
        names[video] = name
    return names
