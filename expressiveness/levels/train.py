"""Train the CNN on the crop cache and save the model with its model card.

Setup -> prepare data (participant split) -> build model -> fit with callbacks -> save
`models/<name>.keras`, its LiteRT export `models/<name>.tflite` (what analysis runs),
`models/<name>.json` (the model card, with the sha256 of both model files) and
`models/<name>_history.csv`, each written under a temporary name and renamed.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness._io import atomic_open, atomic_write, file_sha256
from expressiveness.card import package_versions, tflite_path_for, trained_on
from expressiveness.data.demo_data import training_data_record
from expressiveness.config import FACE_SIZE, LABELS, MODELS_DIR
from expressiveness.levels.dataset import PreparedData, make_pipeline, prepare_data
from expressiveness.levels.model import DENSE_ACTIVATION_NOTE, PREPROCESSING, build_model, tflite_bytes
from expressiveness.levels.train_config import TrainConfig

__all__ = ["TrainConfig", "TrainResult", "train_model", "model_paths", "by_product_paths", "save_model_files"]

CARD_VERSION = 3  # 2: "sha256" of the .keras and .tflite files; 3: "training_data"
VERSIONED_PACKAGES = ("tensorflow", "keras", "mediapipe", "numpy", "opencv-contrib-python", "pandas",
                      "scikit-learn")
# Files that tools write beside NAME.keras from the model: retraining removes them, as they
# describe the previous weights (training writes a new history; the CLI and notebook new curves).
BY_PRODUCTS = ("_evaluation.json", "_confusion.png", "_curves.png")
REPRODUCIBILITY = ("CPU: the same seed, data, cache and package versions give the same weights (op determinism, "
                   "seeded shuffling and augmentation). GPU: not guaranteed (some cuDNN kernels have no "
                   "deterministic version; training then stops with an error naming the op).")


@dataclass
class TrainResult:
    model_path: Path
    card_path: Path
    history_path: Path
    card: dict
    seconds: float
    tflite_path: Path | None = None

    def text(self) -> str:
        history = self.card["history"]
        best = int(np.argmin(history["val_loss"]))
        test = self.card["metrics"]["test_frame"]
        return (f"Trained {len(history['loss'])} epochs in {self.seconds:.0f} s; best epoch {best + 1} "
                f"(validation loss {history['val_loss'][best]:.3f}, accuracy {history['val_accuracy'][best]:.3f}); "
                f"test frame accuracy {test['accuracy']:.3f} on {test['crops']} crops of held-out participants. "
                f"Trained on {trained_on(self.card)}. Saved {self.model_path}, {self.tflite_path} and {self.card_path}.")


def model_paths(models_dir: str | Path, name: str) -> tuple[Path, Path, Path]:
    """(model .keras, model card .json, history .csv) for a model name."""
    models_dir = Path(models_dir)
    return models_dir / f"{name}.keras", models_dir / f"{name}.json", models_dir / f"{name}_history.csv"


def by_product_paths(models_dir: str | Path, name: str) -> list[Path]:
    """The evaluation report, confusion matrix and training curves of a model name."""
    return [Path(models_dir) / f"{name}{suffix}" for suffix in BY_PRODUCTS]


def compile_model(model, learning_rate: float):
    import keras

    # XLA (jit_compile) makes this small CNN 3-4x slower on CPU (benchmarks/bench_train.py).
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    return model


def fit(data: PreparedData, config: TrainConfig, checkpoint_path: Path, verbose: int = 1):
    """Build, compile and fit the model; returns (model, history dict).

    On the CPU the result depends only on the data and `config` (with its seed): Python,
    NumPy and TensorFlow are seeded, TensorFlow's ops run deterministically (a process-wide
    setting, kept once set) and the pipeline shuffles and augments with the seed.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)  # Python, NumPy and TensorFlow
    tf.config.experimental.enable_op_determinism()
    train, validation = data.splits["train"], data.splits["validation"]
    model = compile_model(build_model((FACE_SIZE, FACE_SIZE, 1), len(LABELS), config), config.learning_rate)
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.early_stopping_patience,
                                      restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=config.reduce_lr_factor,
                                          patience=config.reduce_lr_patience, min_lr=config.min_learning_rate),
        keras.callbacks.ModelCheckpoint(str(checkpoint_path), monitor="val_loss", save_best_only=True),
    ]
    history = model.fit(
        make_pipeline(train.crops, train.labels, config.batch_size, training=True, seed=config.seed,
                      augment=config.augment, magnitudes=config.augmentation),
        validation_data=make_pipeline(validation.crops, validation.labels, config.batch_size),
        epochs=config.epochs, callbacks=callbacks, verbose=verbose, shuffle=False,  # tf.data shuffles
        class_weight=data.class_weights if config.class_weighting else None)
    return model, {key: [float(value) for value in values] for key, values in history.history.items()}


