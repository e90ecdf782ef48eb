"""Extraction and analysis on a real Dask cluster (dask.distributed LocalCluster, 2 worker
processes): the same outputs as a local run, Ctrl-C prints one line and a rerun resumes, a
worker killed with SIGKILL mid-run costs one retry (or one failed row), bad videos are recorded
while the rest finish, and an output folder the workers cannot write stops the run at once."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("distributed")

from expressiveness.pipeline import extract  # noqa: E402
from expressiveness.pipeline.run import analyze_paths  # noqa: E402
from expressiveness.pipeline.tasks import run_tasks  # noqa: E402
from expressiveness.pipeline.extract import _failed_extraction, extract_dataset  # noqa: E402
from expressiveness.data.cache import ExtractSettings, read_crops  # noqa: E402
from expressiveness.pipeline.executors import start_local_cluster, worker_died  # noqa: E402
from expressiveness.pipeline.options import AnalysisOptions  # noqa: E402

from conftest import DEMO_FRAMES_PER_CLIP, run_main  # noqa: E402
from fault_tasks import demo_subset, extract_or_die, real_extract_task  # noqa: E402
from isolated import default_sigint  # noqa: E402

FAST = ExtractSettings(frames_per_clip=DEMO_FRAMES_PER_CLIP)


@pytest.fixture(scope="module")
def cluster():
    """The scheduler address of a LocalCluster like the one `--dask local` starts, 2 workers."""
    local = start_local_cluster(2)
    yield local.scheduler_address
    local.close()


def manifest(cache):
    with open(cache / "manifest.csv", newline="") as handle:
        return {row["id"]: {k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)}


def assert_same_crops(cache_a, cache_b):
    files = sorted(path.name for path in (cache_a / "crops").glob("*.npz"))
    assert files == sorted(path.name for path in (cache_b / "crops").glob("*.npz")) and files
    for name in files:
        a, b = read_crops(cache_a / "crops" / name), read_crops(cache_b / "crops" / name)
        assert sorted(a) == sorted(b)
        for field in a:
            if field != "seconds":
                assert np.array_equal(a[field], b[field]), (name, field)


def test_extract_dask_local_interrupted_then_resumed_gives_the_local_cache(demo_dir, demo_extraction, cluster,
                                                                         tmp_path):
    # The reference is the local run every test session makes once (conftest's demo_extraction:
    # the FAST settings, the local pool of 2 worker processes).
    metadata = demo_dir / "metadata.jsonl"
    local, _ = demo_extraction
    local_counts = Counter(row["status"] for row in manifest(local).values())
    assert local_counts == {"ok": 18, "no_face": 1}

    # Ctrl-C in a terminal signals the parent and every worker of `--dask local`.
    process = subprocess.Popen([sys.executable, "-m", "expressiveness.cli", "extract", "--metadata", str(metadata),
                                "--cache", str(tmp_path / "dask"), "--frames-per-clip", "4", "--workers", "2",
                                "--dask", "local", "--no-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=default_sigint)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "dask").glob("crops/*.npz")) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "expressiveness extract: interrupted; finished work is kept, rerun to resume."
    assert "Traceback" not in stderr
    kept = len(list((tmp_path / "dask").glob("crops/*.npz")))
    assert kept >= 1

    resumed = extract_dataset(metadata, tmp_path / "dask", FAST, workers=2, progress=False, dask=cluster)
    assert resumed.skipped == kept and resumed.counts == local_counts
    assert manifest(tmp_path / "dask") == manifest(local)
    assert_same_crops(tmp_path / "dask", local)


def test_analysis_on_dask_gives_the_local_tables(demo_dir, trained_model, cluster, tmp_path):
    # The reference runs in this process, where TensorFlow is already loaded: building an
    # analyzer in a fresh process (TensorFlow, the model, its TFLite conversion) is the slow part.
    clips = [demo_dir / "videos" / f"vid_{n:04d}.mp4" for n in (1, 13, 19)]
    for out, workers, dask in (("local", 1, None), ("dask", 2, cluster)):
        report = analyze_paths(clips, trained_model.model_path, tmp_path / out, AnalysisOptions(every=3), workers,
                               progress=False, dask=dask)
        assert len(report.analyzed) == 3 and not report.failures
    for clip in clips:
        table = f"{clip.stem}_frames.csv"
        assert (tmp_path / "dask" / table).read_bytes() == (tmp_path / "local" / table).read_bytes()
        summaries = [json.loads((tmp_path / out / f"{clip.stem}_summary.json").read_text()) for out in ("dask", "local")]
        for summary in summaries:
            del summary["seconds"], summary["frames_per_second"]
        assert summaries[0] == summaries[1]


def test_an_unreadable_video_is_recorded_with_its_worker_and_the_rest_finish(demo_dir, trained_model, cluster,
                                                                            tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "a.mp4").symlink_to(demo_dir / "videos" / "vid_0017.mp4")
    (folder / "broken.mp4").write_text("not a video\n" * 20)
    report = analyze_paths([folder], trained_model.model_path, tmp_path / "out", AnalysisOptions(every=3),
                           workers=2, progress=False, dask=cluster)
    assert [summary["name"] for summary in report.analyzed] == ["a"]
    [failure] = report.failures
    assert failure["status"] == "unreadable" and failure["video"] == str(folder / "broken.mp4")
    assert failure["error"].startswith(str(folder / "broken.mp4"))
    assert failure["error"].endswith(")") and "(on worker " in failure["error"] and "tcp://127.0.0.1:" in failure["error"]


def test_a_worker_killed_mid_run_costs_one_video_and_the_rerun_completes(demo_dir, cluster, tmp_path, monkeypatch):
    metadata = demo_subset(demo_dir, tmp_path / "data")
    monkeypatch.setattr(extract, "_extract_task", extract_or_die)
    summary = extract_dataset(metadata, tmp_path / "cache", FAST, workers=2, progress=False, dask=cluster)
    rows = manifest(tmp_path / "cache")
    assert rows["0003"]["status"] == "failed"
    assert rows["0003"]["error"] == worker_died(tmp_path / "data" / "videos" / "vid_0003.mp4")
    assert rows["0005"]["status"] == "ok"  # its worker died once; the retry finished it
    assert summary.counts == {"ok": 5, "failed": 1}
    assert not (tmp_path / "cache" / "crops" / "0003.npz").exists()

    monkeypatch.setattr(extract, "_extract_task", real_extract_task)
    scheduler_file = tmp_path / "scheduler.json"  # as `dask scheduler --scheduler-file` writes it
    scheduler_file.write_text(json.dumps({"type": "Scheduler", "address": cluster}))
    again = extract_dataset(metadata, tmp_path / "cache", FAST, workers=2, progress=False, dask=str(scheduler_file))
    assert again.skipped == 5 and again.counts == {"ok": 6}
    assert read_crops(tmp_path / "cache" / "crops" / "0003.npz")["crops"].shape == (4, 48, 48)


def test_an_output_folder_the_workers_cannot_write_stops_the_run_at_once(cluster, tmp_path):
    with pytest.raises(OSError) as caught:
        next(run_tasks(real_extract_task, [("0001",)], _failed_extraction, 2, cluster, writable=tmp_path / "absent"))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'absent'}: the Dask worker at tcp://127.0.0.1:")
    assert message.endswith("need the output folder on a file system they share with this machine.")


@pytest.mark.parametrize("value", ["nowhere.json", "tcp://"])
def test_a_bad_dask_option_is_refused_before_any_work(value, capsys):
    result = run_main(capsys, "extract", "--dask", value)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (f"expressiveness extract: error: argument --dask: {value!r} is not local, "
                                              f"a scheduler address such as tcp://HOST:8786, or an existing scheduler "
                                              f"file")


def test_a_file_that_is_no_scheduler_file_is_one_line(demo_dir, tmp_path, capsys):
    (tmp_path / "scheduler.json").write_text("{}")
    result = run_main(capsys, "extract", "--metadata", demo_dir / "metadata.jsonl", "--cache", tmp_path / "cache",
                      "--dask", tmp_path / "scheduler.json", "--no-progress")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"expressiveness extract: error: {tmp_path / 'scheduler.json'}: not a Dask scheduler file; expected the JSON "
        f"file written by `dask scheduler --scheduler-file`, with an \"address\" such as tcp://HOST:8786.")
