import json

import numpy as np
import pandas as pd
import pytest

from expressiveness.report import plots_overlay
from expressiveness.face import FaceBox, FaceDetector
from expressiveness.pipeline.frame_engine import BASE_COLUMNS, FRAME_COLUMNS, FrameAnalyzer, build_analyzer
from expressiveness.pipeline.speech import SPEECH_COLUMNS
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.per_video import analyze_video
from expressiveness.face import BLENDSHAPE_COLUMNS
from expressiveness.measures.facial import MEASURE_COLUMNS
from expressiveness.measures.quality import QUALITY_COLUMNS
from expressiveness.levels.predict import Predictor
from expressiveness.pipeline.scorers import LevelScorer, TemporalSmoother, summarize_levels
from conftest import count_decodable_frames
from expressiveness.video import Frame


@pytest.fixture(scope="module")
def predictor(trained_model):
    return Predictor(trained_model.model_path)


def test_every_frame_gets_a_row_with_or_without_a_face(demo_dir, trained_model):
    clip = demo_dir / "videos" / "vid_0016.mp4"  # the face leaves the frame (a cut to another shot)
    analyzer = build_analyzer(trained_model.model_path)
    analysis = analyze_video(clip, analyzer)
    analyzer.close()
    table = analysis.table
    # levels, then the facial measures, then the 52 blendshapes, then the sound's voice activity
    assert list(table.columns) == list(FRAME_COLUMNS + MEASURE_COLUMNS + QUALITY_COLUMNS + BLENDSHAPE_COLUMNS
                                       + SPEECH_COLUMNS)
    scores = table[list(BLENDSHAPE_COLUMNS)].dropna()
    assert len(scores) == table["expressivity"].notna().sum() > 0
    assert ((scores >= 0) & (scores <= 1)).all().all() and scores["bs_jawOpen"].max() > 0.05
    assert list(table["frame"]) == list(range(count_decodable_frames(clip)))
    with_face, without = table[table["success"] == 1], table[table["success"] == 0]
    assert len(with_face) > 10 and len(without) > 10
    probabilities = with_face[["prob_reserved", "prob_balanced", "prob_expressive"]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
    assert without[["prob_reserved", "face_x"]].isna().all().all() and (without["level"] == "").all()
    summary = analysis.summary
    assert summary["face_share"] == pytest.approx(len(with_face) / len(table), abs=1e-4)
    assert sum(summary[f"share_{k}"] for k in ("reserved", "balanced", "expressive")) == pytest.approx(1, abs=1e-3)
    assert summary["provenance"]["model"] == "tiny" and summary["provenance"]["thresholds"] == [-0.303, 0.294]
    assert summary["complete"] is True and summary["frames_decoded"] == len(table)
    # The measures: present exactly where the mesh found the interviewee, empty without a face.
    assert without[list(MEASURE_COLUMNS)].isna().all().all()
    assert with_face["expressivity"].notna().mean() > 0.9
    assert summary["landmarks_share"] == pytest.approx(with_face["expressivity"].notna().sum() / len(table), abs=1e-4)
    usable = table[table["usable"] == 1]
    assert summary["expressivity_mean"] == pytest.approx(usable["expressivity"].mean(), abs=1e-3)
    assert summary["provenance"]["measures"] is True
    # Frame quality: no face is said so; the exit is marked at the edge; only "ok" frames are usable.
    assert (without["quality"] == "no_face").all() and (without["usable"] == 0).all()
    assert set(usable["quality"]) == {"ok"} and len(usable) >= 20
    # The face goes with a cut to another shot after 0.9 s of face: too short for a one-second moment.
    assert summary["top_moments"] == []
    assert summary["usable_share"] == pytest.approx(len(usable) / len(table), abs=1e-4)
    assert summary["reference"] == "whole_video" and summary["reference_faces"] >= 5


def test_measures_without_a_model_and_levels_without_measures(demo_dir, trained_model):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    measures_only = build_analyzer(None)
    table = analyze_video(clip, measures_only).table
    measures_only.close()
    assert list(table.columns) == list(BASE_COLUMNS + MEASURE_COLUMNS + QUALITY_COLUMNS + BLENDSHAPE_COLUMNS
                                       + SPEECH_COLUMNS)
    assert table["success"].all() and table["expressivity"].notna().all()
    assert table["head_motion_deg_s"].isna().tolist() == [True] + [False] * (len(table) - 1)  # no motion at frame 0
    levels_only = build_analyzer(trained_model.model_path, AnalysisOptions(measures=False))
    analysis = analyze_video(clip, levels_only)
    levels_only.close()
    assert list(analysis.table.columns) == list(FRAME_COLUMNS + SPEECH_COLUMNS)
    assert "share_expressive_speaking" in analysis.summary and "expressivity_mean_speaking" not in analysis.summary
    assert "expressivity_mean" not in analysis.summary and analysis.summary["provenance"]["measures"] is False
    with pytest.raises(ValueError, match="nothing to analyse"):
        build_analyzer(None, AnalysisOptions(measures=False))


def test_a_face_lost_and_found_restarts_motion_but_not_the_reference(face_frame):
    blank = np.zeros_like(face_frame)
    analyzer = build_analyzer(None)
    rows = [analyzer.analyze(Frame(index, index / 30, image)).row
            for index, image in enumerate([face_frame, face_frame, blank, face_frame, face_frame])]
    analyzer.close()
    assert [row["success"] for row in rows] == [1, 1, 0, 1, 1]
    assert rows[2].get("expressivity") is None
    assert rows[1]["facial_motion"] is not None and rows[4]["facial_motion"] is not None
    assert rows[3]["facial_motion"] is None and rows[3]["head_motion_deg_s"] is None  # first frame after the gap
    assert rows[3]["expressivity"] < 0.5  # the same still face: the reference persisted

def test_every_kth_frame(demo_dir, predictor):
    with FaceDetector() as detector:
        analyzer = FrameAnalyzer(detector, [LevelScorer(predictor)], AnalysisOptions(every=3))
        table = analyze_video(demo_dir / "videos" / "vid_0001.mp4", analyzer).table
    assert list(table["frame"]) == list(range(0, 40, 3))


def test_summary_of_a_hand_made_table():
    table = pd.DataFrame({"success": [1, 1, 0, 1, 1], "level": ["Expressive", "Expressive", "", "Reserved Expression",
                                                              "Expressive"],
                          "prob_reserved": [0.1, 0.2, np.nan, 0.7, 0.0], "prob_balanced": [0.3, 0.2, np.nan, 0.2, 0.4],
                          "prob_expressive": [0.6, 0.6, np.nan, 0.1, 0.6]})
    summary = summarize_levels(table)
    assert summary["share_expressive"] == 0.75 and summary["share_reserved"] == 0.25
    assert summary["level_changes"] == 2 and summary["dominant_level"] == "Expressive"
    assert summary["mean_prob_reserved"] == pytest.approx(0.25)
    assert summary["expected_level"] == pytest.approx(0.275 + 2 * 0.475)


def test_the_box_is_drawn_where_the_detector_found_the_face(face_frame):
    with FaceDetector() as detector:
        face = detector.detect(face_frame)[0]
    probabilities = np.array([[0.1, 0.87, 0.03]], "float32")
    drawn = plots_overlay.annotate_frame(face_frame, [face], probabilities)
    changed = np.any(drawn != face_frame, axis=2)
    color = plots_overlay.level_color_bgr("Balanced Expression")
    middle_y = face.y + face.height // 2
    for x, y in ((face.x, middle_y), (face.x + face.width, middle_y), (face.x + face.width // 2, face.y + face.height)):
        assert tuple(int(v) for v in drawn[y, x]) == color, (x, y)
    inside = changed[face.y + 5:face.y + face.height - 5, face.x + 5:face.x + face.width - 5]
    assert not inside.any()  # the face itself is left untouched
    assert changed[: face.y].any()  # the "Balanced Expression: 0.87" label sits above the box


def _box(x):
    return FaceBox(x, 100, 100, 100, 0.9, ((0, 0),) * 6)


def test_smoother_is_an_ema_per_tracked_face():
    smoother = TemporalSmoother(alpha=0.25)
    first = smoother.update([_box(0), _box(400)], np.array([[1, 0, 0], [0, 0, 1]], "float32"))
    np.testing.assert_allclose(first, [[1, 0, 0], [0, 0, 1]])
    # Faces moved a little (same tracks), listed in the other order.
    second = smoother.update([_box(410), _box(10)], np.array([[1, 0, 0], [0, 1, 0]], "float32"))
    np.testing.assert_allclose(second, [[0.25, 0, 0.75], [0.75, 0.25, 0]])
    # A face far from every track starts a new one: not smoothed.
    third = smoother.update([_box(200)], np.array([[0, 1, 0]], "float32"))
    np.testing.assert_allclose(third, [[0, 1, 0]])
    with pytest.raises(ValueError, match=r"alpha is 0; expected a number in \(0, 1\]."):
        TemporalSmoother(alpha=0)


def test_inference_crops_like_the_training_cache(trained_model, face_frame, tmp_path):
    import json
    import shutil

    from expressiveness.face import crop_face

    model = tmp_path / "aligned.keras"
    shutil.copy(trained_model.model_path, model)
    shutil.copy(trained_model.model_path.with_suffix(".tflite"), tmp_path / "aligned.tflite")
    card = json.loads(trained_model.card_path.read_text())
    card["crop"].update({"margin": 0.3, "align": True})
    (tmp_path / "aligned.json").write_text(json.dumps(card))
    predictor = Predictor(model)
    assert (predictor.crop_margin, predictor.crop_align) == (0.3, True)
    with FaceDetector() as detector:
        result = FrameAnalyzer(detector, [LevelScorer(predictor)]).analyze(Frame(0, 0.0, face_frame))
        face = detector.detect(face_frame)[0]
    expected = predictor.predict(crop_face(face_frame, face, margin=0.3, align=True)[None])
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)


def _model_with_crop(trained_model, folder, **crop):
    import shutil

    model = folder / "carded.keras"
    shutil.copy(trained_model.model_path, model)
    shutil.copy(trained_model.model_path.with_suffix(".tflite"), folder / "carded.tflite")
    card = json.loads(trained_model.card_path.read_text())
    card["crop"].update(crop)
    (folder / "carded.json").write_text(json.dumps(card))
    return model


def test_inference_finds_faces_as_the_training_crops_were_found(trained_model, demo_dir, tmp_path):
    """Issue 11, case 4: detector, minimum confidence and face selection default to the card's."""
    from expressiveness.pipeline.options import analysis_provenance

    model = _model_with_crop(trained_model, tmp_path, model="full", min_confidence=0.7, face_selection="most_central")
    analyzer = build_analyzer(model, AnalysisOptions(every=4))
    try:
        assert analyzer.detector.min_confidence == 0.7  # an old card's detector "full" is not asked for
        assert analyzer.options.face_selection == "most_central"
        summary = analyze_video(demo_dir / "videos" / "vid_0001.mp4", analyzer).summary
        assert analyzer.provenance() == analysis_provenance(model, AnalysisOptions(every=4))
    finally:
        analyzer.close()
    recorded = summary["provenance"]
    assert (recorded["min_confidence"], recorded["face_selection"]) == (0.7, "most_central")
    assert "detector" not in recorded and recorded["face_engine"]["engine"] == "mediapipe-tasks"
    explicit = AnalysisOptions(every=4, min_confidence=0.4, face_selection="largest")
    overridden = analysis_provenance(model, explicit)
    assert (overridden["min_confidence"], overridden["face_selection"]) == (0.4, "largest")


def test_a_live_session_keeps_what_was_recorded_when_the_camera_fails(demo_dir, trained_model, tmp_path):
    """Issue 11, case 12: a camera error mid-session still writes the video and the table."""
    from expressiveness.errors import CameraError
    from expressiveness.pipeline.live import run_live
    from expressiveness.video import iter_frames

    def camera():
        for frame in iter_frames(demo_dir / "videos" / "vid_0001.mp4", range(0, 15, 3)):
            yield frame
        raise CameraError("camera 0 opened but returned no frame in 30 reads; check the camera.")

    analyzer = build_analyzer(trained_model.model_path)
    try:
        labels = analyzer.scorers[0].labels
        session = run_live(camera(), analyzer, lambda result, fps: plots_overlay.draw_result(result, labels),
                           output=tmp_path / "live.mp4", csv_path=tmp_path / "live.csv")
    finally:
        analyzer.close()
    assert session.error == "camera 0 opened but returned no frame in 30 reads; check the camera."
    assert session.saved == [tmp_path / "live.mp4", tmp_path / "live.csv"]
    assert pd.read_csv(tmp_path / "live.csv")["frame"].tolist() == [0, 3, 6, 9, 12]
    assert count_decodable_frames(tmp_path / "live.mp4") == 5


def test_a_video_gives_the_same_measures_whatever_the_analyzer_saw_before(demo_dir):
    # Workers take videos in any order: an analyzer reused from another video must not carry its
    # face tracking over (the mesh is reset between videos).
    first, second = demo_dir / "videos" / "vid_0013.mp4", demo_dir / "videos" / "vid_0001.mp4"
    fresh = build_analyzer(None, AnalysisOptions(every=3))
    alone = analyze_video(second, fresh).table
    fresh.close()
    reused = build_analyzer(None, AnalysisOptions(every=3))
    analyze_video(first, reused)
    after_another = analyze_video(second, reused).table
    reused.close()
    pd.testing.assert_frame_equal(alone, after_another)


def test_a_file_analysed_in_stages_equals_frame_by_frame_without_reuse(demo_dir, tmp_path):
    """analyze_video overlaps decoding and detection, the landmarker and the scorers (three
    threads), and reuses the reference sample's faces and landmarks for those frames. The same video analysed one frame at a time, with its reference learnt from a
    byte-identical copy (a baseline video: nothing of the sample is reused), gives the same table."""
    import shutil

    from expressiveness.pipeline.per_video import reference_frames
    from expressiveness.video import iter_frames, probe_video

    clip = demo_dir / "videos" / "vid_0016.mp4"  # a face, then a cut to frames without one
    copy = tmp_path / "copy.mp4"
    shutil.copyfile(clip, copy)
    staged = build_analyzer(None, AnalysisOptions(audio=False))  # the frames' columns alone, as stepwise gives them
    table = analyze_video(clip, staged).table
    staged.close()
    stepwise = build_analyzer(None, AnalysisOptions(baseline_video=str(copy)))
    stepwise.reset()
    stepwise.learn_reference(*reference_frames(clip, probe_video(clip), stepwise.options))
    rows = stepwise.new_rows()
    for frame in iter_frames(clip):
        rows.append(stepwise.analyze(frame).row)
    stepwise.close()
    # `person` comes from analyze_video's subject choice (pipeline/subject.py), which frame-by-frame
    # analysis does not make: one person, id 0, in every frame with a face
    assert (table["person"].notna() == (table["success"] == 1)).all() and set(table["person"].dropna()) == {0}
    pd.testing.assert_frame_equal(table.drop(columns="person"), stepwise.table(rows).drop(columns="person"))
    assert table["usable"].sum() > 20 and (table["success"] == 0).sum() > 10
