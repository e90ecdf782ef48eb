"""Scale-out overhead: the same clips through the local process pool and through `--dask local`
(a dask.distributed LocalCluster started for the run), with the same number of workers.

Each run extracts faces (default sampling, 32 frames per clip) from the demo clips looped to
`--seconds` and copied `--copies` times, into a fresh cache, and is timed end to end as a user
sees it: worker start-up (spawned pool, or cluster start and shutdown) included. A third
variant runs on a cluster that is already up (as `--dask tcp://...` does), which shows Dask's
per-video overhead without its start-up. Variants run interleaved, after one warm-up run
each, `--rounds` times; medians are reported. With one worker the local path runs in this
process (what `extract --workers 1` does).

Run: .venv/bin/python benchmarks/bench_scale.py [--data FYP/RecruitView_Data] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import make_bench_set  # noqa: E402
from expressiveness.pipeline.extract import extract_dataset  # noqa: E402
from expressiveness.data.cache import ExtractSettings  # noqa: E402
from expressiveness.data.demo_data import build_demo_dataset  # noqa: E402
from expressiveness.pipeline.executors import start_local_cluster  # noqa: E402

VARIANTS = [(workers, dask) for workers in (1, 2) for dask in (None, "local", "running")]


def with_copies(metadata: Path, copies: int) -> tuple[Path, int]:
    """A metadata.jsonl listing each clip `copies` times (symlinked videos, new ids)."""
    records = [json.loads(line) for line in metadata.read_text().splitlines()]
    folder = metadata.parent
    lines = []
    for copy in range(copies):
        for record in records:
            name = f"videos/copy{copy}_{Path(record['file_name']).name}"
            if copy:
                (folder / name).symlink_to(folder / record["file_name"])
            else:
                name = record["file_name"]
            lines.append(json.dumps(dict(record, id=f"{copy}{record['id']}", file_name=name)))
    path = folder / "metadata_copies.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, len(lines)


def timed_run(metadata: Path, cache: Path, workers: int, dask: str | None) -> float:
    started = time.perf_counter()
    summary = extract_dataset(metadata, cache, ExtractSettings(), workers=workers, progress=False, dask=dask)
    seconds = time.perf_counter() - started
    if summary.skipped or summary.counts.get("failed"):
        raise RuntimeError(f"unexpected run: {summary.text()}")
    return seconds


def label(workers: int, dask: str | None) -> str:
    where = {"local": "dask local", "running": "dask, cluster already up"}.get(dask) or \
        ("local pool" if workers > 1 else "in process")
    return f"{where}, {workers} worker(s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="FYP/RecruitView_Data", help="demo data folder (built if missing)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each benchmark clip")
    parser.add_argument("--copies", type=int, default=3, help="times each clip is listed")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timed rounds")
    args = parser.parse_args()
    data_dir = Path(args.data)
    if not (data_dir / "metadata.jsonl").exists():
        build_demo_dataset(data_dir)

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        metadata, clips = with_copies(make_bench_set(data_dir, scratch / "set", args.seconds), args.copies)
        print(f"Benchmark set: {clips} clips of {args.seconds:.0f} s, 640x480; 32 frames extracted per clip")

        started = time.perf_counter()
        start_local_cluster(2).close()
        print(f"LocalCluster of 2 workers, start and close alone: {time.perf_counter() - started:.1f} s")

        running = {workers: start_local_cluster(workers) for workers in (1, 2)}
        runs = 0

        def run(workers, dask):
            nonlocal runs
            runs += 1
            where = running[workers].scheduler_address if dask == "running" else dask
            return timed_run(metadata, scratch / f"cache{runs}", workers, where)

        for variant in VARIANTS:  # warm-up: file cache, bytecode, model files
            run(*variant)
        seconds = {variant: [] for variant in VARIANTS}
        for _ in range(args.rounds):
            for variant in VARIANTS:
                seconds[variant].append(run(*variant))

        for cluster in running.values():
            cluster.close()

        speed = {variant: clips / statistics.median(times) for variant, times in seconds.items()}
        for variant in VARIANTS:
            times = ", ".join(f"{value:.1f}" for value in seconds[variant])
            print(f"{label(*variant):38s} {speed[variant]:5.2f} clips/s   (runs: {times} s)")
        for workers in (1, 2):
            local = speed[(workers, None)]
            print(f"{workers} worker(s): dask local / local = {speed[(workers, 'local')] / local:.2f} (target >= 0.9); "
                  f"cluster already up / local = {speed[(workers, 'running')] / local:.2f}")
        for dask in (None, "local", "running"):
            print(f"scaling 1 -> 2 workers, {label(2, dask).split(',')[0]}: {speed[(2, dask)] / speed[(1, dask)]:.2f}x")


if __name__ == "__main__":
    main()
