import numpy as np
import pytest

from expressiveness.faces import FaceBox
from expressiveness.model import load_model
from expressiveness.predict import Predictor, TemporalSmoother


@pytest.mark.parametrize("backend", ["tflite", "tf.function"])
def test_predictor_matches_the_keras_model(trained_model, backend):
    predictor = Predictor(trained_model.model_path, backend)
    model, _ = load_model(trained_model.model_path)
    crops = np.random.default_rng(0).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    expected = model.predict(crops[..., None].astype("float32"), verbose=0)
    np.testing.assert_allclose(predictor.predict(crops), expected, atol=1e-5)
    np.testing.assert_allclose(predictor.predict(crops[:1]), expected[:1], atol=1e-5)  # batch size changes
    np.testing.assert_allclose(predictor.predict(crops[..., None]), expected, atol=1e-5)
    assert predictor.predict(crops[:0]).shape == (0, 3)
    assert predictor.predict([]).shape == (0, 3)  # the README's list comprehension on a frame without faces
    assert predictor.labels == ("Reserved Expression", "Balanced Expression", "Expressive")
    assert predictor.thresholds == (-0.303, 0.294)


def test_predictor_input_checks(trained_model):
    predictor = Predictor(trained_model.model_path, "tf.function")
    with pytest.raises(ValueError) as caught:
        predictor.predict(np.zeros((2, 64, 64), np.uint8))
    assert str(caught.value) == "crops have shape (2, 64, 64); expected (N, 48, 48) or (N, 48, 48, 1) grayscale."
    with pytest.raises(ValueError, match="backend is 'onnx'; expected one of tflite, tf.function."):
        Predictor(trained_model.model_path, "onnx")


def _box(x):
    return FaceBox(x, 100, 100, 100, 0.9, ((0, 0),) * 6)


def test_smoother_is_an_ema_per_tracked_face():
    smoother = TemporalSmoother(alpha=0.25)
    first = smoother.update([_box(0), _box(400)], np.array([[1, 0, 0], [0, 0, 1]], "float32"))
    np.testing.assert_allclose(first, [[1, 0, 0], [0, 0, 1]])
    # Faces moved a little (same tracks), listed in the other order.
    second = smoother.update([_box(410), _box(10)], np.array([[1, 0, 0], [0, 1, 0]], "float32"))
    np.testing.assert_allclose(second, [[0.25, 0, 0.75], [0.75, 0.25, 0]])
    # A face far from every track starts a new one: not smoothed.
    third = smoother.update([_box(200)], np.array([[0, 1, 0]], "float32"))
    np.testing.assert_allclose(third, [[0, 1, 0]])
    with pytest.raises(ValueError, match=r"alpha is 0; expected a number in \(0, 1\]."):
        TemporalSmoother(alpha=0)


def test_inference_crops_like_the_training_cache(trained_model, face_frame, tmp_path):
    import json
    import shutil

    from expressiveness.faces import FaceDetector, crop_face
    from expressiveness.timeline import AnalysisOptions, FrameAnalyzer
    from expressiveness.video import Frame

    model = tmp_path / "aligned.keras"
    shutil.copy(trained_model.model_path, model)
    card = json.loads(trained_model.card_path.read_text())
    card["crop"].update({"margin": 0.3, "align": True})
    (tmp_path / "aligned.json").write_text(json.dumps(card))
    predictor = Predictor(model)
    assert (predictor.crop_margin, predictor.crop_align) == (0.3, True)
    with FaceDetector() as detector:
        result = FrameAnalyzer(predictor, detector, AnalysisOptions()).analyze(Frame(0, 0.0, face_frame))
        face = detector.detect(face_frame)[0]
    expected = predictor.predict(crop_face(face_frame, face, margin=0.3, align=True)[None])
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)
