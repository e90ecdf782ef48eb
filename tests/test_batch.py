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
    shutil.copy(trained_model.model_path.with_suffix(".tflite"), tmp_path / "m.tflite")
    shutil.copy(trained_model.card_path, tmp_path / "m.json")
    clip = demo_dir / "videos" / "vid_0001.mp4"
    analyze_paths([clip], model, tmp_path / "out", progress=False)
    assert analyze_paths([clip], model, tmp_path / "out", progress=False).skipped == 1
    os.utime(model, (1_000_000_000, 1_000_000_000))  # as if retrained at another time
    assert analyze_paths([clip], model, tmp_path / "out", progress=False).skipped == 0
