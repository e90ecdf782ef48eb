import json

import numpy as np
import pandas as pd
import pytest

from expressiveness.model import load_model
from expressiveness.train import TrainConfig, train_model

CARD_FIELDS = {"card_version", "name", "created", "labels", "thresholds", "threshold_source", "input_shape",
               "preprocessing", "architecture", "inference", "augmentation", "class_weights", "training", "data",
               "splits", "history", "metrics", "versions", "crop"}


def test_a_short_real_training_run_learns_separable_crops(trained_model, separable_data):
    card = trained_model.card
    assert card["metrics"]["test_frame"]["accuracy"] >= 0.9, card["history"]
    model, _ = load_model(trained_model.model_path)
    from expressiveness.dataset import prepare_data

    test = prepare_data(*separable_data).splits["test"]
    predicted = model.predict(test.crops.astype("float32"), verbose=0).argmax(axis=1)
    assert (predicted == test.labels).mean() == pytest.approx(card["metrics"]["test_frame"]["accuracy"])


def test_model_card_has_every_field(trained_model):
    card = json.loads(trained_model.card_path.read_text())
    assert set(card) == CARD_FIELDS
    assert card["input_shape"] == [48, 48, 1] and card["thresholds"] == [-0.303, 0.294]
    assert "Rescaling(1/255)" in card["preprocessing"]
    # The hand-made cache has no settings.json: the extraction defaults are recorded.
    assert card["crop"] == {"margin": 0.15, "align": False, "size": 48, "model": "short", "min_confidence": 0.5,
                            "face_selection": "largest"}
    assert card["architecture"]["dense_activation"] == "relu"
    assert card["training"]["learning_rate"] == 0.001 and card["training"]["batch_size"] == 32
    assert card["training"]["optimizer"] == "Adam"
    assert {"tensorflow", "keras", "mediapipe", "numpy"} <= set(card["versions"])
    assert len(card["history"]["loss"]) == len(card["history"]["val_loss"]) >= 1
    splits = card["splits"]
    people = [set(splits[name]["participants"]) for name in ("train", "validation", "test")]
    assert not (people[0] & people[1] or people[0] & people[2] or people[1] & people[2])
    history = pd.read_csv(trained_model.history_path)
    assert list(history["epoch"]) == list(range(1, len(card["history"]["loss"]) + 1))
    assert not list(trained_model.model_path.parent.glob(".*"))  # no temporary or checkpoint file left


def test_existing_model_is_not_overwritten(trained_model, separable_data):
    metadata, cache = separable_data
    before = trained_model.model_path.read_bytes()
    with pytest.raises(FileExistsError) as caught:
        train_model(metadata, cache, trained_model.model_path.parent, TrainConfig(name="tiny", epochs=1), verbose=0)
    assert str(caught.value) == (f"{trained_model.model_path} exists; pass --overwrite to replace "
                                 f"it, or choose another name (--name).")
    assert trained_model.model_path.read_bytes() == before


def test_same_seed_reproduces_split_and_metrics(separable_data, tmp_path):
    metadata, cache = separable_data
    config = TrainConfig(name="again", epochs=2, augment=False)
    first = train_model(metadata, cache, tmp_path / "a", config, verbose=0).card
    second = train_model(metadata, cache, tmp_path / "b", config, verbose=0).card
    assert first["splits"] == second["splits"]
    np.testing.assert_allclose(first["history"]["loss"], second["history"]["loss"], rtol=1e-3)


@pytest.mark.parametrize("field, value, message", [
    ("epochs", 0, "epochs is 0; expected a whole number >= 1."),
    ("learning_rate", -1.0, "learning_rate is -1.0; expected a positive number such as 0.001."),
    ("name", "../x", "name is '../x'; expected a plain file name such as 'expressiveness_cnn'."),
])
def test_bad_configuration(field, value, message):
    with pytest.raises(ValueError) as caught:
        TrainConfig(**{field: value})
    assert str(caught.value) == message
