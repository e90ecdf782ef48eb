"""Voice activity on the frames: pure numpy, exact on hand-made input.

The VAD gives one probability per 32 ms window on the video's clock (window k covers
[start_s + k window_s, start_s + (k + 1) window_s)); a frame stands for [t, t + frame_duration_s)
from its decoder timestamp t. Two per-frame columns:

- `speech` (`frame_speech`): the MEAN speech probability over the frame's interval, each window
  weighted by how much of the frame it covers (the time average of the windows' step function).
  A mean, not a maximum, so that the value does not depend on how the window grid falls on the
  frame, and equals the windows' value where they agree. Only the part of the frame that the
  sound covers counts; a frame the sound does not reach at all gets NaN (unknown, not silence).
- `speaking` (`frame_speaking`): 1.0 when the frame's midpoint lies in a speech segment, 0.0
  when it lies in sound that is not speech, NaN where there is no sound. Segments
  (`speech_segments`) are decided on the windows, so they do not depend on which frames were
  analysed, with Silero's own defaults: speech starts at a window with probability >= 0.5
  (SPEECH_THRESHOLD) and goes on while it stays >= 0.35 (RELEASE_THRESHOLD, threshold - 0.15,
  as Silero's get_speech_timestamps); pauses shorter than 0.3 s (HANGOVER_S) are bridged, so
  the breaths between words do not cut a sentence in two; and stretches shorter than 0.25 s
  (MIN_SPEECH_S, Silero's min_speech_duration_ms) are dropped as clicks.
"""

from __future__ import annotations

import numpy as np

from expressiveness.audio.vad import WINDOW_S  # 0.032 s: Silero VAD's window of 512 samples at 16 kHz

SPEECH_THRESHOLD = 0.5  # a window at or above starts speech (Silero's default threshold)
RELEASE_THRESHOLD = SPEECH_THRESHOLD - 0.15  # speech goes on while windows stay at or above (Silero's neg_threshold)
HANGOVER_S = 0.3  # pauses shorter than this inside speech are bridged
MIN_SPEECH_S = 0.25  # speech stretches shorter than this are dropped (Silero's min_speech_duration_ms)


def _frame_duration(timestamps_s: np.ndarray, frame_duration_s: float | None) -> float:
    if frame_duration_s is not None:
        if not (frame_duration_s > 0):
            raise ValueError(f"frame_duration_s is {frame_duration_s!r}; expected a positive number of seconds.")
        return float(frame_duration_s)
    steps = np.diff(timestamps_s)
    return float(np.median(steps)) if steps.size else WINDOW_S


def _check(timestamps_s, probabilities, window_s) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(timestamps_s, dtype=np.float64).reshape(-1)
    values = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(times)):
        raise ValueError("timestamps_s holds NaN or infinite values; expected the frames' decoder times in seconds.")
    if not (window_s > 0):
        raise ValueError(f"window_s is {window_s!r}; expected a positive number of seconds.")
    return times, values


def frame_speech(timestamps_s, probabilities, start_s: float = 0.0, window_s: float = WINDOW_S,
                 frame_duration_s: float | None = None) -> np.ndarray:
    """Per-frame speech probability: the overlap-weighted mean of the windows over each frame.

    timestamps_s: (n,) frame times in seconds on the video's clock. probabilities: (m,) window
    values in [0, 1], window k over [start_s + k window_s, start_s + (k + 1) window_s).
    frame_duration_s: how long a frame stands for (default: the median step between timestamps).
    Returns float64 (n,) in [0, 1], NaN for frames that no window overlaps.
    """
    times, values = _check(timestamps_s, probabilities, window_s)
    duration_s = _frame_duration(times, frame_duration_s)
    result = np.full(times.shape, np.nan)
    if values.size == 0 or times.size == 0:
        return result
    edges = start_s + window_s * np.arange(values.size + 1)
    integral = np.concatenate([[0.0], np.cumsum(values * window_s)])  # exact at the edges, linear between
    begin = np.clip(times, edges[0], edges[-1])
    end = np.clip(times + duration_s, edges[0], edges[-1])
    covered = end - begin
    inside = covered > 1e-12
    result[inside] = (np.interp(end[inside], edges, integral) - np.interp(begin[inside], edges, integral)) / covered[inside]
    return np.clip(result, 0.0, 1.0)


