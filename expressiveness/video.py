"""Streaming video reading with OpenCV: probe, frame sampling and a frame iterator.

Frames are BGR uint8 arrays of shape (height, width, 3), as OpenCV decodes them. Only one
frame is held at a time, so memory does not grow with the length of a video.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from .errors import CameraError, UnreadableVideoError

DECODE_AHEAD = 8  # frames decoded ahead of their consumer: bounded, so memory stays flat


@dataclass(frozen=True)
class VideoInfo:
    path: str
    frame_count: int  # as declared by the container; decoding may yield fewer
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


def _open(path: str | Path) -> tuple[cv2.VideoCapture, VideoInfo]:
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
        raise UnreadableVideoError(f"{path}: OpenCV cannot open it as a video (not a video file, "
                                   f"truncated, or an unsupported codec).")
    fps = capture.get(cv2.CAP_PROP_FPS)
    info = VideoInfo(str(path), int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), float(fps),
                     int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    if not (fps > 0 and info.width > 0 and info.height > 0 and info.frame_count > 0):
        capture.release()
        raise UnreadableVideoError(f"{path}: the video reports {info.frame_count} frames at {fps:g} fps, "
                                   f"{info.width}x{info.height}; expected a positive frame count, "
                                   f"frame rate and size.")
    return capture, info


def probe_video(path: str | Path) -> VideoInfo:
    """Frame count, fps, width, height (and duration_s) from the container, without decoding.

    Raises FileNotFoundError for a missing file and UnreadableVideoError for anything that
    OpenCV cannot open as a video.
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


def iter_frames(path: str | Path, indices=None, info: VideoInfo | None = None) -> Iterator[Frame]:
    """Yield `Frame`s of a video in order, decoding one at a time.

    indices: sorted frame indices to yield (None: every frame). Frames in between are
    grabbed without conversion, which is cheaper than retrieving them. timestamp_s is the
    decoder's presentation time of the frame, so that a variable-frame-rate video (phones)
    lines up with its sound; where the container's times repeat, go back or are missing, the
    frame gets its time at the nominal rate after the previous frame, so times strictly increase.
    The iterator stops early, without error, where a damaged file stops decoding; it raises
    UnreadableVideoError if not a single frame decodes.
    """
    capture, opened_info = _open(path)
    info = info or opened_info
    wanted = None if indices is None else iter(np.asarray(indices, dtype="int64").tolist())
    next_wanted = None if wanted is None else next(wanted, None)
    if wanted is not None and next_wanted is None:  # nothing asked for: nothing to decode, nothing wrong
        capture.release()
        return
    position = 0
    decoded_any = False
    clock = _DecoderClock(info.fps)
    try:
        while wanted is None or next_wanted is not None:
            if wanted is not None and position < next_wanted:
                if not capture.grab():
                    break
                decoded_any = True
                clock.tick(capture.get(cv2.CAP_PROP_POS_MSEC))
                position += 1
                continue
            ok, image = capture.read()
            if not ok or image is None:
                break
            decoded_any = True
            yield Frame(position, clock.tick(capture.get(cv2.CAP_PROP_POS_MSEC)), image)
            position += 1
            if wanted is not None:
                next_wanted = next(wanted, None)
    finally:
        capture.release()
    if not decoded_any:
        raise UnreadableVideoError(f"{path}: no frame could be decoded; the file is damaged or "
                                   f"its codec is not supported by OpenCV.")


def count_decodable_frames(path: str | Path) -> int:
    """Number of frames that really decode (grab only), which may differ from the header."""
    capture, _ = _open(path)
    frames = 0
    try:
        while capture.grab():
            frames += 1
    finally:
        capture.release()
    return frames


def iter_camera(index: int, max_failures: int = 30) -> Iterator[Frame]:
    """Frames of camera `index` (BGR), timestamped in seconds since the first frame.

    Raises CameraError when the camera cannot be opened or returns no frame for
    `max_failures` reads in a row.
    """
    import time

    logging = cv2.utils.logging  # OpenCV 5 (cv2.getLogLevel in 4.x is gone)
    previous_level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)  # our message replaces OpenCV's
    try:
        capture = cv2.VideoCapture(index)
    finally:
        logging.setLogLevel(previous_level)
    if not capture.isOpened():
        capture.release()
        raise CameraError(f"camera {index} cannot be opened (no camera at that index, no permission, or it is "
                          f"in use); use --source VIDEO to run on a video file instead.")
    started = None
    failures = 0
    position = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok or image is None:
                failures += 1
                if failures >= max_failures:
                    raise CameraError(f"camera {index} opened but returned no frame in {max_failures} reads; "
                                      f"check the camera, or use --source VIDEO to run on a video file.")
                continue
            failures = 0
            now = time.perf_counter()
            started = started if started is not None else now
            yield Frame(position, now - started, image)
            position += 1
    finally:
        capture.release()


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


