"""Measures that hold up, on real footage through analyze_video: a whole-video reference face (a
frame's values do not depend on where in the video it falls) and frame quality (a face cut by
the border is kept in the table but left out of the reference, the summaries and the moments)."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.per_video import analyze_video
from expressiveness.report.findings import find_moments
from expressiveness.video import VideoWriter, iter_frames, probe_video

CLIPS = range(1, 7)  # demo clips 1-6: consecutive 40-frame cuts of one real video of a woman talking


def write_video(path, frames, fps):
    writer = VideoWriter(path, fps, crf=12)  # little re-encoding noise: the two orders get the same pictures
    try:
        for frame in frames:
            writer.write(frame)
        writer.close()
    finally:
        writer.abort()
    return path


@pytest.fixture(scope="module")
def measures_only():
    analyzer = build_analyzer(None)
    yield analyzer
    analyzer.close()


def test_a_reversed_video_gives_the_same_measures_frame_for_frame(demo_dir, tmp_path, measures_only):
    fps = probe_video(demo_dir / "videos" / "vid_0001.mp4").fps
    frames = [frame.image for number in CLIPS for frame in iter_frames(demo_dir / "videos" / f"vid_{number:04d}.mp4")]
    frames = frames[:-1]  # 239 frames: an odd count, so the 48 sample frames are not the same set reversed
    forward = analyze_video(write_video(tmp_path / "forward.mp4", frames, fps), measures_only)
    backward = analyze_video(write_video(tmp_path / "backward.mp4", frames[::-1], fps), measures_only)
    assert forward.summary["reference"] == backward.summary["reference"] == "whole_video"
    assert forward.summary["usable_share"] == 1.0
    for column in ("expressivity", "expressivity_mouth"):
        there = forward.table[column].to_numpy(dtype="float64")
        back = backward.table[column].to_numpy(dtype="float64")[::-1]
        assert np.isfinite(there).all() and np.isfinite(back).all()
        assert spearmanr(there, back).statistic >= 0.95, column
        assert back.mean() == pytest.approx(there.mean(), rel=0.05), column
    # Nothing is learnt while playing: the first second reads like the rest (it read ~0 before).
    first_second = forward.table["timestamp"] < 1.0
    assert forward.table.loc[first_second, "expressivity"].mean() > 0.5 * forward.table["expressivity"].mean()


def sliding_out(face_frame, still=30, moving=30):
    """The real face frame held for `still` frames, then moved left over `moving` frames until
    the face has left the image: the face is whole, then cut by the left border, then gone."""
    height, width = face_frame.shape[:2]
    frames = []
    for number in range(still + moving):
        shift = int((number - still + 1) * 0.9 * width / moving) if number >= still else 0
        moved = np.zeros_like(face_frame)
        moved[:, :width - shift] = face_frame[:, shift:]
        frames.append(moved)
    return frames


def test_a_face_leaving_the_frame_is_marked_and_left_out(face_frame, tmp_path, measures_only):
    result = analyze_video(write_video(tmp_path / "leaving.mp4", sliding_out(face_frame), 24.0), measures_only)
    table = result.table
    assert set(table["quality"]) <= {"ok", "edge", "no_face", "low_presence"}
    assert (table["quality"].iloc[:30] == "ok").all() and table["usable"].iloc[:30].eq(1).all()
    cut = table[table["quality"] == "edge"]
    assert len(cut) >= 3 and cut["frame"].min() >= 30  # the face is cut before it is gone
    assert table["quality"].iloc[-1] in ("no_face", "low_presence")
    # Kept in the table, left out of the summary: the mean is that of the usable frames.
    usable = table[table["usable"] == 1]
    assert result.summary["expressivity_mean"] == pytest.approx(usable["expressivity"].mean(), abs=1e-3)
    assert result.summary["usable_share"] == pytest.approx(len(usable) / len(table), abs=1e-4)
    assert result.summary["unusable_frames"]["edge"] == len(cut)
    # The moments (a one-second stretch fits in the 1.25 s still part) never reach the exit.
    moments = find_moments(table)
    shown = moments["highest"] + moments["lowest"]
    first_unusable_s = table.loc[table["usable"] == 0, "timestamp"].min()
    assert shown and all(moment["end_s"] <= first_unusable_s + 1e-6 for moment in shown)
    assert result.summary["top_moments"] == [{key: shown[0][key] for key in result.summary["top_moments"][0]}]


def test_a_video_without_a_usable_face_has_null_measures(demo_dir, measures_only):
    summary = analyze_video(demo_dir / "videos" / "vid_0019.mp4", measures_only).summary  # no face at all
    assert summary["usable_share"] == 0.0 and summary["unusable_frames"] == {"no_face": summary["frames_analyzed"]}
    assert summary["expressivity_mean"] is None and summary["reference"] == "running"
    assert "fewer than 5" in summary["reference_note"]
