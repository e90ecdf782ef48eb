"""A video's sound with the FFmpeg binary that imageio-ffmpeg ships: what the file holds
(`probe_sound`, from FFmpeg's description of its input: no ffprobe is shipped) and its first
audio stream as 16 kHz mono int16, streamed from a pipe in chunks (`iter_sound`), so memory
does not grow with the length of the video.

Times are on the video's clock: the per-frame table's `timestamp` is the decoder's time of a
frame counted from the video stream's start (OpenCV's CAP_PROP_POS_MSEC), so sample 0 of the
sound lies at `SoundInfo.start_s` = (audio stream start - video stream start) seconds; positive
when the sound starts after the picture.
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

SAMPLE_RATE_HZ = 16000  # what Silero VAD takes; speech needs no more
CHUNK_SAMPLES = 4 * SAMPLE_RATE_HZ  # read from the pipe at a time: 4 s, 128 KB of int16
STDERR_LINES_KEPT = 20  # FFmpeg's first error lines kept for the status; the rest are counted
START_NOTE_S = 0.1  # a start offset this large is named in the notes (AAC priming alone gives 21-64 ms); any is applied

# Statuses of a video's sound, one each: what the per-frame columns can rely on.
OK = "ok"  # read to its end (notes may still say: two streams, downmixed, late start, length)
NO_AUDIO = "no_audio"  # the file holds no audio stream
UNDECODABLE = "undecodable"  # an audio stream FFmpeg cannot decode (unknown codec): nothing read
PARTIAL = "partial"  # decoding failed partway or hit damaged data: what was read is kept
UNREADABLE = "unreadable"  # FFmpeg cannot open the file at all
STATUSES = (OK, NO_AUDIO, UNDECODABLE, PARTIAL, UNREADABLE)

# "  Duration: 00:00:19.69, start: 0.000000, bitrate: 663 kb/s"
_CONTAINER = re.compile(r"^\s*Duration: (?:(\d+):(\d+):([\d.]+)|N/A)(?:, start: (-?[\d.]+))?", re.MULTILINE)
# "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s, start 2.430023 (default)"
_STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$", re.MULTILINE)
_STREAM_START = re.compile(r", start (-?[\d.]+)")
_RATE = re.compile(r", (\d+) Hz, ([^,]+)")


@dataclass(frozen=True)
class SoundInfo:
    """A video's sound as FFmpeg describes it, before decoding.

    status: one of STATUSES (OK when there is a first audio stream to read). audio_streams:
    how many the file has (the first is read). codec, sample_rate_hz, layout ("mono",
    "stereo", "5.1(side)"): the first audio stream's. start_s: where sample 0 lies on the
    video's clock, in seconds (audio start minus video start; 0.0 without a video stream).
    container_duration_s: FFmpeg's "Duration" (the longest stream), None if not declared.
    notes: plain sentences for the user (two streams, downmixed, late start).
    """
    path: str
    status: str
    audio_streams: int = 0
    codec: str = ""
    sample_rate_hz: int | None = None
    layout: str = ""
    start_s: float = 0.0
    container_duration_s: float | None = None
    notes: tuple[str, ...] = ()


def ffmpeg_exe() -> str:
    """Path of imageio-ffmpeg's FFmpeg binary."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def parse_description(path: str, described: str) -> SoundInfo:
    """SoundInfo from FFmpeg's description of its input (the stderr of `ffmpeg -i PATH`).

    FFmpeg prints ", start S" on a stream only when its start differs from the container's
    ("start: S" on the Duration line, the earliest of the streams)."""
    container = _CONTAINER.search(described)
    streams = _STREAM.findall(described)
    if container is None and not streams:
        return SoundInfo(str(path), UNREADABLE, notes=("FFmpeg cannot open the file as a media file.",))
    duration_s = None
    container_start_s = 0.0
    if container is not None:
        hours, minutes, seconds, start = container.groups()
        if hours is not None:
            duration_s = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        if start is not None:
            container_start_s = float(start)

    def start_of(description: str) -> float:
        found = _STREAM_START.search(description)
        return float(found.group(1)) if found else container_start_s

    audio = [description for kind, description in streams if kind == "Audio"]
    video = [description for kind, description in streams if kind == "Video" and "(attached pic)" not in description]
    if not audio:
        return SoundInfo(str(path), NO_AUDIO, container_duration_s=duration_s,
                         notes=("The video has no audio stream.",))
    first = audio[0]
    codec = first.split()[0].rstrip(",")
    rate = _RATE.search(first)
    sample_rate_hz, layout = (int(rate.group(1)), rate.group(2).strip()) if rate else (None, "")
    start_s = start_of(first) - (start_of(video[0]) if video else container_start_s)
    notes = []
    if len(audio) > 1:
        notes.append(f"The video has {len(audio)} audio streams; the first ({codec}) is used.")
    if layout and layout != "mono":
        notes.append(f"The sound ({layout}, {sample_rate_hz} Hz) is mixed down to mono at {SAMPLE_RATE_HZ} Hz.")
    elif sample_rate_hz is not None and sample_rate_hz != SAMPLE_RATE_HZ:
        notes.append(f"The sound ({sample_rate_hz} Hz) is resampled to {SAMPLE_RATE_HZ} Hz.")
    if abs(start_s) >= START_NOTE_S:
        notes.append(f"The sound starts {abs(start_s):.3f} s {'after' if start_s > 0 else 'before'} the picture.")
    return SoundInfo(str(path), OK, len(audio), codec, sample_rate_hz, layout, start_s, duration_s, tuple(notes))


