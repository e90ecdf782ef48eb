"""One time base for every per-time measure: the decoder's timestamps of the frames analysed,
checked against the stream's nominal frame interval (numpy only).

A file's clock can misbehave while its pictures are fine: a re-mux that pushes timestamps back
leaves a step of a tenth of a millisecond between two frames, a joined stream restarts its
clock, a damaged header declares a length the file does not have. Rates divided by such a
step, or by the header's duration, are silently wrong. So:

- The nominal step between two analysed frames is their distance in frames times the nominal
  frame interval (1 / the stream's declared frame rate): k / fps when every k-th frame is analysed.
- A step of the decoder's clock is *irregular* when it is under IRREGULAR_BELOW or over
  IRREGULAR_ABOVE times its nominal step (`time_irregular` in the summary counts them).
- Speeds (head motion in deg/s, facial motion in % IOD/s) divide by the real step, or by the
  nominal step where the real one is under IRREGULAR_BELOW of it: a clock that stutters cannot
  make a speed spike; a longer step (a real pause in a variable-frame-rate recording, or a jump
  of the clock) can only make that one frame's speed lower.
- Durations (analysed seconds, usable seconds, blinks per minute) give each frame the step to
  the next analysed frame, or its nominal step where that step is irregular, and the last frame
  its nominal step: a jump in the clock neither adds nor removes time. The header's duration is
  shown beside them and never divided by.
"""

from __future__ import annotations

import numpy as np

IRREGULAR_BELOW = 1 / 3
IRREGULAR_ABOVE = 3.0


def rate_step_s(step_s: float, nominal_step_s: float | None) -> float:
    """The time to divide a change by, for a speed: step_s (> 0), or nominal_step_s where
    step_s is under IRREGULAR_BELOW of it (None: no nominal step known, step_s as it is)."""
    if nominal_step_s is not None and nominal_step_s > 0 and step_s < IRREGULAR_BELOW * nominal_step_s:
        return nominal_step_s
    return step_s


def _steps(timestamp_s, frame, frame_interval_s: float) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(timestamp_s, dtype="float64")
    frames = np.asarray(frame, dtype="float64")
    if times.shape != frames.shape or times.ndim != 1:
        raise ValueError(f"timestamp_s has shape {times.shape} and frame {frames.shape}; expected two 1-D series "
                         f"of the same length.")
    if not frame_interval_s > 0:
        raise ValueError(f"frame_interval_s is {frame_interval_s!r}; expected the nominal frame interval in "
                         f"seconds, > 0.")
    return np.diff(times), np.diff(frames) * frame_interval_s


def irregular_steps(timestamp_s, frame, frame_interval_s: float) -> np.ndarray:
    """(n - 1,) bool: which steps between consecutive analysed frames (timestamps in seconds,
    frame indices, in time order) are irregular (module docstring)."""
    steps, nominal = _steps(timestamp_s, frame, frame_interval_s)
    return (steps < IRREGULAR_BELOW * nominal) | (steps > IRREGULAR_ABOVE * nominal)


def frame_durations(timestamp_s, frame, frame_interval_s: float, end_frame: int | None = None) -> np.ndarray:
    """(n,) seconds each analysed frame stands for (module docstring): the step to the next
    frame, its nominal step where that step is irregular, and for the last frame the typical
    nominal step (the median one; one frame interval for a single frame), but never past
    end_frame (the index after the video's last frame, when known: with every k-th frame
    analysed, fewer than k frames may follow the last one). Sums to the analysed time."""
    steps, nominal = _steps(timestamp_s, frame, frame_interval_s)
    if steps.size == 0:
        return np.full(len(np.asarray(timestamp_s)), float(frame_interval_s))
    durations = np.where(irregular_steps(timestamp_s, frame, frame_interval_s), nominal, steps)
    last, last_frame = float(np.median(nominal)), float(np.asarray(frame)[-1])
    if end_frame is not None and end_frame > last_frame:
        last = min(last, (end_frame - last_frame) * frame_interval_s)
    return np.append(durations, last)
