import json

import cv2
import numpy as np
import pandas as pd

from expressiveness import plots
from expressiveness.batch import analyze_paths
from expressiveness.video import count_decodable_frames


def test_analyze_a_folder_with_bad_videos_and_rerun(demo_dir, trained_model, tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "a.mp4").symlink_to(demo_dir / "videos" / "vid_0017.mp4")
    (folder / "broken.mp4").write_text("not a video\n" * 20)
    out = tmp_path / "out"
    report = analyze_paths([folder, tmp_path / "gone.mp4"], trained_model.model_path, out, workers=1,
                           annotate=plots.draw_result, figure=plots.save_timeline, progress=False)
    assert len(report.analyzed) == 1
    assert sorted((f["status"], f["video"].split("/")[-1]) for f in report.failures) == [
        ("missing", "gone.mp4"), ("unreadable", "broken.mp4")]
    for name in ("a_frames.csv", "a_summary.json", "a_timeline.png", "a_annotated.mp4", "summary.csv",
                 "run_report.json"):
        assert (out / name).stat().st_size > 0, name
    frames = pd.read_csv(out / "a_frames.csv")
    capture = cv2.VideoCapture(str(out / "a_annotated.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames) == count_decodable_frames(folder / "a.mp4")
    capture.release()
    assert json.loads((out / "run_report.json").read_text())["failed"] == 2

    stamp = (out / "a_frames.csv").stat().st_mtime_ns
    again = analyze_paths([folder], trained_model.model_path, out, progress=False)
    assert again.skipped == 1 and (out / "a_frames.csv").stat().st_mtime_ns == stamp


def test_a_retrained_model_makes_the_rerun_analyse_again(demo_dir, trained_model, tmp_path):
    import os
    import shutil

    model = tmp_path / "m.keras"
    shutil.copy(trained_model.model_path, model)
    shutil.copy(trained_model.card_path, tmp_path / "m.json")
    clip = demo_dir / "videos" / "vid_0001.mp4"
    analyze_paths([clip], model, tmp_path / "out", progress=False)
    assert analyze_paths([clip], model, tmp_path / "out", progress=False).skipped == 1
    os.utime(model, (1_000_000_000, 1_000_000_000))  # as if retrained at another time
    assert analyze_paths([clip], model, tmp_path / "out", progress=False).skipped == 0


def test_a_worker_that_dies_costs_one_video_and_the_pool_goes_on(demo_dir, tmp_path, monkeypatch):
    from expressiveness import batch
    from expressiveness.batch import extract_dataset
    from expressiveness.cache import ExtractSettings, read_crops
    from expressiveness.executors import worker_died
    from fault_tasks import demo_subset, extract_or_die, real_extract_task

    metadata = demo_subset(demo_dir, tmp_path / "data")
    settings = ExtractSettings(frames_per_clip=4)
    monkeypatch.setattr(batch, "_extract_task", extract_or_die)  # 0003 kills its worker every time, 0005 once
    summary = extract_dataset(metadata, tmp_path / "cache", settings, workers=2, progress=False)
    manifest = pd.read_csv(tmp_path / "cache" / "manifest.csv", dtype=str, keep_default_na=False)
    rows = manifest.set_index("id").to_dict("index")
    assert summary.counts == {"ok": 5, "failed": 1}
    assert rows["0003"]["status"] == "failed"
    assert rows["0003"]["error"] == f"worker died while processing {tmp_path}/data/videos/vid_0003.mp4 " \
                                    f"(killed, out of memory or a crash)" == worker_died(metadata.parent / "videos/vid_0003.mp4")
    assert rows["0005"]["status"] == "ok"

    monkeypatch.setattr(batch, "_extract_task", real_extract_task)
    again = extract_dataset(metadata, tmp_path / "cache", settings, workers=2, progress=False)
    assert again.skipped == 5 and again.counts == {"ok": 6}
    assert read_crops(tmp_path / "cache" / "crops" / "0003.npz")["crops"].shape == (4, 48, 48)


def test_ctrl_c_during_a_parallel_run_prints_one_line_and_keeps_finished_work(demo_dir, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    cache = tmp_path / "cache"
    process = subprocess.Popen([sys.executable, "-m", "expressiveness.cli", "extract", "--metadata",
                                str(demo_dir / "metadata.jsonl"), "--cache", str(cache), "--frames-per-clip", "4",
                                "--workers", "2", "--no-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(cache.glob("crops/*.npz")) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the parent and both workers
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "expressiveness extract: interrupted; finished work is kept, rerun to resume."
    assert "Traceback" not in stderr
    assert (cache / "manifest.csv").exists() and list(cache.glob("crops/*.npz"))


def test_without_dask_option_nothing_imports_dask(demo_dir, tmp_path):
    import subprocess
    import sys

    script = ("import sys\nfrom expressiveness.cli import main\nfrom expressiveness.batch import extract_dataset\n"
              "from expressiveness.cache import ExtractSettings\n"
              f"extract_dataset({str(demo_dir / 'metadata.jsonl')!r}, {str(tmp_path / 'c')!r}, "
              "ExtractSettings(frames_per_clip=2), workers=1, progress=False)\n"
              "print(sorted({name.split('.')[0] for name in sys.modules} & {'dask', 'distributed'}))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
