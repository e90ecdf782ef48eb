"""One face read alone: the face landmarker on a window of the frame around a detector box.

With several persons in view (pipeline/subject.py), the landmarker given the whole frame must
look for every face (max_faces) to be sure of finding the subject's, and its cost grows with
each face: 24 ms a frame for two against 12 for one (400 x 240 px, measured on the test
footage). Read in a window of REGION_SCALE face sizes around the subject's box, it finds that
face alone at the one-face cost, however many others the picture holds (a crowd of ten too).
The landmarks are moved back to the frame's pixels; the head-pose matrix is the landmarker's
for the window (as if the face sat at the picture's centre), which the measures use only for
changes over time and ranges.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .crops import FaceBox
from .engine import FaceLandmarker, FaceLandmarks, LandmarkReading

REGION_SCALE = 2.0  # the window's side in face sizes (the larger of the box's width and height)


def face_region(box: FaceBox, frame_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the window around box: a square of REGION_SCALE times its larger side,
    centred on it, clipped to the frame (so narrower at an edge)."""
    height, width = frame_shape[:2]
    side = REGION_SCALE * max(box.width, box.height)
    center_x, center_y = box.center
    x0, y0 = max(0, int(round(center_x - side / 2))), max(0, int(round(center_y - side / 2)))
    x1, y1 = min(width, int(round(center_x + side / 2))), min(height, int(round(center_y + side / 2)))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


class RegionReading(LandmarkReading):
    """A LandmarkReading of a window, whose faces are given in the whole frame's pixels."""

    def __init__(self, reading: LandmarkReading, x0: int, y0: int):
        self.__dict__.update(reading.__dict__)
        self._offset = np.array([x0, y0, 0], dtype="float32")

    def faces(self) -> list[FaceLandmarks]:
        shifted = self._faces is not None and getattr(self, "_shifted", False)
        faces = super().faces()
        if not shifted:
            faces = self._faces = [replace(face, points=face.points + self._offset) for face in faces]
            self._shifted = True
        return faces


def read_region(landmarker: FaceLandmarker, image: np.ndarray, box: FaceBox,
                timestamp_s: float | None = None) -> RegionReading:
    """The landmarker's reading of the window around box (face_region) of a uint8 frame, in the
    frame's pixels: face_of(box) then finds the face of box as in a whole frame's reading."""
    x0, y0, x1, y1 = face_region(box, image.shape)
    return RegionReading(landmarker.read(np.ascontiguousarray(image[y0:y1, x0:x1]), timestamp_s), x0, y0)
