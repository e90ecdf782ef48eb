"""Streaming video reading with OpenCV: probe, frame sampling, decoder timestamps, a frame
iterator and read-ahead in a thread.

Frames are BGR uint8 arrays of shape (height, width, 3), as OpenCV decodes them. Only one
frame is held at a time, so memory does not grow with the length of a video.
"""

from __future__ import annotations

import ctypes
import functools
import queue
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from expressiveness.errors import UnreadableVideoError

DECODE_AHEAD = 8  # frames decoded ahead of their consumer: bounded, so memory stays flat
M_MMAP_THRESHOLD, FRAME_MMAP_THRESHOLD = -3, 128 * 1024  # glibc's mallopt parameter, and its default value


@functools.cache
def _frames_off_the_heap() -> None:
    """Give each freed frame back to the system at once. glibc serves blocks of 128 KB and more
    with mmap, but raises that threshold to the size of any such block freed, after which every
    frame (640x480: 900 KB) comes from a thread's heap, which keeps its memory: the peak memory
    of one video's analysis was ~15 MB higher (benchmarks/bench_analyze.py). Fixing the
    threshold at its default keeps the first behaviour. Does nothing where libc is not glibc."""
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, FRAME_MMAP_THRESHOLD)
    except (AttributeError, OSError, TypeError):  # no mallopt, or no C library to open by None
        pass


@dataclass(frozen=True)
class VideoInfo:
    path: str
    frame_count: int  # as declared by the container (decoding may yield fewer), or counted (see probe_video)
    fps: float
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


@dataclass(frozen=True)
class Frame:
    index: int  # 0-based position in the video
    timestamp_s: float  # the decoder's presentation time, strictly increasing (see iter_frames)
    image: np.ndarray  # BGR uint8, (height, width, 3)
    nominal_s: float | None = None  # index / the declared frame rate (a file); None for a camera


