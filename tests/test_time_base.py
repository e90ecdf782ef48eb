"""One time base (measures/timebase.py): rates and durations over what was analysed, from the
decoder's timestamps, whatever the header or the clock says. Exact-input rules first, then the
issue's repros built from the demo's real footage with the FFmpeg that imageio-ffmpeg ships: the
same pictures with a broken clock, a TS stream joined to itself, a stream cut short."""

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from expressiveness.measures.timebase import frame_durations, irregular_steps, rate_step_s
from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.per_video import analyze_video, completeness

MOTION = ("head_motion_deg_s_mean", "facial_motion_mean")


def test_rate_step_trusts_the_clock_unless_it_stutters():
    assert rate_step_s(0.04, 0.04) == 0.04
    assert rate_step_s(0.0001, 0.04) == 0.04  # a tenth of a millisecond: one nominal interval instead
    assert rate_step_s(0.014, 0.04) == 0.014  # just over a third of it: as it is (variable frame rate)
    assert rate_step_s(0.013, 0.04) == 0.04
    assert rate_step_s(5.0, 0.04) == 5.0  # a long step can only make that frame's speed lower
    assert rate_step_s(0.0001, None) == 0.0001  # a camera: no nominal step


def test_frame_durations_count_irregular_steps_as_nominal():
    frames = np.arange(6)
    times = np.array([0.0, 0.1, 0.2, 0.2001, 0.3001, 9.0])  # a stutter, then a jump of the clock
    assert irregular_steps(times, frames, 0.1).tolist() == [False, False, True, False, True]
    assert frame_durations(times, frames, 0.1) == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    sampled = np.array([0, 3, 6, 9])  # every third frame: nominal steps of 0.3 s
    assert frame_durations(sampled * 0.1, sampled, 0.1) == pytest.approx([0.3, 0.3, 0.3, 0.3])
    assert irregular_steps(sampled * 0.1, sampled, 0.1).sum() == 0
    assert frame_durations([0.0, 0.05, 0.2], [0, 1, 2], 0.1) == pytest.approx([0.05, 0.15, 0.1])  # real steps
    assert frame_durations([1.5], [7], 0.04) == pytest.approx([0.04])
    assert frame_durations(sampled * 0.1, sampled, 0.1, end_frame=10) == pytest.approx([0.3, 0.3, 0.3, 0.1])
    assert frame_durations(sampled * 0.1, sampled, 0.1, end_frame=40) == pytest.approx([0.3, 0.3, 0.3, 0.3])
    assert frame_durations([], [], 0.04).size == 0


def test_time_base_names_bad_input():
    with pytest.raises(ValueError, match=r"^timestamp_s has shape \(2,\) and frame \(1,\); expected two 1-D series "
                                         r"of the same length\.$"):
        frame_durations([0.0, 0.1], [0], 0.1)
    with pytest.raises(ValueError, match=r"^frame_interval_s is 0; expected the nominal frame interval in seconds, "
                                         r"> 0\.$"):
        irregular_steps([0.0, 0.1], [0, 1], 0)


def test_completeness_sentences():
    assert completeness(40, 40, 1.67, 1.67) is None
    assert completeness(39, 40, 1.63, 1.67) is None  # within a frame
    assert completeness(137, 472, 5.714, 19.686) == ("5.7 s analysed of 19.7 s declared: the file stops decoding at "
                                                     "frame 137 of 472 (truncated or damaged)")
    assert completeness(944, 472, 39.37, 19.686) == (
        "39.4 s analysed of 19.7 s declared: the file holds more frames than the 472 its header declares "
        "(944 decoded; streams joined together?)")
    assert "(473+ decoded;" in completeness(473, 471, 19.7, 19.6, capped=True)  # sampled: stopped two past the end
    assert "(473 decoded;" in completeness(473, 471, 19.7, 19.6)


def ffmpeg(*arguments):
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                             *map(str, arguments)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def analyzer():
    analyzer = build_analyzer(None, AnalysisOptions())
    yield analyzer
    analyzer.close()


