"""video.py with exact values: which frames each sampling rule keeps, and which frames (and
timestamps, in seconds) iter_frames yields.

The video is written here with OpenCV at 25 fps: frame i is a flat gray of level 20 * i, so a
decoded frame tells which frame it is (to within the codec's error of a few levels).
"""

import cv2
import numpy as np
import pytest

from conftest import count_decodable_frames
from expressiveness.video import UnreadableVideoError, VideoInfo, iter_frames, probe_video, sample_indices
from expressiveness.video.reading import _DecoderClock

FPS = 25
FRAMES = 12


@pytest.fixture(scope="module")
def gray_ramp(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "ramp.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (160, 120))
    assert writer.isOpened()
    for index in range(FRAMES):
        writer.write(np.full((120, 160, 3), 20 * index, np.uint8))
    writer.release()
    return path


def _level(frame) -> float:
    return float(frame.image.mean())


@pytest.mark.parametrize("frame_count, every, expected", [
    (10, 3, [0, 3, 6, 9]),
    (9, 3, [0, 3, 6]),
    (10, 1, list(range(10))),
    (10, 10, [0]),
    (10, 11, [0]),
    (1, 4, [0]),
])
def test_every_kth_frame(frame_count, every, expected):
    indices = sample_indices(frame_count, every=every)
    assert indices.tolist() == expected and indices.dtype == np.int64


@pytest.mark.parametrize("frame_count, count, expected", [
    # (k + 0.5) * frame_count / count, rounded down: the middle of each of `count` equal parts.
    (100, 4, [12, 37, 62, 87]),  # 12.5, 37.5, 62.5, 87.5
    (40, 6, [3, 10, 16, 23, 30, 36]),  # 3.33, 10, 16.67, 23.33, 30, 36.67
    (10, 9, [0, 1, 2, 3, 5, 6, 7, 8, 9]),  # 0.56, 1.67, 2.78, 3.89, 5, 6.11, 7.22, 8.33, 9.44
    (10, 1, [5]),
    (7, 2, [1, 5]),  # 1.75, 5.25
    (10, 10, list(range(10))),
    (3, 8, [0, 1, 2]),  # a video shorter than the count: every frame
])
def test_count_frames_spread_evenly(frame_count, count, expected):
    indices = sample_indices(frame_count, count=count)
    assert indices.tolist() == expected and indices.dtype == np.int64


@pytest.mark.parametrize("frame_count, rate_fps, fps, expected", [
    (90, 10, 30, list(range(0, 90, 3))),  # step 3 frames
    (12, 10, 25, [0, 2, 5, 7, 10]),  # step 2.5: 0, 2.5, 5, 7.5, 10 rounded down
    (10, 4, 10, [0, 2, 5, 7]),  # step 2.5
    (5, 60, 30, [0, 1, 2, 3, 4]),  # faster than the video: every frame, once
    (30, 1, 29.97, [0, 29]),  # step 29.97: 0, 29.97
    (10, 0.25, 0.5, [0, 2, 4, 6, 8]),  # a time-lapse below 1 fps: step 2
])
def test_rate_in_frames_per_second(frame_count, rate_fps, fps, expected):
    indices = sample_indices(frame_count, rate_fps=rate_fps, fps=fps)
    assert indices.tolist() == expected and indices.dtype == np.int64


@pytest.mark.parametrize("rule", [{"every": 2}, {"count": 3}, {"rate_fps": 5, "fps": 25}])
def test_an_empty_video_gives_no_index(rule):
    for frame_count in (0, -3):
        indices = sample_indices(frame_count, **rule)
        assert indices.tolist() == [] and indices.dtype == np.int64


@pytest.mark.parametrize("arguments, message", [
    ({}, "sample_indices needs exactly one of every, count, rate_fps; got none."),
    ({"every": 2, "count": 3}, "sample_indices needs exactly one of every, count, rate_fps; got ['every', 'count']."),
    ({"count": 3, "rate_fps": 2, "fps": 30},
     "sample_indices needs exactly one of every, count, rate_fps; got ['count', 'rate_fps']."),
    ({"every": 0}, "every is 0; expected a whole number >= 1."),
    ({"every": 1.5}, "every is 1.5; expected a whole number >= 1."),
    ({"count": 0}, "count is 0; expected a whole number >= 1."),
    ({"count": 2.5}, "count is 2.5; expected a whole number >= 1."),
    ({"rate_fps": 0, "fps": 30}, "rate_fps is 0 with video fps 30; expected two positive numbers."),
    ({"rate_fps": -1, "fps": 30}, "rate_fps is -1 with video fps 30; expected two positive numbers."),
    ({"rate_fps": 5}, "rate_fps is 5 with video fps None; expected two positive numbers."),
    ({"rate_fps": 5, "fps": 0}, "rate_fps is 5 with video fps 0; expected two positive numbers."),
])
def test_bad_rules_are_refused_with_the_value(arguments, message):
    with pytest.raises(ValueError) as caught:
        sample_indices(10, **arguments)
    assert str(caught.value) == message


def test_whole_number_floats_are_accepted():
    assert sample_indices(10, every=3.0).tolist() == [0, 3, 6, 9]
    assert sample_indices(100, count=4.0).tolist() == [12, 37, 62, 87]


def test_probe_reports_the_written_video(gray_ramp):
    info = probe_video(gray_ramp)
    assert (info.frame_count, info.fps, info.width, info.height) == (FRAMES, FPS, 160, 120)
    assert info.duration_s == 12 / 25
    assert info.path == str(gray_ramp)
    assert count_decodable_frames(gray_ramp) == FRAMES


def test_every_frame_in_order_with_timestamps_in_seconds(gray_ramp):
    frames = list(iter_frames(gray_ramp))
    assert [frame.index for frame in frames] == list(range(FRAMES))
    assert [frame.timestamp_s for frame in frames] == [index / 25 for index in range(FRAMES)]
    assert frames[5].timestamp_s == 0.2 and frames[11].timestamp_s == 0.44
    for frame in frames:
        assert frame.image.shape == (120, 160, 3) and frame.image.dtype == np.uint8
        assert _level(frame) == pytest.approx(20 * frame.index, abs=3)


def test_selected_frames_are_the_frames_at_those_positions(gray_ramp):
    picked = list(iter_frames(gray_ramp, [0, 2, 5, 11]))
    assert [frame.index for frame in picked] == [0, 2, 5, 11]
    assert [frame.timestamp_s for frame in picked] == [0.0, 0.08, 0.2, 0.44]
    assert [round(_level(frame) / 20) for frame in picked] == [0, 2, 5, 11]
    every = {frame.index: frame.image for frame in iter_frames(gray_ramp)}
    for frame in picked:
        np.testing.assert_array_equal(frame.image, every[frame.index])
    # From a sampling rule, as extraction and analysis use it.
    sampled = list(iter_frames(gray_ramp, sample_indices(FRAMES, count=3)))
    assert [frame.index for frame in sampled] == [2, 6, 10]
    assert [round(_level(frame) / 20) for frame in sampled] == [2, 6, 10]


def test_indices_past_the_end_stop_without_error(gray_ramp):
    picked = list(iter_frames(gray_ramp, [3, 50, 60]))
    assert [frame.index for frame in picked] == [3]
    assert [frame.index for frame in iter_frames(gray_ramp, [11])] == [11]


def test_timestamps_are_the_decoders_not_index_over_a_declared_rate(gray_ramp):
    info = VideoInfo(str(gray_ramp), FRAMES, 10.0, 160, 120)  # a wrong rate given: times stay the file's
    times = [frame.timestamp_s for frame in iter_frames(gray_ramp, [1, 4], info)]
    assert times == pytest.approx([1 / FPS, 4 / FPS], abs=1e-9)


def test_decoder_times_that_repeat_go_back_or_are_missing_still_increase():
    clock = _DecoderClock(fps=20.0)  # a nominal frame lasts 0.05 s
    ticks = [clock.tick(position_ms) for position_ms in (0.0, 40.0, 40.0, 10.0, float("nan"), -1.0, 400.0, 300.0)]
    assert ticks == pytest.approx([0.0, 0.04, 0.09, 0.14, 0.19, 0.24, 0.4, 0.45], abs=1e-12)


def test_an_empty_selection_yields_nothing(gray_ramp):
    assert list(iter_frames(gray_ramp, [])) == []


def test_a_file_that_opens_but_gives_no_frame(tmp_path, gray_ramp):
    # The header of an AVI survives, its frames do not: OpenCV opens it and decodes nothing.
    data = gray_ramp.read_bytes()
    cut = tmp_path / "header_only.avi"
    cut.write_bytes(data[:data.index(b"movi") + 4])
    try:
        probe_video(cut)
    except UnreadableVideoError:
        pytest.skip("OpenCV refuses this cut file already when opening it")
    for indices in (None, [3]):  # reading every frame, or skipping to one
        with pytest.raises(UnreadableVideoError) as caught:
            list(iter_frames(cut, indices))
        assert str(caught.value) == (f"{cut}: no frame could be decoded; the file is damaged or its codec is not "
                                     f"supported by OpenCV.")


def test_a_truncated_video_stops_early_without_error(tmp_path, gray_ramp):
    data = gray_ramp.read_bytes()
    cut = tmp_path / "truncated.avi"
    cut.write_bytes(data[:int(len(data) * 0.9)])
    assert probe_video(cut).frame_count == FRAMES  # the header still promises 12 frames
    decodable = count_decodable_frames(cut)
    assert 3 <= decodable < FRAMES
    assert [frame.index for frame in iter_frames(cut)] == list(range(decodable))
    assert [frame.index for frame in iter_frames(cut, [1, decodable - 1, FRAMES - 1])] == [1, decodable - 1]
