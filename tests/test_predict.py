import numpy as np
import pytest

from expressiveness.model import load_model
from expressiveness.predict import Predictor


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