@pytest.fixture(scope="module")
def clips(demo_dir, tmp_path_factory):
    """vid_0004 (real footage with a blink), re-encoded without B-frames so that packets are in
    presentation order; the same stream with its clock pushed back after frame 20 (one step of
    two ticks of 1/24000 s: 0.08 ms); as MPEG-TS, and that TS joined to itself (`cat a.ts a.ts`)."""
    folder = tmp_path_factory.mktemp("time_base")
    source = demo_dir / "videos" / "vid_0004.mp4"
    regular, broken = folder / "regular.mp4", folder / "broken_clock.mp4"
    ffmpeg("-i", source, "-an", "-c:v", "libx264", "-bf", "0", "-g", "12", "-crf", "18", "-video_track_timescale",
           "24000", regular)
    ffmpeg("-i", regular, "-c", "copy", "-bsf:v", "setts=ts='if(gte(N,20),PTS-999,PTS)'", broken)
    variable = folder / "variable_rate.mp4"  # the same packets, every other frame shown 15 ms late
    ffmpeg("-i", regular, "-c", "copy", "-bsf:v", "setts=ts='PTS+if(mod(N,2),360,0)'", variable)
    single, joined = folder / "single.ts", folder / "joined.ts"
    ffmpeg("-i", source, "-an", "-c:v", "libx264", "-bf", "0", "-crf", "18", "-f", "mpegts", single)
    joined.write_bytes(single.read_bytes() * 2)
    return {"regular": regular, "broken": broken, "variable": variable, "single": single, "joined": joined}


def test_a_broken_clock_does_not_change_the_motion_of_the_same_pictures(clips, analyzer):
    regular = analyze_video(clips["regular"], analyzer)
    broken = analyze_video(clips["broken"], analyzer)
    steps = np.diff(broken.table["timestamp"].to_numpy())
    assert steps.min() < 0.001  # the repro holds: one step of the decoder's clock is a fraction of a millisecond
    assert (regular.summary["time_irregular"], broken.summary["time_irregular"]) == (0, 1)
    for measure in MOTION:
        assert broken.summary[measure] == pytest.approx(regular.summary[measure], rel=0.05), measure
    worst = broken.table["head_motion_deg_s"].max()
    assert worst < 3 * regular.table["head_motion_deg_s"].max()  # no spike in any one frame
    assert broken.summary["analysed_s"] == pytest.approx(regular.summary["analysed_s"], abs=0.005)  # its header fps: 24.03
    pictures = [column for column in regular.table.columns if column not in ("timestamp", "head_motion_deg_s",
                                                                             "facial_motion")]
    assert broken.table[pictures].equals(regular.table[pictures])  # the same pictures measure the same


def test_a_stream_joined_to_itself_is_incomplete_and_its_rates_are_per_analysed_minute(clips, analyzer):
    single = analyze_video(clips["single"], analyzer).summary
    joined = analyze_video(clips["joined"], analyzer).summary
    assert single["complete"] and single["frames_decoded"] == single["frames_total"] == 40
    assert (joined["complete"], joined["frames_total"], joined["frames_decoded"]) == (False, 40, 80)
    assert joined["analysed_s"] == pytest.approx(2 * single["analysed_s"], abs=0.05)
    assert joined["warning"] == completeness(80, 40, joined["analysed_s"], joined["duration_s"])
    assert single["blinks_per_minute"] > 0  # the clip has a blink: twice the blinks in twice the time
    assert joined["blinks_per_minute"] == pytest.approx(single["blinks_per_minute"], rel=0.05)


def test_sampled_frames_still_see_a_file_longer_than_its_header(clips):
    analyzer = build_analyzer(None, AnalysisOptions(every=3))
    try:
        joined = analyze_video(clips["joined"], analyzer).summary
        single = analyze_video(clips["single"], analyzer).summary
    finally:
        analyzer.close()
    assert single["complete"] and single["frames_decoded"] == 40
    assert single["analysed_s"] == pytest.approx(40 / single["fps"], abs=0.005)  # 13 x 3 frame intervals, then 1
    assert (joined["complete"], joined["frames_decoded"]) == (False, 42)  # two past the declared end
    assert "more frames than the 40 its header declares (42+ decoded;" in joined["warning"]


def test_a_variable_frame_rate_is_timed_by_its_own_clock(clips, analyzer):
    """Steps of 27 and 56 ms around a nominal 42 ms are regular: speeds divide each frame's
    change by its own step (the head turns as far between the same two pictures), and the
    analysed time is the clock's."""
    regular = analyze_video(clips["regular"], analyzer)
    variable = analyze_video(clips["variable"], analyzer)
    steps = np.diff(variable.table["timestamp"].to_numpy())
    assert steps.min() < 0.03 and steps.max() > 0.05 and variable.summary["time_irregular"] == 0
    turned = {name: (analysis.table["head_motion_deg_s"] * np.append(np.nan, np.diff(analysis.table["timestamp"])))
              for name, analysis in (("regular", regular), ("variable", variable))}
    assert turned["variable"].to_numpy() == pytest.approx(turned["regular"].to_numpy(), abs=2e-3, nan_ok=True)
    times = variable.table["timestamp"].to_numpy()
    assert variable.summary["analysed_s"] == pytest.approx(times[-1] - times[0] + np.median(np.diff(times)), abs=0.02)
