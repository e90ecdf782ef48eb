"""The face engine: MediaPipe's Tasks API, the only code in the toolkit that runs MediaPipe.

`FaceDetector` finds face boxes (the bundle's BlazeFace short-range detector): they place the
CNN's crops. `FaceLandmarker` gives, per face, 478 landmarks, the 52 blendshape scores and the
4x4 facial transformation matrix (head pose). Both read the official face_landmarker.task
bundle (bundle.py), never a download. Frames are BGR uint8 by default, as OpenCV decodes them;
`_to_rgb` is the single place where they become RGB for MediaPipe.

Video files and the camera use the landmarker in VIDEO mode, which tracks the face from frame
to frame: give each frame's timestamp; the engine turns them into strictly increasing
milliseconds even where a container's timestamps repeat or jump back. `reset()` between videos
starts a fresh tracking state. Stills use IMAGE mode (tracking="image"). Close every engine
(or use it as a context manager): runtime.py closes one left open at exit, and imports MediaPipe.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

from expressiveness.config import DEFAULT_MIN_CONFIDENCE
from expressiveness.errors import FaceModelError
from expressiveness.quiet import quiet_native
from .bundle import BUNDLE_NAME, DETECTOR_MEMBER, OFFICIAL_SIZE_BYTES, FaceBundle, load_bundle
from .crops import FaceBox, _box_area, _check_frame, box_iou
from .runtime import import_mediapipe, track_engine

LANDMARK_COUNT = 478  # 468 face mesh points, then 10 iris points
BLENDSHAPE_NAMES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft",
    "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft",
    "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft",
    "jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight")  # MediaPipe's order and spelling
BLENDSHAPE_COLUMNS = tuple(f"bs_{name}" for name in BLENDSHAPE_NAMES)  # their columns in the per-frame table
# MediaPipe's LiteRT runner logs one warning per process, at one of the first frames, when a
# tensor it allocated is not 64-byte aligned ("Input tensor memory is not aligned"): the first
# 30 calls of every engine run with the native log hidden (seen after the fifth once).
QUIET_FIRST_CALLS = 30
MIN_SUBJECT_IOU = 0.3  # a landmark box and the subject's detector box overlap by ~0.6-0.8 when they are one face
# When tracking (re)finds a face, its landmarks move by a few pixels over the next frames while the
# tracker settles (a still face would show a burst of motion): that frame is run this many more times.
SETTLE_PASSES = 5
TRACKING_MODES = ("video", "image")


ALIGNMENT_BYTES = 64  # LiteRT copies (and logs a warning for) input memory not aligned to this


def _aligned_image(height: int, width: int) -> np.ndarray:
    """An uninitialised uint8 (height, width, 3) array whose data starts on ALIGNMENT_BYTES."""
    size = height * width * 3
    buffer = np.empty(size + ALIGNMENT_BYTES, np.uint8)
    offset = -buffer.ctypes.data % ALIGNMENT_BYTES
    return buffer[offset:offset + size].reshape(height, width, 3)


def _to_rgb(frame: np.ndarray, color_order: str, out: np.ndarray | None = None) -> np.ndarray:
    """The single place where frames become RGB for MediaPipe: uint8 (H, W, 3), contiguous and
    64-byte aligned (large numpy arrays start 16 bytes into a page, and MediaPipe's LiteRT runner
    then copies the frame and prints a warning on the console). out: a previous result to fill
    again when the frame has its size (an engine reuses one buffer: its calls are synchronous
    and their results hold no image)."""
    _check_frame(frame, color_order)
    fits = out is not None and out.shape == (*frame.shape[:2], 3)
    rgb = out if fits else _aligned_image(*frame.shape[:2])
    if frame.ndim == 2 or frame.shape[2] == 1:
        cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2RGB, dst=rgb)
    elif frame.shape[2] == 4:
        cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB if color_order == "bgr" else cv2.COLOR_RGBA2RGB, dst=rgb)
    elif color_order == "bgr":
        cv2.cvtColor(frame, cv2.COLOR_BGR2RGB, dst=rgb)
    else:
        rgb[:] = frame
    return rgb


def _check_unit(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} is {value!r}; expected a number in [0.0, 1.0].")
    return float(value)


def _check_color_order(color_order: str) -> str:
    if color_order not in ("bgr", "rgb"):
        raise ValueError(f'color_order is {color_order!r}; expected "bgr" or "rgb".')
    return color_order


@contextmanager
def _loading(bundle: FaceBundle):
    """MediaPipe's refusal of a user's bundle that passed load_bundle's checks (its files have
    the right names and kinds but other content: "No file with name ...", "not a valid
    Flatbuffer", a calculator's RET_CHECK) as a FaceModelError naming the file. A refusal of
    the official bundle is not the file's fault and is raised as it is."""
    try:
        yield
    except (ValueError, RuntimeError, FileNotFoundError) as error:
        if bundle.official:
            raise
        raise FaceModelError(f"{bundle.path}: MediaPipe cannot load this face model bundle (its files have the right "
                             f"names but are damaged or not the face landmarker's); expected MediaPipe's "
                             f"{BUNDLE_NAME} ({OFFICIAL_SIZE_BYTES:,} bytes).") from error