class VideoWriter:
    """Write BGR frames to an MP4 file, H.264 (yuv420p, faststart) through the ffmpeg binary
    bundled with imageio-ffmpeg, so that browsers and every player can show it.

        with VideoWriter("out.mp4", fps=30.0) as writer:
            for image in images:  # BGR uint8, (height, width, 3), all the same size
                writer.write(image)

    The encoder starts at the first frame, sized from it (an odd width or height is padded
    by one black pixel, as yuv420p needs even sizes). Frames go to a temporary name in the
    same folder, renamed to `path` only when the block ends cleanly; after an exception, or
    when no frame was written, `path` is left untouched. Without imageio-ffmpeg it falls back
    to OpenCV's MPEG-4 Part 2 ('mp4v', which browsers do not play) with a one-line warning;
    `codec` says which was used ("h264" or "mp4v"). crf: x264 quality in [0, 51], lower is
    better (23 is x264's default).
    """

    def __init__(self, path: str | Path, fps: float, crf: int = 23, preset: str = "veryfast"):
        import os
        import warnings

        self.path = Path(path)
        if not (isinstance(fps, (int, float)) and np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps is {fps!r}; expected a positive number of frames per second.")
        if not self.path.parent.is_dir():
            raise FileNotFoundError(f"{self.path}: cannot write the video, the folder {self.path.parent} "
                                    f"does not exist.")
        self.fps = float(fps)
        self.crf = crf
        self.preset = preset
        self.frames_written = 0
        self.size: tuple[int, int] | None = None  # (width, height) of the frames given
        self._temporary = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp{self.path.suffix or '.mp4'}")
        self._process = None  # ffmpeg subprocess
        self._stderr = None
        self._opencv = None  # cv2.VideoWriter in the fallback
        try:
            import imageio_ffmpeg
            self._ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
            self.codec = "h264"
        except ImportError:
            warnings.warn(f"{self.path.name}: imageio-ffmpeg is not installed, so the video is written as "
                          f"MPEG-4 Part 2 ('mp4v'), which browsers do not play; `pip install imageio-ffmpeg` "
                          f"for H.264.", stacklevel=2)
            self._ffmpeg = None
            self.codec = "mp4v"

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _open(self, width: int, height: int) -> None:
        import subprocess
        import tempfile

        self.size = (width, height)
        if self._ffmpeg is None:
            self._opencv = cv2.VideoWriter(str(self._temporary), cv2.VideoWriter_fourcc(*"mp4v"), self.fps,
                                           (width, height))
            if not self._opencv.isOpened():
                self._opencv = None
                raise OSError(f"{self.path}: OpenCV cannot open an 'mp4v' video writer for {width}x{height} "
                              f"frames at {self.fps:g} fps.")
            return
        command = [self._ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", repr(self.fps),
                   "-i", "-", "-an", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                   "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), "-pix_fmt", "yuv420p",
                   "-movflags", "+faststart", "-f", "mp4", str(self._temporary)]
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=self._stderr)
        except OSError as error:
            raise OSError(f"{self.path}: cannot start ffmpeg ({self._ffmpeg}): {error.strerror or error}.") from None

    def _ffmpeg_error(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"ffmpeg exited with code {self._process.returncode}"

    def write(self, image: np.ndarray) -> None:
        """Append one frame: BGR uint8 of shape (height, width, 3), the size of the first frame."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"frame {self.frames_written} has dtype {image.dtype} and shape {image.shape}; "
                             f"expected BGR uint8 of shape (height, width, 3).")
        height, width = image.shape[:2]
        if self.size is None:
            self._open(width, height)
        elif (width, height) != self.size:
            raise ValueError(f"frame {self.frames_written} is {width}x{height}; expected {self.size[0]}x"
                             f"{self.size[1]}, the size of the first frame.")
        if self._opencv is not None:
            self._opencv.write(image)
        else:
            try:
                self._process.stdin.write(np.ascontiguousarray(image).tobytes())
            except (BrokenPipeError, OSError):
                self._process.wait()
                message = self._ffmpeg_error()
                self.abort()
                raise OSError(f"{self.path}: ffmpeg stopped encoding: {message}") from None
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and rename it to `path` (nothing is written when no frame was)."""
        if self._opencv is not None:
            self._opencv.release()
            self._opencv = None
        elif self._process is not None:
            self._process.stdin.close()
            code = self._process.wait()
            if code != 0:
                message = self._ffmpeg_error()
                self.abort()
                raise OSError(f"{self.path}: ffmpeg could not finish the video: {message}")
            self._process = None
            self._stderr.close()
        if self.frames_written and self._temporary.exists():
            self._temporary.replace(self.path)

    def abort(self) -> None:
        """Stop without writing `path`; removes the temporary file."""
        if self._opencv is not None:
            self._opencv.release()
            self._opencv = None
        if self._process is not None:
            if self._process.stdin and not self._process.stdin.closed:
                try:
                    self._process.stdin.close()
                except OSError:
                    pass
            self._process.kill()
            self._process.wait()
            self._process = None
        if self._stderr is not None and not self._stderr.closed:
            self._stderr.close()
        self._temporary.unlink(missing_ok=True)