def speech_segments(probabilities, start_s: float = 0.0, window_s: float = WINDOW_S,
                    threshold: float = SPEECH_THRESHOLD, release_threshold: float | None = None,
                    hangover_s: float = HANGOVER_S, min_speech_s: float = MIN_SPEECH_S) -> np.ndarray:
    """Stretches of speech from window probabilities: (k, 2) float64 [start, end) in seconds.

    A window at or above `threshold` starts speech, which goes on while windows stay at or above
    `release_threshold` (default threshold - 0.15); pauses shorter than `hangover_s` are bridged,
    then stretches shorter than `min_speech_s` are dropped.
    """
    _, values = _check([], probabilities, window_s)
    release = threshold - 0.15 if release_threshold is None else release_threshold
    if not (0 <= release <= threshold <= 1):
        raise ValueError(f"threshold {threshold!r} and release_threshold {release!r}; expected "
                         f"0 <= release_threshold <= threshold <= 1.")
    if values.size == 0:
        return np.zeros((0, 2))
    high, above = values >= threshold, values >= release
    # Hysteresis without a loop: inside each run of windows >= release, speech from the run's first high window on.
    high_count = np.cumsum(high)
    run_break = np.maximum.accumulate(np.where(~above, np.arange(values.size), -1))
    high_before_run = np.where(run_break >= 0, high_count[np.maximum(run_break, 0)], 0)
    active = above & (high_count - high_before_run > 0)
    flips = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(flips == 1), np.flatnonzero(flips == -1)
    if starts.size == 0:
        return np.zeros((0, 2))
    keep = np.concatenate([[True], (starts[1:] - ends[:-1]) * window_s >= hangover_s - 1e-9])  # a long pause ends a stretch
    merged_starts = starts[keep]
    merged_ends = ends[np.concatenate([keep[1:], [True]])]
    long_enough = (merged_ends - merged_starts) * window_s >= min_speech_s - 1e-9
    return np.column_stack([start_s + merged_starts[long_enough] * window_s, start_s + merged_ends[long_enough] * window_s])


def frame_speaking(timestamps_s, segments, sound_start_s: float, sound_end_s: float,
                   frame_duration_s: float | None = None) -> np.ndarray:
    """Per-frame speaking, float64 (n,): 1.0 when the frame's midpoint (t + frame_duration_s / 2)
    lies in one of `segments` ((k, 2) [start, end) seconds), 0.0 when it lies in the sound
    [sound_start_s, sound_end_s) outside them, NaN where there is no sound."""
    times = np.asarray(timestamps_s, dtype=np.float64).reshape(-1)
    spans = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    middle = times + _frame_duration(times, frame_duration_s) / 2
    in_sound = (middle >= sound_start_s) & (middle < sound_end_s)
    position = np.searchsorted(spans[:, 0], middle, side="right") - 1  # the last segment starting at or before
    in_speech = (position >= 0) & (middle < spans[np.maximum(position, 0), 1] if spans.size else False)
    return np.where(in_sound, np.where(in_speech, 1.0, 0.0), np.nan)


def speech_columns(timestamps_s, probabilities, start_s: float = 0.0, window_s: float = WINDOW_S,
                   frame_duration_s: float | None = None, **segment_options) -> dict[str, np.ndarray]:
    """The two per-frame columns, {"speech": frame_speech(...), "speaking": frame_speaking(...)},
    for frames at timestamps_s and VAD windows from start_s; segment_options go to speech_segments."""
    values = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    segments = speech_segments(values, start_s, window_s, **segment_options)
    return {"speech": frame_speech(timestamps_s, values, start_s, window_s, frame_duration_s),
            "speaking": frame_speaking(timestamps_s, segments, start_s, start_s + values.size * window_s,
                                       frame_duration_s)}
