"""MediaPipe face detection and 48x48 grayscale face crops.

`FaceDetector` wraps `mp.solutions.face_detection` (the BlazeFace models that ship inside
the mediapipe 0.10.21 wheel, so nothing is downloaded). Frames are BGR by default, as
OpenCV decodes them; the only colour conversion for detection is in `_to_rgb`.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

import cv2
import numpy as np

from .config import FACE_SIZE
from .quiet import quiet_native

MODELS = {"short": 0, "full": 1}  # short range: faces within ~2 m; full range: within ~5 m
FACE_SELECTIONS = ("largest", "most_confident", "most_central")
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

    def as_array(self) -> np.ndarray:
        """(x, y, width, height) as int32."""
        return np.array([self.x, self.y, self.width, self.height], dtype="int32")


def _import_mediapipe():
    # mediapipe.tasks imports TensorFlow only to decorate API docs, and falls back to a no-op
    # when TensorFlow is absent. Hiding TensorFlow for this one import keeps the face pipeline
    # ~3 s faster to start and ~1 GB lighter per worker; it is restored right after.
    # MediaPipe's C++ logging would print INFO/WARNING lines for every detector made.
    os.environ.setdefault("GLOG_minloglevel", "2")
    if "mediapipe" in sys.modules or "tensorflow" in sys.modules:
        import mediapipe
        return mediapipe
    sys.modules["tensorflow"] = None
    try:
        import mediapipe
    finally:
        del sys.modules["tensorflow"]
    return mediapipe


def _check_frame(frame: np.ndarray, color_order: str) -> None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim not in (2, 3) \
            or (frame.ndim == 3 and frame.shape[2] not in (1, 3, 4)) or frame.shape[0] < 1 or frame.shape[1] < 1:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        raise ValueError(f"frame has shape {shape} and dtype {dtype}; expected a uint8 image of shape "
                         f"(height, width, 3) {color_order.upper()}, (height, width, 4), or (height, width).")


def _to_rgb(frame: np.ndarray, color_order: str) -> np.ndarray:
    """The single place where frames become RGB for MediaPipe."""
    _check_frame(frame, color_order)
    if frame.ndim == 2 or frame.shape[2] == 1:
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB if color_order == "bgr" else cv2.COLOR_RGBA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if color_order == "bgr" else np.ascontiguousarray(frame)


def _to_gray(frame: np.ndarray, color_order: str = "bgr") -> np.ndarray:
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 1:
        return frame[:, :, 0]
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY if color_order == "bgr" else cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY if color_order == "bgr" else cv2.COLOR_RGB2GRAY)


class FaceDetector:
    """Find faces in video frames with MediaPipe face detection.

    model: "short" (faces within about 2 m of the camera, the interview setting) or "full"
    (up to about 5 m). min_confidence: detection score threshold in [0.0, 1.0].
    color_order: "bgr" (OpenCV frames, the default) or "rgb".
    Use as a context manager, or call close() when done.
    """

    def __init__(self, model: str = "short", min_confidence: float = 0.5, color_order: str = "bgr"):
        if model not in MODELS:
            raise ValueError(f'model is {model!r}; expected "short" or "full".')
        if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)) \
                or not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence is {min_confidence!r}; expected a number in [0.0, 1.0].")
        if color_order not in ("bgr", "rgb"):
            raise ValueError(f'color_order is {color_order!r}; expected "bgr" or "rgb".')
        self.model = model
        self.min_confidence = float(min_confidence)
        self.color_order = color_order
        mediapipe = _import_mediapipe()
        # MediaPipe's C++ side logs (XNNPACK, absl, feedback manager) at the first process(), so
        # the graph is warmed up on a blank frame while those lines are hidden (see quiet.py).
        with quiet_native():
            self._engine = mediapipe.solutions.face_detection.FaceDetection(
                model_selection=MODELS[model], min_detection_confidence=self.min_confidence)
            self._engine.process(np.zeros((64, 64, 3), np.uint8))

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Faces in one uint8 frame (H, W, 3) in `color_order`, (H, W, 4) or (H, W) gray.

        Returns FaceBoxes, largest first; an empty list when there is no face.
        """
        if self._engine is None:
            raise ValueError("this FaceDetector is closed; create a new one.")
        rgb = _to_rgb(frame, self.color_order)
        height, width = rgb.shape[:2]
        result = self._engine.process(rgb)
        faces = []
        for detection in result.detections or ():
            relative = detection.location_data.relative_bounding_box
            x0 = min(max(int(round(relative.xmin * width)), 0), width - 1)
            y0 = min(max(int(round(relative.ymin * height)), 0), height - 1)
            x1 = min(max(int(round((relative.xmin + relative.width) * width)), x0 + 1), width)
            y1 = min(max(int(round((relative.ymin + relative.height) * height)), y0 + 1), height)
            keypoints = tuple((point.x * width, point.y * height)
                              for point in detection.location_data.relative_keypoints)
            faces.append(FaceBox(x0, y0, x1 - x0, y1 - y0, float(detection.score[0]), keypoints))
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> "FaceDetector":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def select_face(faces: list[FaceBox], frame_shape: tuple[int, ...], selection: str = "largest") -> FaceBox | None:
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


def crop_face(frame: np.ndarray, box: FaceBox, size: int = FACE_SIZE, margin: float = 0.15,
              align: bool = False, color_order: str = "bgr") -> np.ndarray:
    """Square grayscale crop of a face, resized with area interpolation.

    frame: uint8 (H, W, 3) in `color_order`, (H, W, 4) or (H, W). margin: fraction of the
    box's longer side added on every side, >= 0. Where the square leaves the frame, edge
    pixels are repeated. align=True first rotates the face so the eyes are level.
    Returns a (size, size) uint8 array.
    """
    if margin < 0:
        raise ValueError(f"margin is {margin!r}; expected a fraction >= 0, such as 0.15.")
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
