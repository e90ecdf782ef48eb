"""Face boxes, the choice of the interviewee among several faces, and 48x48 grayscale crops
(numpy and OpenCV only; the boxes come from engine.FaceDetector).

Frames are BGR by default, as OpenCV decodes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from expressiveness.config import DEFAULT_CROP_MARGIN, DEFAULT_FACE_SELECTION, FACE_SELECTIONS, FACE_SIZE

KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear", "left_ear")


@dataclass(frozen=True)
class FaceBox:
    """One detected face, in pixels of the frame it came from.

    x, y: top-left corner; width, height: size; the box is clamped to the frame.
    score: detector confidence in [0, 1]. keypoints: six (x, y) pixel positions in
    KEYPOINT_NAMES order ("right" is the person's right, on the image's left).
    """

    x: int
    y: int
    width: int
    height: int
    score: float
    keypoints: tuple[tuple[float, float], ...]

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    @property
    def corners(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1): the box's top-left and bottom-right corners."""
        return self.x, self.y, self.x + self.width, self.y + self.height

    def as_array(self) -> np.ndarray:
        """(x, y, width, height) as int32."""
        return np.array([self.x, self.y, self.width, self.height], dtype="int32")


def _check_frame(frame: np.ndarray, color_order: str) -> None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim not in (2, 3) \
            or (frame.ndim == 3 and frame.shape[2] not in (1, 3, 4)) or frame.shape[0] < 1 or frame.shape[1] < 1:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        raise ValueError(f"frame has shape {shape} and dtype {dtype}; expected a uint8 image of shape "
                         f"(height, width, 3) {color_order.upper()}, (height, width, 4), or (height, width).")


def _to_gray(frame: np.ndarray, color_order: str = "bgr") -> np.ndarray:
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 1:
        return frame[:, :, 0]
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY if color_order == "bgr" else cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY if color_order == "bgr" else cv2.COLOR_RGB2GRAY)


def box_iou(first: tuple[float, float, float, float], second: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes given as (x0, y0, x1, y1), in [0, 1]; 0 for empty boxes."""
    inner = _box_area((max(first[0], second[0]), max(first[1], second[1]),
                       min(first[2], second[2]), min(first[3], second[3])))
    union = _box_area(first) + _box_area(second) - inner
    return inner / union if union > 0 else 0.0


def _box_area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def select_face(faces: list[FaceBox], frame_shape: tuple[int, ...],
                selection: str = DEFAULT_FACE_SELECTION) -> FaceBox | None:
    """The interviewee among several faces: "largest" (default), "most_confident", or
    "most_central" (centre closest to the frame centre). None when `faces` is empty."""
    if selection not in FACE_SELECTIONS:
        raise ValueError(f"face selection is {selection!r}; expected one of {', '.join(FACE_SELECTIONS)}.")
    if not faces:
        return None
    if selection == "largest":
        return max(faces, key=lambda face: face.area)
    if selection == "most_confident":
        return max(faces, key=lambda face: face.score)
    middle_x, middle_y = frame_shape[1] / 2, frame_shape[0] / 2
    return min(faces, key=lambda face: (face.center[0] - middle_x) ** 2 + (face.center[1] - middle_y) ** 2)


def crop_face(frame: np.ndarray, box: FaceBox, size: int = FACE_SIZE, margin: float = DEFAULT_CROP_MARGIN,
              align: bool = False, color_order: str = "bgr") -> np.ndarray:
    """Square grayscale crop of a face, resized with area interpolation.

    frame: uint8 (H, W, 3) in `color_order`, (H, W, 4) or (H, W). margin: fraction of the
    box's longer side added on every side, >= 0. Where the square leaves the frame, edge
    pixels are repeated. align=True first rotates the face so the eyes are level.
    Returns a (size, size) uint8 array.
    """
    if margin < 0:
        raise ValueError(f"margin is {margin!r}; expected a fraction >= 0, such as {DEFAULT_CROP_MARGIN}.")
    _check_frame(frame, color_order)
    center_x, center_y = box.center
    side = max(box.width, box.height) * (1 + 2 * margin)
    if align:
        (right_x, right_y), (left_x, left_y) = box.keypoints[0], box.keypoints[1]
        angle_deg = math.degrees(math.atan2(left_y - right_y, left_x - right_x))
        # Cut a window large enough that the rotated square stays inside it, then rotate it.
        window = _to_gray(_padded_window(frame, center_x, center_y, side * math.sqrt(2)), color_order)
        middle = (window.shape[1] / 2, window.shape[0] / 2)
        rotation = cv2.getRotationMatrix2D(middle, angle_deg, 1.0)
        window = cv2.warpAffine(window, rotation, (window.shape[1], window.shape[0]),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        square = _padded_window(window, middle[0], middle[1], side)
    else:
        # Only the window is converted to gray: a fraction of the cost of the whole frame.
        square = _to_gray(_padded_window(frame, center_x, center_y, side), color_order)
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)


def _padded_window(image: np.ndarray, center_x: float, center_y: float, side: float) -> np.ndarray:
    """A side x side window around a centre; parts outside the image repeat its edge pixels."""
    side_px = max(1, int(round(side)))
    x0 = int(round(center_x - side_px / 2))
    y0 = int(round(center_y - side_px / 2))
    x1, y1 = x0 + side_px, y0 + side_px
    height, width = image.shape[:2]
    inner = image[max(y0, 0):min(y1, height), max(x0, 0):min(x1, width)]
    if inner.size == 0:
        raise ValueError(f"face box centred at ({center_x:.0f}, {center_y:.0f}) lies outside the "
                         f"{width}x{height} frame; expected a box from this frame.")
    pads = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    if any(pads):
        inner = cv2.copyMakeBorder(inner, *pads, borderType=cv2.BORDER_REPLICATE)
    return inner
