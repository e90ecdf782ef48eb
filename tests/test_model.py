import json
import shutil

import keras
import numpy as np
import pytest

from isolated import run_python

from expressiveness.card import file_sha256
from expressiveness.levels.model import ModelFileError, build_model, export_tflite, load_model


def write_card_without_hashes(trained_model, path):
    """The trained model's card as cards were before they recorded file hashes."""
    card = json.loads(trained_model.card_path.read_text())
    del card["sha256"]
    path.write_text(json.dumps(card))
    return card


def test_architecture_is_pinned():
    model = build_model()
    assert [(type(layer).__name__, getattr(layer, "filters", None) or getattr(layer, "units", None))
            for layer in model.layers] == [
        ("Rescaling", None),
        ("Conv2D", 32), ("BatchNormalization", None), ("Activation", None), ("MaxPooling2D", None), ("Dropout", None),
        ("Conv2D", 64), ("BatchNormalization", None), ("Activation", None), ("MaxPooling2D", None), ("Dropout", None),
        ("Conv2D", 128), ("BatchNormalization", None), ("Activation", None), ("MaxPooling2D", None), ("Dropout", None),
        ("Flatten", None), ("Dense", 256), ("BatchNormalization", None), ("Activation", None), ("Dropout", None),
        ("Dense", 3)]
    assert model.count_params() == 1_275_267
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.25] * 3 + [0.5]
    assert all(layer.padding == "same" and layer.kernel_size == (3, 3)
               for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.output_shape == (None, 3)


def test_dropout_and_batch_norm_come_from_the_training_configuration():
    from expressiveness.levels.train_config import TrainConfig

    model = build_model(config=TrainConfig(conv_dropout=0.1, dense_dropout=0.3, batch_norm_momentum=0.8))
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.1] * 3 + [0.3]
    assert {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)} == {0.8}
    assert {layer.momentum for layer in build_model().layers
            if isinstance(layer, keras.layers.BatchNormalization)} == {0.9}


def test_load_model_errors(trained_model, tmp_path):
    missing = tmp_path / "none.keras"
    with pytest.raises(FileNotFoundError) as caught:
        load_model(missing)
    assert str(caught.value) == (f"{missing}: model file not found; train one with `expressiveness train` or run "
                                 f"the training notebook.")

    no_card = tmp_path / "lonely.keras"
    shutil.copy(trained_model.model_path, no_card)
    with pytest.raises(FileNotFoundError, match=r"lonely.json: model card not found"):
        load_model(no_card)

    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip" * 10)
    write_card_without_hashes(trained_model, tmp_path / "corrupt.json")  # else the hash check refuses first
    with pytest.raises(ModelFileError, match=rf"^{corrupt}: cannot load the model \(.*\); expected a .keras file "
                                             rf"saved by expressiveness training.$"):
        load_model(corrupt)


def test_card_that_does_not_match_the_model(trained_model, tmp_path):
    wrong_shape = tmp_path / "wide.keras"
    build_model((64, 64, 1)).save(wrong_shape)
    write_card_without_hashes(trained_model, tmp_path / "wide.json")
    with pytest.raises(ModelFileError) as caught:
        load_model(wrong_shape)
    assert str(caught.value) == (f"{wrong_shape}: the model takes input (64, 64, 1) but its card wide.json says "
                                 f"(48, 48, 1); expected them to match.")

    relabelled = tmp_path / "relabelled.keras"
    shutil.copy(trained_model.model_path, relabelled)
    card = json.loads(trained_model.card_path.read_text())
    card["labels"] = card["labels"][::-1]
    (tmp_path / "relabelled.json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="expected 3 outputs in the order"):
        load_model(relabelled)


def test_load_model_refuses_a_keras_file_that_does_not_match_its_card(trained_model, tmp_path):
    model = tmp_path / "swapped.keras"
    build_model().save(model)  # other weights under the trained model's card
    shutil.copy(trained_model.card_path, tmp_path / "swapped.json")
    with pytest.raises(ModelFileError) as caught:
        load_model(model)
    assert str(caught.value) == (f"{model} does not match its model card {tmp_path / 'swapped.json'} (sha256 "
                                 f"{file_sha256(model)[:12]}, card {trained_model.card['sha256']['keras'][:12]}); "
                                 f"retrain with `expressiveness train` or restore the pair.")


def test_export_tflite_converts_an_older_model_once(trained_model, tmp_path):
    from expressiveness.levels.predict import Predictor

    model = tmp_path / "old.keras"
    shutil.copy(trained_model.model_path, model)
    write_card_without_hashes(trained_model, tmp_path / "old.json")
    with pytest.raises(ModelFileError, match=r"run `expressiveness convert .*old.keras` once"):
        Predictor(model)
    assert export_tflite(model) == tmp_path / "old.tflite"
    card = json.loads((tmp_path / "old.json").read_text())
    assert card["sha256"] == {"keras": file_sha256(model), "tflite": file_sha256(tmp_path / "old.tflite")}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.json", "old.keras", "old.tflite"]
    crops = np.random.default_rng(2).integers(0, 256, (6, 48, 48, 1)).astype("float32")
    np.testing.assert_allclose(Predictor(model).predict(crops), load_model(model)[0].predict(crops, verbose=0),
                               atol=1e-5, rtol=0)
    with pytest.raises(FileExistsError) as caught:
        export_tflite(model)
    assert str(caught.value) == (f"{tmp_path / 'old.json'} already records old.tflite; nothing to convert (pass "
                                 f"--overwrite to export it again).")


@pytest.mark.parametrize("module, importer", [("expressiveness.levels.model", "expressiveness.levels.model"),
                                              ("expressiveness.levels.dataset", "expressiveness.levels.dataset"),
                                              ("expressiveness.levels.train", "expressiveness.levels.dataset")])
def test_training_modules_without_tensorflow_name_the_extra(module, importer):
    result = run_python(f"import sys\nsys.modules['tensorflow'] = None\nimport {module}\n")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"ImportError: Training needs TensorFlow and Keras, which are not installed ({importer} imports "
        'them); install them with pip install "expressiveness[train]".')
