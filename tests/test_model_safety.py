"""Saved models: what is reloaded is the model that was trained, and safe mode refuses a model
that would run arbitrary code (a Lambda layer)."""

import json

import keras
import numpy as np
import pytest

from expressiveness.config import LABELS, THRESHOLDS
from expressiveness.levels.model import ModelFileError, load_model


def test_reloaded_model_predicts_what_the_trained_model_predicted(trained_model, trained_model_in_memory,
                                                                  separable_data):
    # conftest's training kept the predictions of the model fit() returned, before it was saved.
    from expressiveness.levels.dataset import prepare_data

    crops, in_memory = trained_model_in_memory
    metadata, cache = separable_data
    test = prepare_data(metadata, cache).splits["test"]
    np.testing.assert_array_equal(crops[: len(test.labels)], test.crops.astype("float32"))
    assert len(crops) == len(test.labels) + 8  # and 8 noise crops
    # The comparison means something: the trained model tells the three levels apart.
    assert set(in_memory[: len(test.labels)].argmax(axis=1)) == {0, 1, 2}

    reloaded, card = load_model(trained_model.model_path)
    np.testing.assert_allclose(reloaded.predict(crops, verbose=0), in_memory, rtol=0, atol=1e-6)
    # The card's test metrics were measured on that model, too.
    probabilities = np.clip(in_memory[: len(test.labels)].astype("float64"), 1e-7, 1 - 1e-7)
    loss = -np.mean(np.log(probabilities[np.arange(len(test.labels)), test.labels]))
    assert card["metrics"]["test_frame"]["loss"] == pytest.approx(loss, rel=1e-4)
    accuracy = float(np.mean(in_memory[: len(test.labels)].argmax(axis=1) == test.labels))
    assert card["metrics"]["test_frame"]["accuracy"] == pytest.approx(accuracy, abs=1e-6)


def _write_card(model_path):
    from expressiveness.card import file_sha256

    card = {"labels": list(LABELS), "thresholds": list(THRESHOLDS), "input_shape": [48, 48, 1],
            "sha256": {"keras": file_sha256(model_path)}}
    model_path.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")


def test_safe_mode_refuses_a_model_with_a_lambda_layer(tmp_path):
    inputs = keras.Input((48, 48, 1))
    scaled = keras.layers.Lambda(lambda crops: crops / 255.0, name="scale")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(scaled))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    _write_card(path)
    # The file itself is sound: Keras loads it when safe mode is off.
    assert keras.saving.load_model(path, safe_mode=False).output_shape == (None, 3)

    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: cannot load the model (ValueError: ")
    assert "Lambda" in message and "safe_mode" in message
    assert message.endswith("; expected a .keras file saved by expressiveness training.")


def test_a_model_without_a_lambda_layer_and_the_same_card_loads(tmp_path):
    # Guards the test above: the card written there is one that load_model accepts.
    from expressiveness.levels.model import build_model

    path = tmp_path / "plain.keras"
    build_model().save(path)
    _write_card(path)
    model, card = load_model(path)
    assert model.output_shape == (None, 3) and card["labels"] == list(LABELS)
