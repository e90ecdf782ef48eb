"""The voice-activity child process: `python -m expressiveness.audio._vad VIDEO [--video-duration S]`.

Reads the video's first audio stream (reading.iter_sound), runs Silero VAD on it
(vad.iter_speech_probabilities) and writes, as they come, one little-endian float32
probability per 32 ms window to stdout; then one line on stderr, STATUS_MARKER + JSON:
{"status", "seconds", "notes", "info"}. Exit code 0 whenever a status was written (no sound
is a status, not a failure). Native libraries that print to stdout are sent to stderr, so
stdout holds the probabilities alone. Started by vad.VoiceActivityJob; never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from expressiveness.audio.reading import (OK, PARTIAL, UNDECODABLE, UNREADABLE, SoundInfo, SoundTally, iter_sound,
                                          length_notes, probe_sound, read_status)
from expressiveness.audio.vad import PROBABILITY_DTYPE, STATUS_MARKER, iter_speech_probabilities


def run(path: str, video_duration_s: float | None, out) -> dict:
    """Read, detect, write probabilities to the binary stream `out`; return the status dict."""
    info = probe_sound(path)
    tally = SoundTally()
    if info.status == OK:
        for probabilities in iter_speech_probabilities(iter_sound(path, tally)):
            out.write(probabilities.astype(PROBABILITY_DTYPE).tobytes())
            out.flush()
    status = read_status(info, tally)
    notes = list(info.notes)
    if status == UNDECODABLE:
        notes.append(f"FFmpeg cannot decode the sound ({info.codec}): {tally.errors[0] if tally.errors else 'no sample'}.")
    elif status == PARTIAL:
        first = tally.errors[0] if tally.errors else f"FFmpeg ended with code {tally.returncode}"
        notes.append(f"Decoding the sound hit {tally.error_count} error(s) ({first}); the {tally.seconds:.2f} s "
                     f"read are kept.")
    if tally.samples:
        notes.extend(length_notes(info.start_s, tally.seconds, video_duration_s))
    return {"status": status, "seconds": tally.seconds, "notes": notes, "info": dataclasses.asdict(info)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m expressiveness.audio._vad")
    parser.add_argument("video")
    parser.add_argument("--video-duration", type=float, default=None, help="seconds of picture, for the length note")
    arguments = parser.parse_args(argv)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray native prints must not corrupt the probabilities
    try:
        status = run(arguments.video, arguments.video_duration, out)
    except FileNotFoundError as error:
        info = SoundInfo(arguments.video, UNREADABLE, notes=(str(error),))
        status = {"status": UNREADABLE, "seconds": 0.0, "notes": list(info.notes), "info": dataclasses.asdict(info)}
    out.close()
    sys.stderr.write(STATUS_MARKER + json.dumps(status) + "\n")
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
