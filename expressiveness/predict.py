"""Predictor: 48x48 face crops -> level probabilities, fast enough for every frame of a video.

Keras' `model.predict()` costs about 40-70 ms per call here, mostly overhead. The Predictor
instead converts the loaded model once to TensorFlow Lite (about 1 s; 0.55 ms per crop, one
thread) or wraps it in a `tf.function` with a fixed input signature (1.6 ms per call, 0.45 ms
per crop in a batch of 8). Both give the Keras model's probabilities to within 1e-6.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np

from .config import FACE_SIZE
from .faces import FaceBox
from .model import load_model

BACKENDS = ("tflite", "tf.function")


class Predictor:
    """Classify face crops with a trained model and its card.

    model_path: a .keras file with its .json card beside it (loaded in safe mode; a missing or
    mismatching card is refused). backend: "tflite" (default, fastest per frame) or
    "tf.function". `labels`, `thresholds`, `crop_margin` and `crop_align` come from the card.
    """

    def __init__(self, model_path: str | Path, backend: str = "tflite"):
        if backend not in BACKENDS:
            raise ValueError(f"backend is {backend!r}; expected one of {', '.join(BACKENDS)}.")
        import tensorflow as tf

        self.model_path = Path(model_path)
        self.model, self.card = load_model(model_path)
        self.labels = tuple(self.card["labels"])
        self.thresholds = tuple(self.card["thresholds"])
        self.name = self.card.get("name", self.model_path.stem)
        # Crops at inference are cut as the training crops were (margin, eye alignment).
        crop = self.card.get("crop", {})
        self.crop_margin = float(crop.get("margin", 0.15))
        self.crop_align = bool(crop.get("align", False))
        self.backend = backend
        signature = [tf.TensorSpec([None, FACE_SIZE, FACE_SIZE, 1], tf.float32)]
        self._function = tf.function(lambda crops: self.model(crops, training=False), input_signature=signature)
        self._interpreter = None
        if backend == "tflite":
            converter = tf.lite.TFLiteConverter.from_keras_model(self.model)
            with contextlib.redirect_stdout(io.StringIO()):  # the converter prints the exported signature
                flat_buffer = converter.convert()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tf.lite.Interpreter warns that LiteRT will replace it
                self._interpreter = tf.lite.Interpreter(model_content=flat_buffer, num_threads=1)
            self._input = self._interpreter.get_input_details()[0]["index"]
            self._output = self._interpreter.get_output_details()[0]["index"]
            self._batch = None

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities (N, 3) float32, in `labels` order, of uint8 crops (N, 48, 48) or
        (N, 48, 48, 1) with values in [0, 255] (grayscale, as crop_face makes them)."""
        crops = np.asarray(crops)
        if len(crops) == 0:  # e.g. a list comprehension over a frame without faces
            return np.zeros((0, len(self.labels)), dtype="float32")
        given_shape = crops.shape
        if crops.ndim == 3:
            crops = crops[..., np.newaxis]
        if crops.ndim != 4 or crops.shape[1:] != (FACE_SIZE, FACE_SIZE, 1):
            raise ValueError(f"crops have shape {given_shape}; expected (N, {FACE_SIZE}, {FACE_SIZE}) or "
                             f"(N, {FACE_SIZE}, {FACE_SIZE}, 1) grayscale.")
        batch = np.ascontiguousarray(crops, dtype="float32")
        if self._interpreter is None:
            return self._function(batch).numpy()
        if self._batch != len(batch):
            self._interpreter.resize_tensor_input(self._input, batch.shape)
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


def _iou(first: FaceBox, second: FaceBox) -> float:
    x0, y0 = max(first.x, second.x), max(first.y, second.y)
    x1 = min(first.x + first.width, second.x + second.width)
    y1 = min(first.y + first.height, second.y + second.height)
    overlap = max(0, x1 - x0) * max(0, y1 - y0)
    return overlap / float(first.area + second.area - overlap) if overlap else 0.0


class TemporalSmoother:
    """Exponential moving average of probabilities per tracked face.

    alpha in (0, 1]: weight of the newest frame (1 = no smoothing). A face continues a track
    when its box overlaps the track's last box (IoU >= min_iou); unmatched tracks are dropped.
    """

    def __init__(self, alpha: float = 0.4, min_iou: float = 0.3):
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha is {alpha!r}; expected a number in (0, 1].")
        self.alpha = alpha
        self.min_iou = min_iou
        self._tracks: list[tuple[FaceBox, np.ndarray]] = []

    def update(self, faces: list[FaceBox], probabilities: np.ndarray) -> np.ndarray:
        """Smoothed probabilities (N, 3) for this frame's faces, in the same order."""
        smoothed = np.array(probabilities, dtype="float32", copy=True)
        free = list(range(len(self._tracks)))
        tracks = []
        for index, face in enumerate(faces):
            best = max(free, key=lambda track: _iou(face, self._tracks[track][0]), default=None)
            if best is not None and _iou(face, self._tracks[best][0]) >= self.min_iou:
                free.remove(best)
                smoothed[index] = self.alpha * smoothed[index] + (1 - self.alpha) * self._tracks[best][1]
            tracks.append((face, smoothed[index]))
        self._tracks = tracks
        return smoothed

    def reset(self) -> None:
        self._tracks = []