def _open(path: str | Path, info: VideoInfo | None = None) -> tuple[cv2.VideoCapture, VideoInfo]:
    """An opened capture and the video's VideoInfo (`info` when given: it is not read again)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: video file not found.")
    if path.is_dir():
        raise UnreadableVideoError(f"{path}: is a folder; expected a video file.")
    if path.stat().st_size == 0:
        raise UnreadableVideoError(f"{path}: the file is empty (0 bytes); expected a video such as an MP4.")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        streams = _streams_without_video(path)
        if streams:
            raise UnreadableVideoError(f"{path}: has no video stream, only {streams}; expected a video file with "
                                       f"pictures of the face, such as an MP4.")
        raise UnreadableVideoError(f"{path}: OpenCV cannot open it as a video (not a video file, "
                                   f"truncated, or an unsupported codec).")
    if info is None:
        try:
            info = _read_info(path, capture)
        except UnreadableVideoError:
            capture.release()
            raise
    return capture, info


# A stream in ffmpeg's description of its input: "Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / ...".
_STREAM_LINE = re.compile(r"^\s*Stream #\d+:\d+\S*: (\w+): ([^\s,]+)(.*)$", re.MULTILINE)


def _streams_without_video(path: Path) -> str:
    """For a file OpenCV cannot open: its streams as ffmpeg (imageio-ffmpeg's) reads them, such
    as "audio (aac)", when it holds some but no video ("" otherwise, and without imageio-ffmpeg).
    A cover picture attached to a sound file is a still, not video."""
    try:
        import imageio_ffmpeg

        described = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                                   capture_output=True, timeout=60).stderr.decode(errors="replace")
    except (ImportError, RuntimeError, OSError, subprocess.TimeoutExpired):
        return ""
    streams = [(kind.lower(), codec, rest) for kind, codec, rest in _STREAM_LINE.findall(described)]
    if not streams or any(kind == "video" and "(attached pic)" not in rest for kind, codec, rest in streams):
        return ""
    return ", ".join(f"{'a cover picture' if kind == 'video' else kind} ({codec})" for kind, codec, rest in streams)


# The first bytes of still pictures that FFmpeg also opens, as a one-frame stream.
PICTURE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def _read_info(path: Path, capture: cv2.VideoCapture) -> VideoInfo:
    fps = capture.get(cv2.CAP_PROP_FPS)
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    declared = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    if not (fps > 0 and width > 0 and height > 0):
        raise UnreadableVideoError(f"{path}: the video reports {fps:g} fps, {width}x{height}; expected a positive "
                                   f"frame rate and size.")
    # A streamed recording (WebM or Matroska from a browser, a live stream) declares no frame
    # count, and a damaged header may declare more frames than the file has bytes (billions: its
    # frame indices would not fit in memory). Both are counted, once, by decoding.
    if 0 < declared <= path.stat().st_size:
        frame_count = int(declared)
    else:
        frame_count = count_decodable_frames(path)
        if frame_count == 0:
            raise UnreadableVideoError(f"{path}: no frame could be decoded; the file is damaged or its codec is not "
                                       f"supported by OpenCV.")
        with open(path, "rb") as handle:
            start = handle.read(8)
        picture = next((kind for signature, kind in PICTURE_SIGNATURES.items() if start.startswith(signature)), None)
        if frame_count == 1 and picture is not None:
            raise UnreadableVideoError(f"{path}: is a {picture} picture, not a video; expected a video file such "
                                       f"as an MP4.")
    return VideoInfo(str(path), frame_count, float(fps), width, height)


def count_decodable_frames(path: str | Path) -> int:
    """Number of frames that really decode (grab only), which may differ from the header."""
    capture = cv2.VideoCapture(str(path))
    frames = 0
    try:
        while capture.grab():
            frames += 1
    finally:
        capture.release()
    return frames


def probe_video(path: str | Path) -> VideoInfo:
    """Frame count, fps, width, height (and duration_s) from the container, without decoding;
    the frames are counted by decoding (grab only, once) when the container declares no count
    (a streamed WebM or Matroska recording) or more frames than the file has bytes (a damaged header).

    Raises FileNotFoundError for a missing file and UnreadableVideoError for anything that
    OpenCV cannot open as a video, a file without a decodable frame, and a still picture.
    """
    capture, info = _open(path)
    capture.release()
    return info


def sample_indices(frame_count: int, *, every: int | None = None, count: int | None = None,
                   rate_fps: float | None = None, fps: float | None = None) -> np.ndarray:
    """Sorted frame indices to keep, by exactly one rule:

    every=k: frames 0, k, 2k, ...; count=N: N frames spread evenly (centred in N equal
    parts; all frames if the video is shorter); rate_fps=r: about r frames per second of
    video (needs the video's `fps`). Returns int64 indices in [0, frame_count).
    """
    rules = [name for name, value in (("every", every), ("count", count), ("rate_fps", rate_fps))
             if value is not None]
    if len(rules) != 1:
        raise ValueError(f"sample_indices needs exactly one of every, count, rate_fps; got {rules or 'none'}.")
    if frame_count <= 0:
        return np.zeros(0, dtype="int64")
    if every is not None:
        if int(every) != every or every < 1:
            raise ValueError(f"every is {every!r}; expected a whole number >= 1.")
        return np.arange(0, frame_count, int(every), dtype="int64")
    if count is not None:
        if int(count) != count or count < 1:
            raise ValueError(f"count is {count!r}; expected a whole number >= 1.")
        if count >= frame_count:
            return np.arange(frame_count, dtype="int64")
        return np.unique(((np.arange(count) + 0.5) * frame_count / count).astype("int64"))
    if not (rate_fps > 0) or fps is None or not (fps > 0):
        raise ValueError(f"rate_fps is {rate_fps!r} with video fps {fps!r}; expected two positive numbers.")
    step = max(1.0, fps / rate_fps)
    return np.unique(np.floor(np.arange(0, frame_count, step)).astype("int64"))


class _DecoderClock:
    """Frame times in seconds from the decoder's positions (ms), made strictly increasing: a
    repeated, earlier or non-finite position gives the previous time plus one nominal frame."""

    def __init__(self, fps: float):
        self.frame_s = 1.0 / fps
        self.last_s = None

    def tick(self, position_ms: float) -> float:
        seconds = position_ms / 1000.0 if np.isfinite(position_ms) and position_ms >= 0 else None
        if self.last_s is None:
            self.last_s = 0.0 if seconds is None else seconds
        elif seconds is None or seconds <= self.last_s:
            self.last_s += self.frame_s
        else:
            self.last_s = seconds
        return self.last_s


@dataclass
class DecodeTally:
    """What iter_frames decoded of a file, filled in as it goes. frames: positions decoded (read
    or only grabbed). When frames are sampled, decoding goes on after the last one asked for up
    to two frames past the declared count (one more than the frame of tolerance), so that a file
    holding more frames than its header declares (a stream joined to itself) is seen; `frames`
    then stops at declared + 2 and `capped` is True."""
    frames: int = 0
    capped: bool = False


def iter_frames(path: str | Path, indices=None, info: VideoInfo | None = None,
                tally: DecodeTally | None = None) -> Iterator[Frame]:
    """Yield `Frame`s of a video in order, decoding one at a time.

    indices: sorted frame indices to yield (None: every frame). Frames in between are
    grabbed without conversion, which is cheaper than retrieving them. timestamp_s is the
    decoder's presentation time of the frame, so that a variable-frame-rate video (phones)
    lines up with its sound; where the container's times repeat, go back or are missing, the
    frame gets its time at the nominal rate after the previous frame, so times strictly increase.
    nominal_s is the frame's time at the declared frame rate (index / fps), which measures
    check the decoder's steps against (measures/timebase.py). The iterator stops early, without
    error, where a damaged file stops decoding (`tally`, a DecodeTally, says how far it got); it
    raises UnreadableVideoError if not a single frame decodes.
    """
    _frames_off_the_heap()
    capture, info = _open(path, info)
    # One index at a time: a list of them all would take 36 bytes a frame.
    wanted = None if indices is None else map(int, np.asarray(indices, dtype="int64"))
    next_wanted = None if wanted is None else next(wanted, None)
    if wanted is not None and next_wanted is None:  # nothing asked for: nothing to decode, nothing wrong
        capture.release()
        return
    position = 0
    decoded_any = stopped = False
    clock = _DecoderClock(info.fps)
    try:
        while wanted is None or next_wanted is not None:
            if wanted is not None and position < next_wanted:
                if not capture.grab():
                    stopped = True
                    break
                decoded_any = True
                clock.tick(capture.get(cv2.CAP_PROP_POS_MSEC))
                position += 1
                continue
            ok, image = capture.read()
            if not ok or image is None:
                stopped = True
                break
            decoded_any = True
            yield Frame(position, clock.tick(capture.get(cv2.CAP_PROP_POS_MSEC)), image, position / info.fps)
            position += 1
            if tally is not None:
                tally.frames = position
            if wanted is not None:
                next_wanted = next(wanted, None)
        if tally is not None:
            if wanted is not None and not stopped:
                while position <= info.frame_count + 1 and capture.grab():  # the rest, and two past the declared end
                    position += 1
                tally.capped = position > info.frame_count + 1
            tally.frames = position
    finally:
        capture.release()
    if not decoded_any:
        raise UnreadableVideoError(f"{path}: no frame could be decoded; the file is damaged or "
                                   f"its codec is not supported by OpenCV.")


def decode_ahead(frames: Iterable[Frame], depth: int = DECODE_AHEAD) -> Iterator[Frame]:
    """The same frames, decoded by a background thread at most `depth` frames ahead. An error
    in decoding is raised here, in the consumer's thread; stopping early stops the thread."""
    buffer: queue.Queue = queue.Queue(depth)
    stop = threading.Event()
    finished = object()

    def produce():
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        buffer.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(finished)
        except BaseException as error:  # handed to the consumer, who raises it
            buffer.put(error)

    thread = threading.Thread(target=produce, name="decode", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is finished:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        close = getattr(frames, "close", None)
        if close is not None:
            close()
