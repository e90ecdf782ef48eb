import json
import os
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest

from expressiveness.card import ModelFileError, file_sha256
from expressiveness.levels.model import load_model
from expressiveness.levels.predict import Predictor
from expressiveness.levels.train import TrainConfig, save_model_files, train_model

CARD_FIELDS = {"card_version", "name", "created", "labels", "thresholds", "threshold_source", "input_shape",
               "preprocessing", "architecture", "inference", "augmentation", "class_weights", "training", "data",
               "splits", "history", "metrics", "versions", "crop", "sha256", "face_engine", "training_data"}


def test_a_short_real_training_run_learns_separable_crops(trained_model, separable_data):
    card = trained_model.card
    assert card["metrics"]["test_frame"]["accuracy"] >= 0.9, card["history"]
    model, _ = load_model(trained_model.model_path)
    from expressiveness.levels.dataset import prepare_data

    test = prepare_data(*separable_data).splits["test"]
    predicted = model.predict(test.crops.astype("float32"), verbose=0).argmax(axis=1)
    assert (predicted == test.labels).mean() == pytest.approx(card["metrics"]["test_frame"]["accuracy"])


def test_model_card_has_every_field(trained_model, separable_data):
    card = json.loads(trained_model.card_path.read_text())
    assert set(card) == CARD_FIELDS
    assert card["input_shape"] == [48, 48, 1] and card["thresholds"] == [-0.303, 0.294]
    assert card["face_engine"] == {"engine": "mediapipe-tasks", "mediapipe": version("mediapipe"),
                                   "face_model_sha256": "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"}
    assert "Rescaling(1/255)" in card["preprocessing"]
    # The hand-made cache has no settings.json: the extraction defaults are recorded.
    assert card["crop"] == {"margin": 0.15, "align": False, "size": 48, "min_confidence": 0.5,
                            "face_selection": "largest"}
    assert card["architecture"]["dense_activation"] == "relu"
    assert card["training"]["learning_rate"] == 0.001 and card["training"]["batch_size"] == 32
    assert card["training"]["optimizer"] == "Adam"
    # Every hyperparameter of TrainConfig, with model and augmentation settings, is in the card.
    assert {"batch_norm_momentum", "conv_dropout", "dense_dropout", "augmentation", "split_seed", "seed",
            "split_fractions", "reduce_lr_patience"} <= set(card["training"])
    assert card["training"]["augmentation"] == {
        "rotation_fraction": 0.05, "shift_fraction": 0.1, "horizontal_flip": True, "zoom_fraction": 0.1}
    assert card["training"]["augment"] is False and card["augmentation"] is None  # the fixture trains without
    assert card["architecture"]["batch_norm_momentum"] == card["training"]["batch_norm_momentum"] == 0.9
    assert card["training"]["split_fractions"] == [0.7, 0.15, 0.15] and card["data"]["extraction"] is None
    assert {"tensorflow", "keras", "mediapipe", "numpy"} <= set(card["versions"])
    assert len(card["history"]["loss"]) == len(card["history"]["val_loss"]) >= 1
    splits = card["splits"]
    people = [set(splits[name]["participants"]) for name in ("train", "validation", "test")]
    assert not (people[0] & people[1] or people[0] & people[2] or people[1] & people[2])
    history = pd.read_csv(trained_model.history_path)
    assert list(history["epoch"]) == list(range(1, len(card["history"]["loss"]) + 1))
    assert not list(trained_model.model_path.parent.glob(".*"))  # no temporary or checkpoint file left
    assert trained_model.tflite_path == trained_model.model_path.with_suffix(".tflite")
    assert card["sha256"] == {"keras": file_sha256(trained_model.model_path),
                              "tflite": file_sha256(trained_model.tflite_path)}
    assert card["card_version"] == 3
    metadata, _ = separable_data  # hand-made records with scores, not the demo's
    assert card["training_data"] == {"metadata": str(metadata), "metadata_sha256": file_sha256(metadata),
                                     "demo": False}
    assert trained_model.text().count(f"Trained on the facial_expression ratings in {metadata} (sha256 "
                                      f"{file_sha256(metadata)[:12]}).") == 1


@pytest.mark.parametrize("crash_before", ["tiny.json", "tiny.keras", "tiny.tflite"])
def test_a_crash_while_saving_never_pairs_new_weights_with_the_old_card(trained_model, tmp_path, monkeypatch,
                                                                        crash_before):
    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".keras", ".tflite", ".json"):
        (folder / f"tiny{suffix}").write_bytes(trained_model.model_path.with_suffix(suffix).read_bytes())
    model, card = load_model(folder / "tiny.keras")
    crops = np.random.default_rng(1).integers(0, 256, (4, 48, 48), dtype=np.uint8)
    old = Predictor(folder / "tiny.keras").predict(crops)
    bias = model.layers[-1].bias
    bias.assign(bias.numpy() + np.array([3.0, 0.0, -3.0], "float32"))  # new weights, other predictions
    card = {**card, "name": "tiny-retrained"}
    del card["sha256"]
    real_replace = os.replace

    def power_cut(source, target):
        if os.path.basename(target) == crash_before:
            raise OSError("power cut")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError, match="power cut"):
        save_model_files(model, card, folder / "tiny.keras", folder / "tiny.json")
    monkeypatch.undo()
    assert sorted(path.name for path in folder.iterdir()) == ["tiny.json", "tiny.keras", "tiny.tflite"]
    if crash_before == "tiny.json":  # nothing replaced: the old trio still works
        np.testing.assert_array_equal(Predictor(folder / "tiny.keras").predict(crops), old)
        load_model(folder / "tiny.keras")
        return
    with pytest.raises(ModelFileError, match=r"tiny.tflite does not match its model card .*tiny.json \(sha256 "):
        Predictor(folder / "tiny.keras")  # new card, old export: refused
    if crash_before == "tiny.keras":
        with pytest.raises(ModelFileError, match=r"tiny.keras does not match its model card"):
            load_model(folder / "tiny.keras")
    else:  # the new .keras is in place and matches the new card
        assert load_model(folder / "tiny.keras")[1]["name"] == "tiny-retrained"