def build_card(config: TrainConfig, data: PreparedData, history: dict, test_metrics: dict,
               seconds: float, training_data: dict) -> dict:
    """The model card (without the model files' sha256, which save_model_files adds).
    training_data: card.training_data_record of the metadata the labels came from."""
    return {
        "card_version": CARD_VERSION,
        "name": config.name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "labels": list(LABELS),
        "thresholds": list(data.thresholds),
        "threshold_source": data.threshold_source,
        "input_shape": [FACE_SIZE, FACE_SIZE, 1],
        "preprocessing": PREPROCESSING,
        "crop": data.crop,
        "face_engine": _face_engine(),
        "architecture": {"builder": "expressiveness.levels.model.build_model", "dense_activation": "relu",
                         "batch_norm_momentum": config.batch_norm_momentum, "conv_dropout": config.conv_dropout,
                         "dense_dropout": config.dense_dropout, "note": DENSE_ACTIVATION_NOTE},
        "inference": "Predictor: LiteRT interpreter (one thread) over the float32 .tflite export, faces of a "
                     "frame batched",
        "augmentation": dict(config.augmentation) if config.augment else None,
        "class_weights": {LABELS[index]: weight for index, weight in data.class_weights.items()}
        if config.class_weighting else None,
        "training": {**config.record(), "optimizer": "Adam", "loss": "categorical_crossentropy",
                     "early_stopping": "val_loss, best weights restored", "reproducibility": REPRODUCIBILITY,
                     "seconds": round(seconds, 1)},
        "training_data": training_data,
        "data": {"cache_dir": str(data.cache_dir), "extraction": data.extraction, "summary": data.summary()},
        "splits": {name: {"participants": split.participants, "clips": split.clips["id"].tolist(),
                          "crops": int(len(split.labels)), "class_counts": split.class_counts()}
                   for name, split in data.splits.items()},
        "history": history,
        "metrics": test_metrics,
        "versions": package_versions(VERSIONED_PACKAGES),
    }


def train_model(metadata_path: str | Path, cache_dir: str | Path, models_dir: str | Path = MODELS_DIR,
                config: TrainConfig | None = None, overwrite: bool = False, verbose: int = 1,
                data: PreparedData | None = None) -> TrainResult:
    """Train on the cached crops of a data set and save model, card and history.

    With overwrite, an existing model of that name is replaced, and its NAME_evaluation.json,
    NAME_confusion.png and NAME_curves.png (which describe the old weights) are removed once the
    new model is saved. Raises FileExistsError if the model exists and overwrite is False
    (checked before any work), DatasetError / MetadataError for unusable data.
    """
    config = config or TrainConfig()
    model_path, card_path, history_path = model_paths(models_dir, config.name)
    if model_path.exists() and not overwrite:
        raise FileExistsError(f"{model_path} exists; pass --overwrite to replace it, or "
                              f"choose another name (--name).")
    Path(models_dir).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    training_data = training_data_record(metadata_path)  # before the labels are read from it
    data = data or prepare_data(metadata_path, cache_dir, config.thresholds, config.split_fractions,
                                config.split_seed)
    checkpoint_path = Path(models_dir) / f".{config.name}.best.keras"
    try:
        model, history = fit(data, config, checkpoint_path, verbose)
    finally:
        checkpoint_path.unlink(missing_ok=True)
    test = data.splits["test"]
    loss, accuracy = model.evaluate(make_pipeline(test.crops, test.labels, config.batch_size), verbose=0)
    metrics = {"test_frame": {"loss": float(loss), "accuracy": float(accuracy), "crops": int(len(test.labels))}}
    seconds = time.perf_counter() - started
    card = build_card(config, data, history, metrics, seconds, training_data)

    tflite_path = save_model_files(model, card, model_path, card_path)
    for stale in by_product_paths(models_dir, config.name):  # they describe the replaced weights
        stale.unlink(missing_ok=True)
    with atomic_open(history_path) as handle:
        frame = pd.DataFrame(history)
        frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
        handle.write(frame.to_csv(index=False).encode("utf-8"))
    return TrainResult(model_path, card_path, history_path, card, seconds, tflite_path)


def save_model_files(model, card: dict, model_path: Path, card_path: Path) -> Path:
    """Write NAME.keras, NAME.tflite and the card (given without hashes; they are added) so that
    no crash pairs new weights with an old card: both model files are written in full under
    temporary names, then the card with their sha256, then the two are renamed into place. A
    crash before the card leaves the old trio; after it, a loader finds the hash mismatch and
    refuses. Returns the .tflite path.
    """
    tflite_path = tflite_path_for(model_path)
    # A .keras file is a zip; Keras picks the format from the suffix, so the temporary keeps it.
    temporary_keras = model_path.with_name(f".{model_path.stem}.{os.getpid()}.tmp.keras")
    temporary_tflite = tflite_path.with_name(f".{tflite_path.name}.{os.getpid()}.tmp")
    try:
        model.save(temporary_keras)
        _sync(temporary_keras)
        temporary_tflite.write_bytes(tflite_bytes(model))
        _sync(temporary_tflite)
        card["sha256"] = {"keras": file_sha256(temporary_keras), "tflite": file_sha256(temporary_tflite)}
        atomic_write(card_path, json.dumps(card, indent=2))
        os.replace(temporary_keras, model_path)
        os.replace(temporary_tflite, tflite_path)
    finally:
        temporary_keras.unlink(missing_ok=True)
        temporary_tflite.unlink(missing_ok=True)
    return tflite_path


def _sync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _face_engine() -> dict:
    """The face engine the crops of this environment come from (face.engine_identity)."""
    from expressiveness.face import engine_identity

    return engine_identity()
