import hashlib
import json
import shutil

import numpy as np
import pytest

from conftest import separable_crops
from isolated import tensorflow_modules_imported_by

from expressiveness.card import ModelFileError
from expressiveness.levels.predict import Predictor


def copy_model(trained_model, folder, name="copy", parts=(".keras", ".tflite", ".json")):
    """The trained model's files under another name; returns the .keras path."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in parts:
        shutil.copy(trained_model.model_path.with_suffix(suffix), folder / f"{name}{suffix}")
    return folder / f"{name}.keras"


@pytest.fixture(scope="module")
def real_crops(demo_dir):
    """uint8 (N, 48, 48) face crops cut by MediaPipe from two demo clips of different people."""
    from expressiveness.face import FaceDetector, crop_face
    from expressiveness.video import iter_frames

    crops = []
    with FaceDetector() as detector:
        for clip in ("vid_0001.mp4", "vid_0013.mp4"):
            for frame in iter_frames(demo_dir / "videos" / clip, range(0, 36, 6)):
                crops += [crop_face(frame.image, face) for face in detector.detect(frame.image)]
    assert len(crops) >= 10
    return np.stack(crops)


def test_predictor_matches_the_keras_model_on_real_crops(trained_model, real_crops):
    from expressiveness.levels.model import load_model

    predictor = Predictor(trained_model.model_path)
    model, _ = load_model(trained_model.model_path)
    separable = np.concatenate([separable_crops(label, 4, np.random.default_rng(label)) for label in range(3)])
    for crops in (real_crops, separable):
        expected = model.predict(crops[..., None].astype("float32"), verbose=0)
        np.testing.assert_allclose(predictor.predict(crops), expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(predictor.predict(crops[:1]), expected[:1], atol=1e-5, rtol=0)  # batch resized
        np.testing.assert_allclose(predictor.predict(list(crops[..., None])), expected, atol=1e-5, rtol=0)
    assert predictor.predict(separable).argmax(axis=1).tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert predictor.predict(real_crops[:0]).shape == (0, 3)
    assert predictor.predict([]).shape == (0, 3)  # the README's list comprehension on a frame without faces
    assert predictor.predict([]).dtype == np.float32 and predictor.predict(real_crops).dtype == np.float32


def test_predictor_reads_everything_from_the_card(trained_model):
    predictor = Predictor(trained_model.model_path)
    assert predictor.labels == ("Reserved Expression", "Balanced Expression", "Expressive")
    assert predictor.thresholds == (-0.303, 0.294)
    assert (predictor.name, predictor.model_path, predictor.backend) == ("tiny", trained_model.model_path, "tflite")
    assert (predictor.crop_margin, predictor.crop_align) == (0.15, False)
    assert predictor.detector == {"min_confidence": 0.5, "face_selection": "largest"}
    assert predictor.sha256 == trained_model.card["sha256"]["tflite"]
    assert predictor.card == json.loads(trained_model.card_path.read_text())


def test_predictor_runs_from_the_tflite_and_card_alone(trained_model, tmp_path):
    model = copy_model(trained_model, tmp_path, parts=(".tflite", ".json"))
    predictor = Predictor(model.with_suffix(".tflite"))
    crops = np.full((2, 48, 48), 200, np.uint8)
    np.testing.assert_array_equal(predictor.predict(crops), Predictor(trained_model.model_path).predict(crops))


def test_predictor_imports_no_tensorflow(trained_model):
    code = (f"import numpy as np\nfrom expressiveness.levels.predict import Predictor\n"
            f"print(Predictor({str(trained_model.model_path)!r}).predict(np.zeros((2, 48, 48), np.uint8)).shape)\n")
    assert tensorflow_modules_imported_by(code) == []


def test_predictor_input_checks(trained_model):
    predictor = Predictor(trained_model.model_path)
    with pytest.raises(ValueError) as caught:
        predictor.predict(np.zeros((2, 64, 64), np.uint8))
    assert str(caught.value) == "crops have shape (2, 64, 64); expected (N, 48, 48) or (N, 48, 48, 1) grayscale."
    with pytest.raises(ValueError) as caught:
        Predictor(trained_model.model_path, "tf.function")
    assert str(caught.value) == ("backend is 'tf.function'; expected tflite (the tf.function backend needed "
                                 "TensorFlow and was removed).")


def test_predictor_refuses_an_export_that_does_not_match_its_card(trained_model, tmp_path):
    model = copy_model(trained_model, tmp_path)
    tflite = model.with_suffix(".tflite")
    data = bytearray(tflite.read_bytes())
    data[-100] ^= 0xFF  # one weight changed
    tflite.write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as caught:
        Predictor(model)
    expected = trained_model.card["sha256"]["tflite"]
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert str(caught.value) == (f"{tflite} does not match its model card {tmp_path / 'copy.json'} (sha256 "
                                 f"{actual[:12]}, card {expected[:12]}); retrain with `expressiveness train` or "
                                 f"restore the pair.")


def test_predictor_errors_for_missing_or_older_model_files(trained_model, tmp_path):
    no_export = copy_model(trained_model, tmp_path / "a", parts=(".keras", ".json"))
    with pytest.raises(FileNotFoundError) as caught:
        Predictor(no_export)
    assert str(caught.value) == (f"{no_export.with_suffix('.tflite')}: model file not found; training writes it "
                                 f"beside copy.keras (restore it or retrain with `expressiveness train`).")

    no_card = copy_model(trained_model, tmp_path / "b", parts=(".keras", ".tflite"))
    with pytest.raises(FileNotFoundError, match=r"copy.json: model card not found"):
        Predictor(no_card)

    older = copy_model(trained_model, tmp_path / "c", parts=(".keras", ".json"))
    card = json.loads(older.with_suffix(".json").read_text())
    del card["sha256"]
    older.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError) as caught:
        Predictor(older)
    assert str(caught.value) == (f"{older.with_suffix('.json')} records no LiteRT export of the model (trained "
                                 f"before .tflite files); run `expressiveness convert {older}` once (needs "
                                 f"TensorFlow).")

    with pytest.raises(ModelFileError, match=r"model.h5: expected a model file ending in .keras or .tflite.$"):
        Predictor(tmp_path / "model.h5")

    relabelled = copy_model(trained_model, tmp_path / "d")
    card = json.loads(relabelled.with_suffix(".json").read_text())
    card["labels"] = card["labels"][::-1]
    relabelled.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="expected 3 outputs in the order"):
        Predictor(relabelled)