def probe_sound(path: str | Path) -> SoundInfo:
    """What a video's sound is, from FFmpeg's description of the file (no decoding, about 30 ms).

    Raises FileNotFoundError for a missing file; anything FFmpeg cannot open gets status UNREADABLE."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such video file.")
    described = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                               capture_output=True, timeout=120).stderr.decode(errors="replace")
    return parse_description(str(path), described)


@dataclass
class SoundTally:
    """What iter_sound read, filled in as it goes: samples (16 kHz mono), FFmpeg's exit code and
    its error lines (the first STDERR_LINES_KEPT; error_count counts them all)."""
    samples: int = 0
    returncode: int | None = None
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE_HZ


def read_command(path: str | Path) -> list[str]:
    """The FFmpeg command that writes the first audio stream to stdout as 16 kHz mono s16le.

    aresample's async mode fills a gap in the stream's timestamps (packets dropped as damaged)
    with silence, so that later samples keep their time instead of sliding earlier."""
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn", "-sn",
            "-dn", "-af", "aresample=async=1", "-ac", "1", "-ar", str(SAMPLE_RATE_HZ), "-f", "s16le", "-"]


def iter_sound(path: str | Path, tally: SoundTally | None = None,
               chunk_samples: int = CHUNK_SAMPLES) -> Iterator[np.ndarray]:
    """Yield the first audio stream of a video as int16 arrays of shape (n,), 16 kHz mono, in
    order; every chunk but the last holds chunk_samples samples. Only one chunk is held at a
    time. Call probe_sound first: a file without an audio stream makes FFmpeg fail at once.

    Decoding errors do not raise: `tally` (a SoundTally) gets FFmpeg's exit code and error
    lines, and the samples read before and after a damaged stretch are kept.
    """
    tally = tally if tally is not None else SoundTally()
    chunk_bytes = 2 * int(chunk_samples)
    process = subprocess.Popen(read_command(path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)

    def drain_errors():  # read concurrently: many error lines would otherwise fill the pipe and stall FFmpeg
        for line in process.stderr:
            tally.error_count += 1
            if len(tally.errors) < STDERR_LINES_KEPT:
                tally.errors.append(line.decode(errors="replace").strip())

    reader = threading.Thread(target=drain_errors, daemon=True)
    reader.start()
    leftover, finished = b"", False
    try:
        while True:
            data = process.stdout.read(chunk_bytes)
            if not data:
                finished = True  # FFmpeg closed its output: it is exiting on its own
                break
            data = leftover + data
            usable = len(data) - len(data) % 2
            leftover = data[usable:]
            if usable:
                samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.int16, copy=False)
                tally.samples += samples.size
                yield samples
    finally:
        if not finished and process.poll() is None:
            process.kill()  # the consumer stopped early
        process.stdout.close()
        tally.returncode = process.wait()
        reader.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def read_status(info: SoundInfo, tally: SoundTally) -> str:
    """The status of a finished read: info.status unless the read itself failed. No sample and an
    error is UNDECODABLE (FFmpeg names no decoder, or the first packet is broken); samples and an
    error, or a non-zero exit, is PARTIAL."""
    if info.status != OK:
        return info.status
    if tally.samples == 0 and (tally.error_count or tally.returncode):
        return UNDECODABLE
    if tally.error_count or tally.returncode:
        return PARTIAL
    return OK


def length_notes(start_s: float, sound_s: float, video_duration_s: float | None,
                 tolerance_s: float = 0.1) -> tuple[str, ...]:
    """Plain sentences when the sound, placed on the video's clock (start_s, lasting sound_s),
    ends more than tolerance_s before or after the picture (video_duration_s; None: no check)."""
    if video_duration_s is None:
        return ()
    end_gap_s = video_duration_s - (start_s + sound_s)
    if end_gap_s > tolerance_s:
        return (f"The sound ends {end_gap_s:.2f} s before the picture.",)
    if end_gap_s < -tolerance_s:
        return (f"The sound runs {-end_gap_s:.2f} s past the picture.",)
    return ()
