"""Frames from a camera, timestamped from the first frame (OpenCV)."""

from __future__ import annotations

from typing import Iterator

import cv2

from expressiveness.errors import CameraError
from expressiveness.video.reading import Frame


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
