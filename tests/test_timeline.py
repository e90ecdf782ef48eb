import json

import cv2
import numpy as np
import pandas as pd
import pytest

from expressiveness import plots
from expressiveness.faces import FaceDetector
from expressiveness.predict import Predictor
from expressiveness.timeline import FRAME_COLUMNS, AnalysisOptions, analyze_paths, analyze_video, summarize
from expressiveness.video import count_decodable_frames


@pytest.fixture(scope="module")
def predictor(trained_model):
    return Predictor(trained_model.model_path)


def test_every_frame_gets_a_row_with_or_without_a_face(demo_dir, predictor):
    clip = demo_dir / "videos" / "vid_0016.mp4"  # the face leaves the frame
    with FaceDetector() as detector:
        analysis = analyze_video(clip, predictor, detector)
    table = analysis.table
    assert list(table.columns) == list(FRAME_COLUMNS)
    assert list(table["frame"]) == list(range(count_decodable_frames(clip)))
    with_face, without = table[table["success"] == 1], table[table["success"] == 0]
    assert len(with_face) > 10 and len(without) > 10
    probabilities = with_face[["prob_reserved", "prob_balanced", "prob_expressive"]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
    assert without[["prob_reserved", "face_x"]].isna().all().all() and (without["level"] == "").all()
    summary = analysis.summary
    assert summary["face_share"] == pytest.approx(len(with_face) / len(table), abs=1e-4)
    assert sum(summary[f"share_{k}"] for k in ("reserved", "balanced", "expressive")) == pytest.approx(1, abs=1e-3)
    assert summary["model"] == "tiny" and summary["thresholds"] == [-0.303, 0.294]


def test_every_kth_frame(demo_dir, predictor):
    with FaceDetector() as detector:
        table = analyze_video(demo_dir / "videos" / "vid_0001.mp4", predictor, detector,
                              AnalysisOptions(every=3)).table
    assert list(table["frame"]) == list(range(0, 40, 3))


def test_summary_of_a_hand_made_table():
    table = pd.DataFrame({"success": [1, 1, 0, 1, 1], "level": ["Expressive", "Expressive", "", "Reserved Expression",
                                                              "Expressive"],
                          "prob_reserved": [0.1, 0.2, np.nan, 0.7, 0.0], "prob_balanced": [0.3, 0.2, np.nan, 0.2, 0.4],
                          "prob_expressive": [0.6, 0.6, np.nan, 0.1, 0.6]})
    summary = summarize(table)
    assert summary["face_share"] == 0.8 and summary["share_expressive"] == 0.75 and summary["share_reserved"] == 0.25
    assert summary["level_changes"] == 2 and summary["dominant_level"] == "Expressive"
    assert summary["mean_prob_reserved"] == pytest.approx(0.25)
    assert summary["expected_level"] == pytest.approx(0.275 + 2 * 0.475)


def test_analyze_a_folder_with_bad_videos_and_rerun(demo_dir, trained_model, tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "a.mp4").symlink_to(demo_dir / "videos" / "vid_0017.mp4")
    (folder / "broken.mp4").write_text("not a video\n" * 20)
    out = tmp_path / "out"
    report = analyze_paths([folder, tmp_path / "gone.mp4"], trained_model.model_path, out, workers=1,
                           annotate=plots.annotate_frame, figure=plots.save_timeline, progress=False)
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


def test_the_box_is_drawn_where_the_detector_found_the_face(face_frame):
    with FaceDetector() as detector:
        face = detector.detect(face_frame)[0]
    probabilities = np.array([[0.1, 0.87, 0.03]], "float32")
    drawn = plots.annotate_frame(face_frame, [face], probabilities)
    changed = np.any(drawn != face_frame, axis=2)
    color = plots.level_color_bgr("Balanced Expression")
    middle_y = face.y + face.height // 2
    for x, y in ((face.x, middle_y), (face.x + face.width, middle_y), (face.x + face.width // 2, face.y + face.height)):
        assert tuple(int(v) for v in drawn[y, x]) == color, (x, y)
    inside = changed[face.y + 5:face.y + face.height - 5, face.x + 5:face.x + face.width - 5]
    assert not inside.any()  # the face itself is left untouched
    assert changed[: face.y].any()  # the "Balanced Expression: 0.87" label sits above the box


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