def test_existing_model_is_not_overwritten(trained_model, separable_data):
    metadata, cache = separable_data
    before = trained_model.model_path.read_bytes()
    with pytest.raises(FileExistsError) as caught:
        train_model(metadata, cache, trained_model.model_path.parent, TrainConfig(name="tiny", epochs=1), verbose=0)
    assert str(caught.value) == (f"{trained_model.model_path} exists; pass --overwrite to replace "
                                 f"it, or choose another name (--name).")
    assert trained_model.model_path.read_bytes() == before


def test_retraining_with_the_same_seed_gives_identical_weights_and_drops_old_by_products(small_separable_data,
                                                                                         tmp_path):
    # With augmentation (the default): its random state must advance in the same order each run.
    metadata, cache = small_separable_data
    config = TrainConfig(name="again", epochs=2, early_stopping_patience=2)
    first = train_model(metadata, cache, tmp_path, config, verbose=0)
    first_weights = load_model(first.model_path)[0].get_weights()
    stale = [tmp_path / f"again{suffix}" for suffix in ("_evaluation.json", "_confusion.png", "_curves.png")]
    for path in stale:  # what evaluate, the CLI and the notebook wrote for the first weights
        path.write_text("of the first model")
    second = train_model(metadata, cache, tmp_path, config, overwrite=True, verbose=0)
    assert [path.name for path in stale if path.exists()] == []
    assert first.card["splits"] == second.card["splits"]
    assert first.card["history"] == second.card["history"]
    second_weights = load_model(second.model_path)[0].get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first_weights, second_weights, strict=True))
    assert first.card["sha256"]["tflite"] == second.card["sha256"]["tflite"]  # .keras records its save time
    assert first.card["training"]["reproducibility"].startswith("CPU: the same seed")


@pytest.mark.parametrize("field, value, message", [
    ("epochs", 0, "epochs is 0; expected a whole number >= 1."),
    ("learning_rate", -1.0, "learning_rate is -1.0; expected a positive number such as 0.001."),
    ("name", "../x", "name is '../x'; expected a plain file name such as 'expressiveness_cnn'."),
    ("conv_dropout", 1.0, "conv_dropout is 1.0; expected a number in [0, 1)."),
    ("augmentation", {"zoom_fraction": 2}, "augmentation zoom_fraction is 2; expected a fraction in [0, 1)."),
])
def test_bad_configuration(field, value, message):
    with pytest.raises(ValueError) as caught:
        TrainConfig(**{field: value})
    assert str(caught.value) == message


def test_the_train_command_takes_its_defaults_from_train_config_without_tensorflow():
    from isolated import tensorflow_modules_imported_by

    from expressiveness.cli import build_parser

    args = build_parser()[1]["train"].parse_args([])
    config = TrainConfig()
    assert (args.name, args.epochs, args.batch_size, args.learning_rate, args.patience, args.seed,
            args.split_seed) == (config.name, config.epochs, config.batch_size, config.learning_rate,
                                 config.early_stopping_patience, config.seed, config.split_seed)
    # No --thresholds: the CNN takes TrainConfig's; a measures model with --split-from, that card's.
    assert args.thresholds is None and args.kind == "cnn"
    assert tensorflow_modules_imported_by("from expressiveness.cli import build_parser; build_parser()") == []


def test_evaluate_defaults_to_the_cache_the_card_names(trained_model, separable_data, tmp_path, monkeypatch, capsys):
    from conftest import run_main, separable_crops, write_crop_cache

    metadata, cache = separable_data
    assert trained_model.card["data"]["cache_dir"] == str(cache)
    # Another cache in the working folder, with other crops of the same clips, is not used.
    write_crop_cache(tmp_path / "cache", {video_id: separable_crops(0, 3, np.random.default_rng(0))
                                          for video_id in trained_model.card["splits"]["test"]["clips"]})
    monkeypatch.chdir(tmp_path)
    result = run_main(capsys, "evaluate", "--model", trained_model.model_path, "--metadata", metadata, "--out",
                      tmp_path / "evaluation.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "evaluation.json").read_text())
    assert report["test_set"]["crops"] == trained_model.card["metrics"]["test_frame"]["crops"] == 16 * len(
        trained_model.card["splits"]["test"]["clips"])