class _TaskEngine:
    """What both engines share: the MediaPipe task in `_engine`, closed with its log hidden, and
    use as a context manager. An engine serves one thread at a time (as MediaPipe's tasks do):
    it reuses one RGB buffer from frame to frame."""

    _engine = None
    _rgb: np.ndarray | None = None  # the last frame made RGB, whose buffer the next frame reuses

    def close(self) -> None:
        if self._engine is not None:
            with quiet_native():
                self._engine.close()
            self._engine = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class FaceDetector(_TaskEngine):
    """Face boxes with MediaPipe's FaceDetector (the bundle's BlazeFace short-range model: faces
    within about 2 m of the camera; the bundle has no full-range model).

    min_confidence: detection score threshold in [0.0, 1.0]. color_order: "bgr" (OpenCV
    frames, the default) or "rgb". face_model: the bundle (None: bundle.bundle_path()).
    Stateless from frame to frame (IMAGE mode): frames may come in any order.
    """

    def __init__(self, min_confidence: float = DEFAULT_MIN_CONFIDENCE, color_order: str = "bgr", face_model=None):
        self.min_confidence = _check_unit("min_confidence", min_confidence)
        self.color_order = _check_color_order(color_order)
        bundle = load_bundle(face_model)
        detector_model = bundle.member(DETECTOR_MEMBER)
        mediapipe, BaseOptions, vision = import_mediapipe()
        self._mediapipe = mediapipe
        with quiet_native(), _loading(bundle):  # XNNPACK and LiteRT log at creation and at the first frame
            self._engine = vision.FaceDetector.create_from_options(vision.FaceDetectorOptions(
                base_options=BaseOptions(model_asset_buffer=detector_model),
                running_mode=vision.RunningMode.IMAGE, min_detection_confidence=self.min_confidence))
            self._engine.detect(self._image(_to_rgb(np.zeros((64, 64, 3), np.uint8), "rgb")))
        self._quiet_calls = QUIET_FIRST_CALLS
        track_engine(self)

    def _image(self, rgb: np.ndarray):
        return self._mediapipe.Image(image_format=self._mediapipe.ImageFormat.SRGB, data=rgb)

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Faces in one uint8 frame (H, W, 3) in `color_order`, (H, W, 4) or (H, W) gray.

        Returns FaceBoxes clamped to the frame, largest first; an empty list when there is no face.
        """
        if self._engine is None:
            raise ValueError("this FaceDetector is closed; create a new one.")
        rgb = self._rgb = _to_rgb(frame, self.color_order, self._rgb)
        height, width = rgb.shape[:2]
        if self._quiet_calls:
            self._quiet_calls -= 1
            with quiet_native():
                detections = self._engine.detect(self._image(rgb)).detections
        else:
            detections = self._engine.detect(self._image(rgb)).detections
        faces = []
        for detection in detections:
            box = detection.bounding_box
            x0 = min(max(int(box.origin_x), 0), width - 1)
            y0 = min(max(int(box.origin_y), 0), height - 1)
            x1 = min(max(int(box.origin_x + box.width), x0 + 1), width)
            y1 = min(max(int(box.origin_y + box.height), y0 + 1), height)
            keypoints = tuple((point.x * width, point.y * height) for point in detection.keypoints)
            faces.append(FaceBox(x0, y0, x1 - x0, y1 - y0, float(detection.categories[0].score), keypoints))
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces


@dataclass(frozen=True)
class FaceLandmarks:
    """One face from FaceLandmarker.

    points: float32 (478, 3): x and y in pixels of the frame, z in pixels scaled like x
    (MediaPipe's relative depth times the frame width; smaller is closer to the camera); the
    first 468 are the face mesh, the last 10 the irises. blendshapes: float32 (52,) scores in
    [0, 1], BLENDSHAPE_NAMES order. transform: float64 (4, 4), the facial transformation matrix
    from MediaPipe's canonical face (cm) to camera space (x right, y up, z toward the viewer).
    """

    points: np.ndarray
    blendshapes: np.ndarray
    transform: np.ndarray

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around the landmarks, in pixels."""
        (x0, y0), (x1, y1) = self.points[:, :2].min(axis=0), self.points[:, :2].max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


class FaceLandmarker(_TaskEngine):
    """Landmarks, blendshapes and head-pose matrix per face with MediaPipe's FaceLandmarker.

    tracking: "video" (the default: faces are tracked from frame to frame; frames must come in
    time order, see detect) or "image" (every frame searched afresh, for unrelated stills).
    max_faces: faces per frame, >= 1; with 1 the tracker follows the first face it found, which
    `landmarks(subject=...)` drops when it is not the detector's interviewee.
    min_confidence: face detection, presence and tracking thresholds, in [0.0, 1.0].
    color_order: "bgr" (default) or "rgb". face_model: the bundle (None: bundle.bundle_path()).
    """

    def __init__(self, tracking: str = "video", max_faces: int = 1, min_confidence: float = 0.5,
                 color_order: str = "bgr", face_model=None):
        if tracking not in TRACKING_MODES:
            raise ValueError(f'tracking is {tracking!r}; expected "video" or "image".')
        if isinstance(max_faces, bool) or not isinstance(max_faces, int) or max_faces < 1:
            raise ValueError(f"max_faces is {max_faces!r}; expected a whole number >= 1.")
        self.tracking = tracking
        self.max_faces = max_faces
        self.min_confidence = _check_unit("min_confidence", min_confidence)
        self.color_order = _check_color_order(color_order)
        self._bundle = load_bundle(face_model)
        self._mediapipe, self._base_options, self._vision = import_mediapipe()
        self._engine = None
        self._start()
        track_engine(self)

    def _start(self) -> None:
        vision = self._vision
        mode = vision.RunningMode.VIDEO if self.tracking == "video" else vision.RunningMode.IMAGE
        with quiet_native(), _loading(self._bundle):  # XNNPACK, LiteRT and the geometry pipeline log at creation
            self._engine = vision.FaceLandmarker.create_from_options(vision.FaceLandmarkerOptions(
                base_options=self._base_options(model_asset_buffer=self._bundle.data), running_mode=mode,
                num_faces=self.max_faces, min_face_detection_confidence=self.min_confidence,
                min_face_presence_confidence=self.min_confidence, min_tracking_confidence=self.min_confidence,
                output_face_blendshapes=True, output_facial_transformation_matrixes=True))
        self._last_ms = -1
        self._faces_before = 0
        self._quiet_calls = QUIET_FIRST_CALLS
        self._quiet_until_face = True

    def reset(self) -> None:
        """A fresh tracking state: call between videos, so that a video's landmarks do not depend
        on which video this landmarker saw before. In "video" mode that is a new MediaPipe graph
        (tracking and timestamps start afresh); in "image" mode every frame is read on its own, so
        the graph is kept (making one anew would raise the process's peak memory by ~20 MB)."""
        if self._engine is None:
            raise ValueError("this FaceLandmarker is closed; create a new one.")
        if self.tracking == "video":
            self.close()
            self._start()

    def _run(self, rgb: np.ndarray, timestamp_s: float | None):
        image = self._mediapipe.Image(image_format=self._mediapipe.ImageFormat.SRGB, data=rgb)
        if self.tracking == "image":
            return self._engine.detect(image)
        # VIDEO mode needs strictly increasing whole milliseconds: a repeated or earlier
        # timestamp (variable frame rate, a broken container) moves 1 ms past the previous one.
        wanted_ms = self._last_ms + 33 if timestamp_s is None or not math.isfinite(timestamp_s) \
            else int(round(timestamp_s * 1000))
        self._last_ms = max(wanted_ms, self._last_ms + 1)
        return self._engine.detect_for_video(image, self._last_ms)

    def _quietly(self, rgb: np.ndarray, timestamp_s: float | None):
        if not (self._quiet_until_face or self._quiet_calls):
            return self._run(rgb, timestamp_s)
        with quiet_native():  # the first frames, and the first frame with a face (landmark projection), log
            result = self._run(rgb, timestamp_s)
        self._quiet_calls = max(0, self._quiet_calls - 1)
        self._quiet_until_face = self._quiet_until_face and not result.face_landmarks
        return result

    def read(self, frame: np.ndarray, timestamp_s: float | None = None) -> "LandmarkReading":
        """MediaPipe's answer for one uint8 frame (H, W, 3) in `color_order`, (H, W, 4) or (H, W)
        gray, turned into FaceLandmarks only when asked (LandmarkReading): that Python work may
        then run in another thread while this landmarker reads the next frame. timestamp_s: the
        frame's time in seconds (tracking="video"; None: 33 ms after the previous frame)."""
        if self._engine is None:
            raise ValueError("this FaceLandmarker is closed; create a new one.")
        rgb = self._rgb = _to_rgb(frame, self.color_order, self._rgb)
        result = self._quietly(rgb, timestamp_s)
        if self.tracking == "video" and len(result.face_landmarks) > self._faces_before:
            for _ in range(SETTLE_PASSES):
                result = self._run(rgb, self._last_ms / 1000 + 0.001)  # 1 ms later
        self._faces_before = len(result.face_landmarks)
        return LandmarkReading(result, rgb.shape[1], rgb.shape[0])

    def detect(self, frame: np.ndarray, timestamp_s: float | None = None) -> list[FaceLandmarks]:
        """Every face in the frame (see read), largest first; an empty list when there is none."""
        return self.read(frame, timestamp_s).faces()

    def landmarks(self, frame: np.ndarray, subject: FaceBox | None = None,
                  timestamp_s: float | None = None) -> FaceLandmarks | None:
        """The face in `frame` that is the detector's `subject` (LandmarkReading.face_of)."""
        return self.read(frame, timestamp_s).face_of(subject)


class LandmarkReading:
    """What FaceLandmarker.read found in one frame. faces() turns MediaPipe's result into
    FaceLandmarks once (the first call; the result is then dropped) and face_of() picks the
    detector's subject among them; neither touches the landmarker, so they may run in any thread."""

    def __init__(self, result, width: int, height: int):
        self._result, self._size = result, (width, height)
        self._faces: list[FaceLandmarks] | None = None

    def faces(self) -> list[FaceLandmarks]:
        """Every face, largest first; an empty list when there is none."""
        if self._faces is None:
            result, (width, height) = self._result, self._size
            scale = np.array([width, height, width], dtype="float32")
            faces = []
            for index, landmarks in enumerate(result.face_landmarks):
                points = np.array([(point.x, point.y, point.z) for point in landmarks], dtype="float32") * scale
                blendshapes = np.array([category.score for category in result.face_blendshapes[index]],
                                       dtype="float32")
                transform = np.array(result.facial_transformation_matrixes[index], dtype="float64").reshape(4, 4)
                faces.append(FaceLandmarks(points, np.clip(blendshapes, 0.0, 1.0), transform))
            faces.sort(key=lambda face: _box_area(face.box), reverse=True)
            self._faces, self._result = faces, None
        return self._faces

    def face_of(self, subject: FaceBox | None) -> FaceLandmarks | None:
        """The face that is the detector's `subject`: the one whose landmark box overlaps the
        subject's box best, None when none overlaps it by an intersection over union of at least
        MIN_SUBJECT_IOU; the largest when subject is None. None without a face."""
        faces = self.faces()
        if subject is None or not faces:
            return faces[0] if faces else None
        overlaps = [box_iou(face.box, subject.corners) for face in faces]
        best = int(np.argmax(overlaps))
        return faces[best] if overlaps[best] >= MIN_SUBJECT_IOU else None
