"""Where the facial measures' reference comes from (pipeline/per_video.py reference_frames,
MeasureScorer.settle): the whole video, a baseline stretch of it (--baseline START:END) or a
neutral clip of the same person (--baseline-video), and every way a baseline can be wrong, on
real demo footage."""

import json

import numpy as np
import pytest

from conftest import main_output
from expressiveness.errors import BaselineError
from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.per_video import analyze_video
from expressiveness.video import VideoWriter, iter_frames, probe_video


def write_clip(path, frames, fps):
    with VideoWriter(path, fps) as writer:
        for image in frames:
            writer.write(image)
    return path


@pytest.fixture(scope="module")
def long_clip(demo_dir, tmp_path_factory):
    """Demo clips 1-3 (one real person talking) as one 120-frame, ~4.5 s video."""
    fps = probe_video(demo_dir / "videos" / "vid_0001.mp4").fps
    frames = [frame.image for number in (1, 2, 3) for frame in iter_frames(demo_dir / "videos" / f"vid_{number:04d}.mp4")]
    return write_clip(tmp_path_factory.mktemp("baselines") / "talk.mp4", frames, fps)


def analyse(path, **options):
    analyzer = build_analyzer(None, AnalysisOptions(**options))
    try:
        return analyze_video(path, analyzer)
    finally:
        analyzer.close()


def test_a_baseline_stretch_sets_the_reference_and_is_recorded(long_clip):
    whole = analyse(long_clip)
    rest = analyse(long_clip, baseline=(0.0, 1.0))
    summary = rest.summary
    assert whole.summary["reference"] == "whole_video" and "baseline" not in whole.summary["provenance"]
    assert summary["reference"] == "baseline" and summary["baseline_s"] == [0.0, 1.0]
    assert summary["provenance"]["baseline"] == [0.0, 1.0]
    frames_in_stretch = int((rest.table["timestamp"] < 1.0).sum())
    assert 5 <= summary["reference_faces"] <= summary["reference_frames_sampled"] == frames_in_stretch
    # Another reference, other values, frame for frame; the frames themselves are the same.
    assert list(rest.table["quality"]) == list(whole.table["quality"])
    assert not np.allclose(rest.table["expressivity"], whole.table["expressivity"])


def test_a_baseline_video_sets_the_reference_and_is_recorded(long_clip, demo_dir):
    neutral = demo_dir / "videos" / "vid_0004.mp4"  # the same person, another stretch
    summary = analyse(long_clip, baseline_video=str(neutral)).summary
    assert summary["reference"] == "baseline_video" and summary["baseline_video"] == str(neutral.resolve())
    assert summary["provenance"]["baseline_video"]["path"] == str(neutral.resolve())
    assert summary["reference_faces"] >= 5 and summary["expressivity_mean"] > 0


@pytest.mark.parametrize("baseline, message", [
    ((4.0, 9.0), "the baseline 4:9 s starts at 4 s, after the end of {path} ({duration} s); expected START:END "
                 "within the video."),
    ((0.0, 999.0), "the baseline 0:999 s ends at 999 s, after the end of {path} ({duration} s); expected START:END "
                   "within the video."),
    ((0.001, 0.002), "the baseline 0.001:0.002 s of {path} holds no frame at {fps:g} frames/s; expected a longer stretch."),
    ((0.0, 0.1), "the baseline 0:0.1 s of {path} has 3 usable faces in 3 frames; expected at least 5 (a neutral "
                 "stretch of the same person, facing the camera, whole in the image)."),
])
def test_a_baseline_stretch_that_cannot_serve_is_one_sentence(demo_dir, baseline, message):
    path = demo_dir / "videos" / "vid_0001.mp4"
    info = probe_video(path)
    with pytest.raises(BaselineError) as caught:
        analyse(path, baseline=baseline)
    assert str(caught.value) == message.format(path=path, duration=f"{info.duration_s:.2f}", fps=info.fps)


def test_a_baseline_video_without_a_face_is_refused(demo_dir):
    faceless = demo_dir / "videos" / "vid_0019.mp4"
    with pytest.raises(BaselineError, match=r"^the baseline video .*vid_0019.mp4 has 0 usable faces in 48 frames; "
                                            r"expected at least 5 "):
        analyse(demo_dir / "videos" / "vid_0001.mp4", baseline_video=str(faceless))


@pytest.mark.parametrize("options, message", [
    ({"baseline": (0.0, 1.0), "baseline_video": "x.mp4"}, "a baseline segment and a baseline video were both given"),
    ({"baseline": (2.0, 1.0)}, "the baseline is 2:1; expected START:END in seconds with 0 <= START < END"),
    ({"baseline": (0.0, float("inf"))}, "the baseline is 0:inf; expected START:END"),
])
def test_baseline_options_are_checked(options, message):
    with pytest.raises(ValueError, match="^" + message):
        AnalysisOptions(**options)


def test_the_cli_records_a_video_its_baseline_cannot_serve_and_goes_on(long_clip, demo_dir, tmp_path):
    short = demo_dir / "videos" / "vid_0001.mp4"  # 1.67 s: a 0-2 s baseline ends after it
    out = tmp_path / "out"
    result = main_output("analyze", long_clip, short, "--out", out, "--baseline", "0:2", "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"skipped (failed): the baseline 0:2 s ends at 2 s, after the end of {short} (1.67 s)" in \
        result.stderr + result.stdout
    assert json.loads((out / "talk_summary.json").read_text())["reference"] == "baseline"
    failures = json.loads((out / "run_report.json").read_text())["failures"]
    assert [(row["name"], row["status"]) for row in failures] == [("vid_0001", "failed")]
    # A rerun without the baseline does not reuse the baseline's result.
    again = main_output("analyze", long_clip, "--out", out, "--no-progress")
    assert "1 analysed, 0 reused" in again.stdout + again.stderr
    assert json.loads((out / "talk_summary.json").read_text())["reference"] == "whole_video"


@pytest.mark.parametrize("arguments, message", [
    (["--baseline", "3:1"], "argument --baseline: '3:1' is not START:END in seconds with 0 <= START < END, such as 0:10"),
    (["--baseline", "abc"], "argument --baseline: 'abc' is not START:END in seconds"),
    (["--baseline-video", "missing.mp4"], "argument --baseline-video: missing.mp4 is not a file; expected a video"),
    (["--baseline", "0:1", "--baseline-video", "x.mp4"], "argument --baseline-video: not allowed with argument --baseline"),
])
def test_the_cli_refuses_a_malformed_baseline(demo_dir, tmp_path, arguments, message):
    if "x.mp4" in arguments:
        arguments = [str(demo_dir / "videos" / "vid_0002.mp4") if item == "x.mp4" else item for item in arguments]
    result = main_output("analyze", demo_dir / "videos" / "vid_0001.mp4", "--out", tmp_path, *arguments)
    assert result.returncode == 2 and message in result.stderr


def test_a_two_frame_video_is_measured_without_moments(face_frame, tmp_path):
    summary = analyse(write_clip(tmp_path / "two.mp4", [face_frame, face_frame], 25.0)).summary
    assert summary["frames_analyzed"] == 2 and summary["usable_share"] == 1.0
    assert summary["reference"] == "running" and "2 usable faces in 2 frames" in summary["reference_note"]
    assert summary["top_moments"] == [] and summary["expressivity_mean"] == pytest.approx(0.0, abs=0.05)
