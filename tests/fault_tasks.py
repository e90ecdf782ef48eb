"""Fault injection for the batch runner's tests: task functions that kill their own worker
process, importable by worker processes (local pool and Dask) because tests/ is on their path."""

import json
import os
import signal
from pathlib import Path

from expressiveness.pipeline import extract

real_extract_task = extract._extract_task


def extract_or_die(video_id, file_name, video_path, target, settings):
    """The extraction task, except that a worker processing video 0003 kills itself (SIGKILL)
    every time, and one processing 0005 the first time only."""
    died_once = Path(target).with_name(".0005-died-once")
    if video_id == "0003" or (video_id == "0005" and not died_once.exists()):
        died_once.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return real_extract_task(video_id, file_name, video_path, target, settings)


def demo_subset(demo_dir: Path, folder: Path, count: int = 6) -> Path:
    """metadata.jsonl of the first `count` demo clips (symlinked) in `folder`."""
    (folder / "videos").mkdir(parents=True)
    records = [json.loads(line) for line in (demo_dir / "metadata.jsonl").read_text().splitlines()][:count]
    for record in records:
        (folder / record["file_name"]).symlink_to(demo_dir / record["file_name"])
    (folder / "metadata.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    return folder / "metadata.jsonl"
