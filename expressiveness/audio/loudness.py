"""Loudness of a video's sound at chosen times: what the speaker rule (pipeline/subject.py)
compares with each person's mouth opening, frame by frame.

Voice activity (vad.py) says *whether* someone speaks, and stays flat while one person talks;
the loudness rises and falls with the syllables, and so does the speaker's jaw. The sound is
read once with iter_sound (16 kHz mono, streamed): the power of every LOUDNESS_WINDOW_S window
is kept (4 bytes per 20 ms), then averaged over each frame's interval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from expressiveness.audio.reading import OK, SAMPLE_RATE_HZ, SoundTally, iter_sound, probe_sound, read_status

LOUDNESS_WINDOW_S = 0.02  # 320 samples at 16 kHz
FLOOR_DB = -60.0  # quieter than this below the loudest window counts as silence (no finer detail)


def window_power(path: str | Path) -> tuple[np.ndarray, float, str]:
    """Mean squared amplitude (int16 full scale = 1) of each LOUDNESS_WINDOW_S window of the first
    audio stream: float32 (n,), window k over [start_s + k LOUDNESS_WINDOW_S, ...) on the video's
    clock; with start_s and the read status (reading.STATUSES). No sound: an empty array."""
    info = probe_sound(path)
    if info.status != OK:
        return np.zeros(0, np.float32), 0.0, info.status
    window = int(round(LOUDNESS_WINDOW_S * SAMPLE_RATE_HZ))
    tally, powers, pending = SoundTally(), [], np.zeros(0, np.float32)
    for chunk in iter_sound(path, tally):
        samples = np.concatenate([pending, chunk.astype(np.float32) / 32768.0])
        whole = samples.size // window * window
        powers.append(np.mean(samples[:whole].reshape(-1, window) ** 2, axis=1))
        pending = samples[whole:]
    power = np.concatenate(powers).astype(np.float32) if powers else np.zeros(0, np.float32)
    return power, info.start_s, read_status(info, tally)


def loudness_db(power: np.ndarray, start_s: float, times_s: np.ndarray, interval_s: float) -> np.ndarray:
    """The sound's level over [t - interval_s / 2, t + interval_s / 2) for each t of times_s, in dB
    below the loudest LOUDNESS_WINDOW_S window (<= 0, at least FLOOR_DB); NaN where the sound
    does not reach. power: window_power's array; interval_s > 0."""
    times_s = np.asarray(times_s, dtype=np.float64)
    if power.size == 0:
        return np.full(times_s.shape, np.nan)
    cumulative = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
    first = np.floor((times_s - interval_s / 2 - start_s) / LOUDNESS_WINDOW_S).astype(np.int64)
    last = np.ceil((times_s + interval_s / 2 - start_s) / LOUDNESS_WINDOW_S).astype(np.int64)
    reached = (last > 0) & (first < power.size)
    first, last = np.clip(first, 0, power.size), np.clip(last, 0, power.size)
    mean = (cumulative[last] - cumulative[first]) / np.maximum(last - first, 1)
    loudest = max(float(power.max()), 1e-12)
    level = 10 * np.log10(np.maximum(mean, 1e-12) / loudest)
    return np.where(reached & (last > first), np.maximum(level, FLOOR_DB), np.nan)
