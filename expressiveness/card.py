"""The model card and the files it vouches for, without TensorFlow.

A trained model is a trio in one folder: `NAME.keras` (Keras, for training and evaluation),
`NAME.tflite` (float32 LiteRT export, for inference) and the card `NAME.json`. The card
records the sha256 of both model files under "sha256" ({"keras": ..., "tflite": ...}); a
loader that finds a file whose hash differs refuses it, so new weights never run with an
old card (or the reverse) after an interrupted save or a partial copy. Under "training_data" it
records what the model learnt from (training_data_record); `trained_on` says it in words.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata as package_metadata
from pathlib import Path

from expressiveness._io import file_sha256
from expressiveness.config import LABELS
from expressiveness.errors import ModelFileError

REQUIRED_KEYS = ("labels", "thresholds", "input_shape")
RETRAIN_HINT = "retrain with `expressiveness train` or restore the pair"
DEMO_LABELS = "the demo's synthetic labels"
NOT_RECORDED = "training data not recorded"


def card_path_for(model_path: str | Path) -> Path:
    """The model card beside a model: models/x.keras (or x.tflite) -> models/x.json."""
    return Path(model_path).with_suffix(".json")


def keras_path_for(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".keras")


def tflite_path_for(model_path: str | Path) -> Path:
    """The LiteRT export beside a model: models/x.keras -> models/x.tflite."""
    return Path(model_path).with_suffix(".tflite")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_versions(packages: tuple[str, ...]) -> dict[str, str]:
    """Python's version and each installed package's ("not installed" when absent), for a card."""
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def load_card_json(card_path: Path, hint: str):
    """A model card file's JSON value. Raises FileNotFoundError ("model card not found; " + hint)
    when there is no such file, ModelFileError when it is not JSON."""
    if not card_path.is_file():
        raise FileNotFoundError(f"{card_path}: model card not found; {hint}")
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{card_path}: the model card is not valid JSON ({error}).") from None


def read_card(model_path: str | Path) -> dict:
    """The card beside `model_path`, checked for the keys and label order inference needs.

    Raises FileNotFoundError when the card is missing, ModelFileError when it is not JSON,
    lacks labels / thresholds / input_shape, or lists other labels than this package's.
    """
    card_path = card_path_for(model_path)
    card = load_card_json(card_path, "every model needs the .json card that training writes beside it (labels, "
                                     "cut points, input size, crop settings).")
    if not isinstance(card, dict):
        raise ModelFileError(f"{card_path}: the model card is a JSON {type(card).__name__}; expected an object "
                             f"written by expressiveness training.")
    missing = [key for key in REQUIRED_KEYS if key not in card]
    if missing:
        raise ModelFileError(f"{card_path}: the model card lacks {', '.join(missing)}; expected a card written "
                             f"by expressiveness training.")
    return card


def check_labels(card: dict, outputs: int, model_path: Path) -> None:
    if outputs != len(card["labels"]) or list(card["labels"]) != list(LABELS):
        raise ModelFileError(f"{model_path}: the model has {outputs} outputs and its card lists labels "
                             f"{card['labels']}; expected {len(LABELS)} outputs in the order {list(LABELS)}.")


def check_input_shape(card: dict, input_shape, model_path: Path) -> None:
    if list(input_shape) != list(card["input_shape"]):
        raise ModelFileError(f"{model_path}: the model takes input {tuple(input_shape)} but its card "
                             f"{card_path_for(model_path).name} says {tuple(card['input_shape'])}; expected them "
                             f"to match.")


def recorded_hash(card: dict, kind: str) -> str | None:
    """The sha256 the card records for "keras" or "tflite", or None (cards before hashes)."""
    hashes = card.get("sha256")
    return hashes.get(kind) if isinstance(hashes, dict) else None


def check_hash(path: Path, card: dict, kind: str, actual: str | None = None) -> None:
    """Refuse `path` when the card records a sha256 for `kind` and the file's differs."""
    expected = recorded_hash(card, kind)
    if expected is None:
        return
    actual = actual or file_sha256(path)
    if actual != expected:
        raise ModelFileError(f"{path} does not match its model card {card_path_for(path)} (sha256 {actual[:12]}, "
                             f"card {expected[:12]}); {RETRAIN_HINT}.")


def trained_on(card: dict) -> str:
    """What a model learnt from, in words for reports and the console: DEMO_LABELS ("the demo's
    synthetic labels"), "the facial_expression ratings in PATH (sha256 0123456789ab)", or
    NOT_RECORDED for a card from before training recorded it."""
    record = card.get("training_data")
    if not isinstance(record, dict) or "metadata" not in record:
        return NOT_RECORDED
    if record.get("demo"):
        return DEMO_LABELS
    return f"the facial_expression ratings in {record['metadata']} (sha256 {str(record.get('metadata_sha256'))[:12]})"
