"""The CNN of the original design: three convolution blocks and a dense head.

Input: uint8 (or float) grayscale crops of shape (48, 48, 1) with values in [0, 255]; the
model's first layer scales them to [0, 1], so training and inference cannot disagree on it.
Output: softmax probabilities over the classes, in LABELS order.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
from keras import layers

from .config import FACE_SIZE, LABELS
from .errors import ModelFileError

PREPROCESSING = ("grayscale uint8 crops in [0, 255], shape (48, 48, 1); the model's first layer, "
                 "Rescaling(1/255), scales them to [0, 1]")
DENSE_ACTIVATION_NOTE = ("The original design lists no activation after the dense layer's batch "
                         "normalization; this model uses ReLU there.")
BATCH_NORM_MOMENTUM = 0.9


def build_model(input_shape: tuple[int, int, int] = (FACE_SIZE, FACE_SIZE, 1),
                num_classes: int = len(LABELS)) -> keras.Sequential:
    """Three blocks of Conv2D (32, 64, 128 filters, 3x3, same padding) -> BatchNormalization
    -> ReLU -> MaxPool 2x2 -> Dropout 0.25; then Flatten -> Dense 256 -> BatchNormalization
    -> ReLU (the original names no activation here) -> Dropout 0.5 -> Dense num_classes ->
    softmax. 1,275,267 parameters for (48, 48, 1) and 3 classes. Not compiled.

    BatchNormalization uses momentum 0.9 instead of Keras' 0.99: its moving statistics, used
    at inference, then settle within about 50 training steps. With 0.99 a short run or a small
    data set leaves them far from the batch statistics, and the saved model predicts one class.
    """
    model = keras.Sequential(name="expressiveness_cnn")
    model.add(keras.Input(shape=input_shape, name="crop"))
    model.add(layers.Rescaling(1.0 / 255, name="scale_to_unit"))
    for block, filters in enumerate((32, 64, 128), start=1):
        model.add(layers.Conv2D(filters, 3, padding="same", name=f"conv{block}"))
        model.add(layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"bn{block}"))
        model.add(layers.Activation("relu", name=f"relu{block}"))
        model.add(layers.MaxPooling2D(2, name=f"pool{block}"))
        model.add(layers.Dropout(0.25, name=f"dropout{block}"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(256, name="dense"))
    model.add(layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name="bn_dense"))
    model.add(layers.Activation("relu", name="relu_dense"))
    model.add(layers.Dropout(0.5, name="dropout_dense"))
    model.add(layers.Dense(num_classes, activation="softmax", name="probabilities"))
    return model


def card_path_for(model_path: str | Path) -> Path:
    """The model card beside a model: models/x.keras -> models/x.json."""
    return Path(model_path).with_suffix(".json")


def load_model(model_path: str | Path) -> tuple["keras.Model", dict]:
    """Load a .keras model in safe mode with its model card, and check that they match.

    Raises FileNotFoundError when the model or its card is missing, ModelFileError when
    either is corrupt or when the card's input size or label order does not fit the model.
    """
    model_path = Path(model_path)
    card_path = card_path_for(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"{model_path}: model file not found; train one with `expressiveness train` "
                                f"or run the training notebook.")
    if model_path.suffix != ".keras":
        raise ModelFileError(f"{model_path}: expected a Keras 3 model file ending in .keras.")
    if not card_path.is_file():
        raise FileNotFoundError(f"{card_path}: model card not found; every model needs the .json card that "
                                f"training writes beside it (labels, cut points, input size).")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{card_path}: the model card is not valid JSON ({error}).") from None
    missing = [key for key in ("labels", "thresholds", "input_shape") if key not in card]
    if missing:
        raise ModelFileError(f"{card_path}: the model card lacks {', '.join(missing)}; expected a card written "
                             f"by expressiveness training.")
    try:
        model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged zip or config
        raise ModelFileError(f"{model_path}: cannot load the model ({type(error).__name__}: "
                             f"{str(error).splitlines()[0][:200] if str(error) else 'no detail'}); expected a "
                             f".keras file saved by expressiveness training.") from None
    input_shape = list(model.input_shape[1:])
    outputs = model.output_shape[-1]
    if input_shape != list(card["input_shape"]):
        raise ModelFileError(f"{model_path}: the model takes input {tuple(input_shape)} but its card "
                             f"{card_path.name} says {tuple(card['input_shape'])}; expected them to match.")
    if outputs != len(card["labels"]) or list(card["labels"]) != list(LABELS):
        raise ModelFileError(f"{model_path}: the model has {outputs} outputs and its card lists labels "
                             f"{card['labels']}; expected {len(LABELS)} outputs in the order {list(LABELS)}.")
    return model, card
