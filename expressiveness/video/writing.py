"""Writing annotated videos: H.264 MP4 through the ffmpeg that imageio-ffmpeg bundles."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


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
