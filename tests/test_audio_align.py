"""expressiveness.audio.align on hand-made input: exact values."""

import numpy as np
import pytest

from expressiveness.audio.align import frame_speaking, frame_speech, speech_columns, speech_segments

W = 0.032


def test_frame_speech_is_the_overlap_weighted_mean_of_the_windows():
    probabilities = [0.0, 1.0, 0.5, 0.25]  # windows [0, .032), [.032, .064), [.064, .096), [.096, .128)
    times = [0.0, 0.016, 0.048, 0.112, 0.2, -0.1]
    speech = frame_speech(times, probabilities, frame_duration_s=0.032)
    expected = [0.0, 0.5, 0.75, 0.25, np.nan, np.nan]  # the frame at 0.112 has sound for half its length
    np.testing.assert_allclose(speech, expected, rtol=0, atol=1e-12)


def test_frame_speech_follows_the_sound_start_and_a_longer_frame():
    speech = frame_speech([1.0, 1.1], [1.0, 0.0, 1.0, 0.0], start_s=1.0, frame_duration_s=0.1)
    np.testing.assert_allclose(speech, [(W + W) / 0.1, 0.0], atol=1e-12)  # the second: the last 0.028 s of sound, 0
    # default frame duration: the median step between timestamps (here 0.032)
    np.testing.assert_allclose(frame_speech([0.0, 0.032, 0.064], [0.2, 0.4, 0.6]), [0.2, 0.4, 0.6], atol=1e-12)


def test_speech_segments_hysteresis_hangover_and_minimum():
    p = np.zeros(60)
    p[10:20] = 0.9           # 0.32-0.64 s: speech
    p[20:24] = 0.4           # stays speech (>= 0.35 release) -> to 0.768
    p[24:30] = 0.1           # a 0.192 s pause: bridged (< 0.3 s)
    p[30:40] = 0.6           # 0.96-1.28
    p[50:55] = 0.4           # never reaches 0.5: not speech
    segments = speech_segments(p)
    np.testing.assert_allclose(segments, [[10 * W, 40 * W]], atol=1e-12)
    p[24:34] = 0.1           # now a 0.32 s pause: two stretches; the second (34-40, 0.192 s) is too short
    np.testing.assert_allclose(speech_segments(p), [[10 * W, 24 * W]], atol=1e-12)
    np.testing.assert_allclose(speech_segments(p, min_speech_s=0.1), [[10 * W, 24 * W], [34 * W, 40 * W]], atol=1e-12)
    np.testing.assert_allclose(speech_segments(p, start_s=2.0), [[2 + 10 * W, 2 + 24 * W]], atol=1e-12)
    assert speech_segments([]).shape == (0, 2) and speech_segments(np.full(9, 0.49)).shape == (0, 2)


def test_speech_segments_reject_thresholds_out_of_order():
    with pytest.raises(ValueError, match=r"threshold 0.3 and release_threshold 0.4; expected 0 <= release_threshold"):
        speech_segments([0.5], threshold=0.3, release_threshold=0.4)


def test_frame_speaking_by_midpoint_with_unknown_outside_the_sound():
    segments = [[1.0, 2.0], [3.0, 3.5]]
    times = [0.0, 0.98, 1.0, 1.95, 1.99, 2.5, 3.2, 3.6, 4.0]
    speaking = frame_speaking(times, segments, sound_start_s=0.5, sound_end_s=3.9, frame_duration_s=0.04)
    np.testing.assert_array_equal(speaking, [np.nan, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, np.nan])
    np.testing.assert_array_equal(frame_speaking([0.1], np.zeros((0, 2)), 0.0, 1.0, 0.04), [0.0])


def test_speech_columns_on_a_made_up_stretch_of_speech():
    p = np.zeros(90)  # sound to 2.88 s
    p[31:63] = 0.95  # 0.992-2.016 s
    times = np.arange(0, 3.2, 1 / 25)
    columns = speech_columns(times, p, frame_duration_s=0.04)
    speaking_times = times[columns["speaking"] == 1.0]
    assert speaking_times[0] == pytest.approx(1.0) and speaking_times[-1] == pytest.approx(1.96)  # midpoints inside
    assert np.isnan(columns["speaking"][times + 0.02 >= 2.88]).all() and np.sum(times + 0.02 >= 2.88) == 8
    assert columns["speech"][25] == pytest.approx(0.95) and columns["speech"][10] == 0.0


def test_timestamps_must_be_finite():
    with pytest.raises(ValueError, match="timestamps_s holds NaN or infinite values"):
        frame_speech([0.0, np.nan], [0.5])
