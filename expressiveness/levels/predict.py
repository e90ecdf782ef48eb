"""Predictor: 48x48 face crops -> level probabilities, fast enough for every frame of a video.

The Predictor runs the model's float32 LiteRT export (`NAME.tflite`, written by training
beside `NAME.keras`) with `ai_edge_litert`'s interpreter on one thread: about 0.5 ms per crop,
probabilities equal to the Keras model's within 1e-5, and no TensorFlow: analysis starts in
about a second and stays light. Labels, cut points and crop settings come from the model card
(`NAME.json`), whose sha256 of the .tflite must match the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from expressiveness.card import (
    ModelFileError,
    card_path_for,
    check_hash,
    check_model_file,
    read_card,
    recorded_hash,
    sha256_bytes,
    tflite_path_for,
)
from expressiveness.config import FACE_SIZE
from expressiveness.face.options import FaceOptions
from expressiveness.quiet import quiet_native

BACKENDS = ("tflite",)
CONVERT_COMMAND = "expressiveness convert"


class Predictor:
    """Classify face crops with a trained model's LiteRT export and its card.

    model_path: NAME.keras or NAME.tflite; NAME.tflite and the card NAME.json must sit beside
    it (the .keras file itself is not read). A missing card or export, or an export whose
    sha256 differs from the card's, is refused. backend: "tflite" (the only one; the parameter
    stays for callers that pass it). `labels`, `thresholds`, `crop_margin`, `crop_align` and
    `detector` (the card's crop settings: min_confidence, face_selection) come from the
    card; `sha256` is the export's.
    """

    def __init__(self, model_path: str | Path, backend: str = "tflite"):
        if backend not in BACKENDS:
            raise ValueError(f"backend is {backend!r}; expected tflite (the tf.function backend needed TensorFlow "
                             f"and was removed).")
        self.model_path = Path(model_path)
        self.tflite_path = tflite_path_for(self.model_path)
        if self.model_path.suffix not in (".keras", ".tflite"):
            raise ModelFileError(f"{self.model_path}: expected a model file ending in .keras or .tflite.")
        self.card = read_card(self.model_path)
        if recorded_hash(self.card, "tflite") is None:
            raise ModelFileError(f"{card_path_for(self.model_path)} records no LiteRT export of the model (trained "
                                 f"before .tflite files); run `{CONVERT_COMMAND} {self.model_path.with_suffix('.keras')}` "
                                 f"once (needs TensorFlow).")
        if not self.tflite_path.is_file():
            raise FileNotFoundError(f"{self.tflite_path}: model file not found; training writes it beside "
                                    f"{self.tflite_path.with_suffix('.keras').name} (restore it or retrain with "
                                    f"`expressiveness train`).")
        flat_buffer = self.tflite_path.read_bytes()
        self.sha256 = sha256_bytes(flat_buffer)
        check_hash(self.tflite_path, self.card, "tflite", self.sha256)
        self.labels = tuple(self.card["labels"])
        self.thresholds = tuple(self.card["thresholds"])
        self.name = self.card.get("name", self.model_path.stem)
        # Crops at inference are cut as the training crops were (margin, eye alignment).
        crop, trained = self.card.get("crop", {}), FaceOptions.from_card(self.card)
        self.crop_margin, self.crop_align = trained.margin, trained.align
        self.detector = {key: crop[key] for key in ("min_confidence", "face_selection") if key in crop}
        self.backend = backend
        self._interpreter = _make_interpreter(flat_buffer, self.tflite_path)
        input_details = self._interpreter.get_input_details()[0]
        output_details = self._interpreter.get_output_details()[0]
        check_model_file(self.tflite_path, self.card, input_details["shape"][1:], int(output_details["shape"][-1]))
        self._input = input_details["index"]
        self._output = output_details["index"]
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
        if self._batch != len(batch):
            self._interpreter.resize_tensor_input(self._input, batch.shape)
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


def _make_interpreter(flat_buffer: bytes, path: Path):
    from expressiveness._interrupts import interrupts_deferred

    with interrupts_deferred():  # LiteRT's start-up code could swallow a Ctrl-C
        from ai_edge_litert.interpreter import Interpreter

    # LiteRT prints "Created TensorFlow Lite XNNPACK delegate for CPU" from C++ when it builds
    # the interpreter; quiet_native hides it unless verbose.
    try:
        with quiet_native():
            interpreter = Interpreter(model_content=flat_buffer, num_threads=1)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise ModelFileError(f"{path}: cannot load the LiteRT model ({str(error).splitlines()[0][:200]}); expected "
                             f"a .tflite file written by expressiveness training.") from None
    return interpreter
