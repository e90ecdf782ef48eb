"""The CNN of the original design: three convolution blocks and a dense head.

Input: uint8 (or float) grayscale crops of shape (48, 48, 1) with values in [0, 255]; the
model's first layer scales them to [0, 1], so training and inference cannot disagree on it.
Output: softmax probabilities over the classes, in LABELS order.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from expressiveness._io import atomic_write, file_sha256
from expressiveness.levels._optional import import_training_stack
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
from expressiveness.config import FACE_SIZE, LABELS
from expressiveness.quiet import quiet_native
from expressiveness.levels.train_config import TrainConfig

tf, keras = import_training_stack(__name__)
layers = keras.layers

__all__ = ["build_model", "load_model", "export_tflite", "tflite_bytes", "ModelFileError", "card_path_for",
           "tflite_path_for", "PREPROCESSING", "DENSE_ACTIVATION_NOTE"]

PREPROCESSING = ("grayscale uint8 crops in [0, 255], shape (48, 48, 1); the model's first layer, "
                 "Rescaling(1/255), scales them to [0, 1]")
DENSE_ACTIVATION_NOTE = ("The original design lists no activation after the dense layer's batch "
                         "normalization; this model uses ReLU there.")


def build_model(input_shape: tuple[int, int, int] = (FACE_SIZE, FACE_SIZE, 1),
                num_classes: int = len(LABELS), config: TrainConfig | None = None) -> keras.Sequential:
    """Three blocks of Conv2D (32, 64, 128 filters, 3x3, same padding) -> BatchNormalization
    -> ReLU -> MaxPool 2x2 -> Dropout; then Flatten -> Dense 256 -> BatchNormalization -> ReLU
    (the original names no activation here) -> Dropout -> Dense num_classes -> softmax.
    1,275,267 parameters for (48, 48, 1) and 3 classes. Not compiled.

    The dropout rates (conv_dropout 0.25, dense_dropout 0.5) and the batch-normalization
    momentum come from `config` (TrainConfig defaults when None). Momentum is 0.9 instead of
    Keras' 0.99: the moving statistics, used at inference, then settle within about 50 training
    steps. With 0.99 a short run or a small data set leaves them far from the batch statistics,
    and the saved model predicts one class.
    """
    config = config or TrainConfig()
    momentum = config.batch_norm_momentum
    model = keras.Sequential(name="expressiveness_cnn")
    model.add(keras.Input(shape=input_shape, name="crop"))
    model.add(layers.Rescaling(1.0 / 255, name="scale_to_unit"))
    for block, filters in enumerate((32, 64, 128), start=1):
        model.add(layers.Conv2D(filters, 3, padding="same", name=f"conv{block}"))
        model.add(layers.BatchNormalization(momentum=momentum, name=f"bn{block}"))
        model.add(layers.Activation("relu", name=f"relu{block}"))
        model.add(layers.MaxPooling2D(2, name=f"pool{block}"))
        model.add(layers.Dropout(config.conv_dropout, name=f"dropout{block}"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(256, name="dense"))
    model.add(layers.BatchNormalization(momentum=momentum, name="bn_dense"))
    model.add(layers.Activation("relu", name="relu_dense"))
    model.add(layers.Dropout(config.dense_dropout, name="dropout_dense"))
    model.add(layers.Dense(num_classes, activation="softmax", name="probabilities"))
    return model


def load_model(model_path: str | Path) -> tuple["keras.Model", dict]:
    """Load a .keras model in safe mode with its model card, and check that they match.

    Raises FileNotFoundError when the model or its card is missing, ModelFileError when
    either is corrupt, when the card's input size or label order does not fit the model, or
    when the card records a sha256 for the .keras file and the file's differs.
    """
    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"{model_path}: model file not found; train one with `expressiveness train` "
                                f"or run the training notebook.")
    if model_path.suffix != ".keras":
        raise ModelFileError(f"{model_path}: expected a Keras 3 model file ending in .keras.")
    card = read_card(model_path)
    check_hash(model_path, card, "keras")
    try:
        model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged zip or config
        raise ModelFileError(f"{model_path}: cannot load the model ({type(error).__name__}: "
                             f"{str(error).splitlines()[0][:200] if str(error) else 'no detail'}); expected a "
                             f".keras file saved by expressiveness training.") from None
    check_model_file(model_path, card, model.input_shape[1:], model.output_shape[-1])
    return model, card


def tflite_bytes(model: "keras.Model") -> bytes:
    """The float32 LiteRT (TensorFlow Lite) flatbuffer of a Keras model, batch size left free.

    No quantization: the export's probabilities equal the Keras model's within about 1e-6.
    """
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    # The converter prints the traced signature on stdout and MLIR/SavedModel lines on fd 2.
    with quiet_native(), contextlib.redirect_stdout(io.StringIO()):
        return converter.convert()


def export_tflite(model_path: str | Path, overwrite: bool = False) -> Path:
    """Write NAME.tflite beside an older NAME.keras whose card records no LiteRT export, and
    record the sha256 of both files in the card (each written atomically; the card last).

    Needs TensorFlow. Returns the .tflite path. Raises FileExistsError when the card already
    records a .tflite and overwrite is False, and what load_model raises for a bad model.
    """
    model_path = Path(model_path)
    model, card = load_model(model_path)
    tflite_path, card_path = tflite_path_for(model_path), card_path_for(model_path)
    if recorded_hash(card, "tflite") and not overwrite:
        raise FileExistsError(f"{card_path} already records {tflite_path.name}; nothing to convert (pass "
                              f"--overwrite to export it again).")
    flat_buffer = tflite_bytes(model)
    atomic_write(tflite_path, flat_buffer)
    card["sha256"] = {"keras": file_sha256(model_path), "tflite": sha256_bytes(flat_buffer)}
    atomic_write(card_path, json.dumps(card, indent=2))
    return tflite_path
