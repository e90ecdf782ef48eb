"""The model card and the files it vouches for, without TensorFlow.

A trained model is a trio in one folder: `NAME.keras` (Keras, for training and evaluation),
`NAME.tflite` (float32 LiteRT export, for inference) and the card `NAME.json`. The card
records the sha256 of both model files under "sha256" ({"keras": ..., "tflite": ...}); a
loader that finds a file whose hash differs refuses it, so new weights never run with an
old card (or the reverse) after an interrupted save or a partial copy. Under "training_data" it
records what the model learnt from (training_data_record); `trained_on` says it in words.

A measures model (measures/model.py) has a card of its own kind ("kind": "measures") beside its
NAME.linear.json or NAME.skops. `ModelCard.read(path)` reads either kind from any of its files
and knows which it is; `check_model_file` is the one set of checks every loader of a CNN file
(Keras or LiteRT) makes against the card.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata as package_metadata
from dataclasses import dataclass
from pathlib import Path

from expressiveness._io import file_sha256
from expressiveness.config import LABELS
from expressiveness.errors import DatasetError, ModelFileError

REQUIRED_KEYS = ("labels", "thresholds", "input_shape")
RETRAIN_HINT = "retrain with `expressiveness train` or restore the pair"
MEASURES_RETRAIN_HINT = "retrain with `expressiveness train --kind measures` or restore the pair"
DEMO_LABELS = "the demo's synthetic labels"
NOT_RECORDED = "training data not recorded"
CNN, MEASURES = "cnn", "measures"  # the kinds of model a card describes ("kind" in a measures model's card)
MEASURES_REQUIRED_KEYS = ("name", "estimator", "features", "thresholds", "files", "sha256")


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


def measures_card_path(path: str | Path) -> Path:
    """The card of a measures model given its card, NAME.linear.json or NAME.skops."""
    path = Path(path)
    if path.name.endswith(".linear.json"):
        return path.with_name(path.name[:-len(".linear.json")] + ".json")
    return card_path_for(path) if path.suffix != ".json" else path


@dataclass(frozen=True)
class ModelCard:
    """A model's card, read and checked once: `kind` (CNN or MEASURES), `path` (the card file),
    `model_path` (the file the user named: NAME.keras or NAME.tflite for a CNN; the card for a
    measures model) and `data` (the card's JSON object)."""

    kind: str
    path: Path
    model_path: Path
    data: dict

    @classmethod
    def read(cls, path: str | Path, model_must_exist: bool = False, kind: str | None = None) -> "ModelCard":
        """The card of the model at `path`: a CNN's NAME.keras, NAME.tflite or NAME.json, or a
        measures model's card, NAME.linear.json or NAME.skops. A CNN's card is checked for the keys
        inference needs (labels, thresholds, input_shape) and this package's label order is
        checked by the loaders (check_model_file); a measures model's card for its keys. Raises FileNotFoundError
        for a missing card (or, with model_must_exist, a missing CNN file), ModelFileError for a
        card that is not a model card, and for a file that is neither kind of model. kind: the
        kind expected (a card of another kind is then refused), or None to tell from the file."""
        path = Path(path)
        if kind == MEASURES or path.name.endswith(".linear.json") or path.suffix == ".skops":
            return cls._measures(measures_card_path(path))
        if path.suffix == ".json":
            data = load_card_json(path, "every model needs the .json card that training writes beside it.")
            if isinstance(data, dict) and data.get("kind") == MEASURES:
                return cls._measures(path)
            path = keras_path_for(path)
        elif path.suffix not in (".keras", ".tflite"):
            raise ModelFileError(f"{path}: expected a CNN (.keras or .tflite) or a measures model (.json card, "
                                 f".linear.json or .skops).")
        if model_must_exist and not path.is_file():
            raise FileNotFoundError(f"{path}: model file not found; train one with `expressiveness train` "
                                    f"or `make demo`, or pass --model PATH.")
        card_path = card_path_for(path)
        data = load_card_json(card_path, "every model needs the .json card that training writes beside it (labels, "
                                         "cut points, input size, crop settings).")
        _check_keys(card_path, data, REQUIRED_KEYS, "expected a card written by expressiveness training")
        if data.get("kind", CNN) != CNN:
            raise ModelFileError(f"{card_path}: a model card of kind {data.get('kind')!r}; expected a CNN's card.")
        return cls(CNN, card_path, path, data)

    @classmethod
    def _measures(cls, card_path: Path) -> "ModelCard":
        data = load_card_json(card_path, "train a measures model with `expressiveness train --kind measures`.")
        if not isinstance(data, dict) or data.get("kind") != MEASURES:
            raise ModelFileError(f"{card_path}: not the card of a measures model (kind "
                                 f"{data.get('kind') if isinstance(data, dict) else None!r}); expected one written "
                                 f"by `expressiveness train --kind measures`.")
        _check_keys(card_path, data, MEASURES_REQUIRED_KEYS, MEASURES_RETRAIN_HINT)
        return cls(MEASURES, card_path, card_path, data)

    @property
    def name(self) -> str:
        return self.data.get("name", self.model_path.name.split(".")[0])

    @property
    def thresholds(self) -> tuple[float, float]:
        return tuple(float(value) for value in self.data["thresholds"])

    @property
    def crop(self) -> dict:
        """The crop settings the CNN was trained with (margin, align, detector); {} when not recorded."""
        return dict(self.data.get("crop") or {})

    @property
    def training_data(self) -> str:
        """What the model learnt from, in words (trained_on)."""
        return trained_on(self.data)

    def split(self, part: str) -> list[str]:
        """The participants (user_no) of a part of the split the model was trained on. Raises
        DatasetError for a card without that part."""
        try:
            return [str(person) for person in self.data["splits"][part]["participants"]]
        except (KeyError, TypeError):
            raise DatasetError(f"{self.path}: the model card has no {part} split; expected a card written by "
                               f"`expressiveness train`.") from None


def _check_keys(card_path: Path, data, required: tuple[str, ...], hint: str) -> None:
    if not isinstance(data, dict):
        raise ModelFileError(f"{card_path}: the model card is a JSON {type(data).__name__}; expected an object "
                             f"written by expressiveness training.")
    missing = [key for key in required if key not in data]
    if missing:
        raise ModelFileError(f"{card_path}: the model card lacks {', '.join(missing)}; {hint}.")


def read_card(model_path: str | Path, model_must_exist: bool = False) -> dict:
    """The JSON of the CNN card beside `model_path` (ModelCard.read(model_path).data, for a CNN).

    Raises FileNotFoundError when the card is missing (or, with model_must_exist, the model
    file), ModelFileError when it is not JSON, lacks labels / thresholds / input_shape, or
    belongs to a measures model.
    """
    card = ModelCard.read(model_path, model_must_exist)
    if card.kind != CNN:
        raise ModelFileError(f"{model_path}: the card of a measures model; expected a CNN (.keras or .tflite) here.")
    return card.data


def check_model_file(path: Path, card: dict, input_shape, outputs: int) -> None:
    """What every loader of a CNN file (Keras or LiteRT) checks against its card once the file is
    open: its input shape, and its outputs in this package's label order. (Its sha256 is checked
    before it is opened: check_hash.)"""
    check_input_shape(card, input_shape, path)
    check_labels(card, outputs, path)


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
