"""Writing annotated videos: H.264 MP4 through imageio-ffmpeg's write_frames and the ffmpeg it bundles."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


class _Abort(BaseException):
    """Thrown into imageio-ffmpeg's frame generator: a BaseException that is not GeneratorExit
    makes it kill ffmpeg at once instead of waiting for the encoder to finish."""


class VideoWriter:
    """Write BGR frames to an MP4 file, H.264 (yuv420p, faststart) through
    `imageio_ffmpeg.write_frames` and the ffmpeg binary it bundles, so that browsers and every
    player can show it.

        with VideoWriter("out.mp4", fps=30.0) as writer:
            for image in images:  # BGR uint8, (height, width, 3), all the same size
                writer.write(image)

    The encoder starts at the first frame, sized from it (an odd width or height is padded
    by one black pixel, as yuv420p needs even sizes; never rescaled). Frames go to a temporary
    name in the same folder (_io.temporary_name: .STEM.HOST.PID.tmp.mp4, so a killed run's file
    is removed by the next run's stale-temporary cleanup), renamed to `path` only when the block
    ends cleanly and the file holds every frame; after an exception, or when no frame was
    written, `path` is left untouched. Without imageio-ffmpeg it falls back to OpenCV's MPEG-4
    Part 2 ('mp4v', which browsers do not play) with a one-line warning; `codec` says which was
    used ("h264" or "mp4v"). crf: x264 quality in [0, 51], lower is better (23 is x264's default).
    """

    def __init__(self, path: str | Path, fps: float, crf: int = 23, preset: str = "veryfast"):
        import warnings

        from expressiveness._io import temporary_name

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
        self._temporary = temporary_name(self.path.with_suffix(self.path.suffix or ".mp4"), keep_suffix=True)
        self._frames = None  # imageio_ffmpeg.write_frames generator
        self._opencv = None  # cv2.VideoWriter in the fallback
        try:
            import imageio_ffmpeg
            self._write_frames = imageio_ffmpeg.write_frames
            self.codec = "h264"
        except ImportError:
            warnings.warn(f"{self.path.name}: imageio-ffmpeg is not installed, so the video is written as "
                          f"MPEG-4 Part 2 ('mp4v'), which browsers do not play; `pip install imageio-ffmpeg` "
                          f"for H.264.", stacklevel=2)
            self._write_frames = None
            self.codec = "mp4v"

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _open(self, width: int, height: int) -> None:
        self.size = (width, height)
        if self._write_frames is None:
            self._opencv = cv2.VideoWriter(str(self._temporary), cv2.VideoWriter_fourcc(*"mp4v"), self.fps,
                                           (width, height))
            if not self._opencv.isOpened():
                self._opencv = None
                raise OSError(f"{self.path}: OpenCV cannot open an 'mp4v' video writer for {width}x{height} "
                              f"frames at {self.fps:g} fps.")
            return
        try:
            self._frames = self._write_frames(
                str(self._temporary), (width, height), pix_fmt_in="bgr24", pix_fmt_out="yuv420p", fps=self.fps,
                codec="libx264", quality=None, macro_block_size=1, ffmpeg_log_level="error",
                output_params=["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-preset", self.preset,
                               "-crf", str(self.crf), "-movflags", "+faststart", "-f", "mp4"])
            self._frames.send(None)  # starts ffmpeg
        except OSError as error:
            self._frames = None
            raise OSError(f"{self.path}: cannot start ffmpeg: {error.strerror or error}.") from None

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
                self._frames.send(np.ascontiguousarray(image))
            except OSError:  # ffmpeg died: a full disk, a file it may not write; it printed why
                self.abort()
                raise OSError(f"{self.path}: ffmpeg stopped encoding at frame {self.frames_written} "
                              f"(its message is above).") from None
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and rename it to `path` (nothing is written when no frame was).
        Raises OSError, leaving `path` untouched, when the finished file does not hold every frame
        (ffmpeg failed at the end: a full disk while writing the index)."""
        if self._opencv is not None:
            self._opencv.release()
            self._opencv = None
        elif self._frames is not None:
            self._frames.close()  # waits for ffmpeg to encode what it holds and exit
            self._frames = None
            if self.frames_written and _frames_in(self._temporary) != self.frames_written:
                self._temporary.unlink(missing_ok=True)
                raise OSError(f"{self.path}: ffmpeg could not finish the video; expected "
                              f"{self.frames_written} frames in it (ffmpeg's message is above).")
        if self.frames_written and self._temporary.exists():
            self._temporary.replace(self.path)

    def abort(self) -> None:
        """Stop without writing `path`: ffmpeg is killed and the temporary file removed."""
        if self._opencv is not None:
            self._opencv.release()
            self._opencv = None
        if self._frames is not None:
            frames, self._frames = self._frames, None
            try:
                frames.throw(_Abort())
            except (_Abort, StopIteration, OSError):
                pass
        self._temporary.unlink(missing_ok=True)


def _frames_in(path: Path) -> int:
    """The frame count an MP4's index declares (0 when the file cannot be opened)."""
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    finally:
        capture.release()
