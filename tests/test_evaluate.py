import json

import numpy as np
import pandas as pd
import pytest

from expressiveness.levels.evaluate import (
    LEAKAGE_NOTE,
    baseline_predictions,
    classification_metrics,
    evaluate_model,
    score_predictions,
)
from expressiveness.data.levels import expected_level


def test_metrics_of_a_hand_made_prediction_set():
    true = [0, 0, 1, 1, 2, 2]
    probabilities = np.eye(3)[[0, 1, 1, 1, 2, 0]]
    metrics = classification_metrics(true, probabilities)
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    # Reserved: P 1/2, R 1/2; Balanced: P 2/3, R 1; Expressive: P 1, R 1/2.
    f1 = [0.5, 2 * (2 / 3) / (2 / 3 + 1), 2 * 0.5 / 1.5]
    assert metrics["macro_f1"] == pytest.approx(sum(f1) / 3)
    assert metrics["per_class"]["Balanced Expression"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": f1[1], "support": 2})
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_video_level_uses_the_mean_of_frame_probabilities():
    frames = pd.DataFrame({"id": ["a", "a", "a", "b", "b", "c"], "label": [0, 0, 0, 2, 2, 1],
                           "p0": [0.6, 0.1, 0.6, 0.0, 0.3, 0.2], "p1": [0.4, 0.1, 0.4, 0.5, 0.1, 0.7],
                           "p2": [0.0, 0.8, 0.0, 0.5, 0.6, 0.1]})
    clips = pd.DataFrame({"id": ["a", "b", "c"], "label": [0, 2, 1], "facial_expression": [-1.0, 2.0, 0.1]})
    result = score_predictions(frames, clips)
    # Clip a: mean (0.433, 0.3, 0.267) -> Reserved; b: (0.15, 0.3, 0.55) -> Expressive; c -> Balanced.
    assert result["video"]["accuracy"] == 1.0
    assert result["frame"]["accuracy"] == pytest.approx(4 / 6)
    # Expected levels a 0.833, b 1.4, c 0.9 against scores -1, 2, 0.1: ranks agree.
    assert result["spearman_expected_level_vs_score"] == pytest.approx(1.0)
    np.testing.assert_allclose(expected_level([[0.5, 0.5, 0.0]]), [0.5])


def test_baselines():
    frames = pd.DataFrame({"id": list("aabbcc"), "label": [0, 0, 1, 1, 2, 2]})
    majority = baseline_predictions(frames, [5, 20, 3], "majority")
    assert (majority[["p0", "p1", "p2"]].to_numpy().argmax(axis=1) == 1).all()
    stratified = baseline_predictions(pd.DataFrame({"id": ["x"] * 3000, "label": [0] * 3000}), [1, 2, 1],
                                      "stratified")
    shares = stratified[["p0", "p1", "p2"]].to_numpy().mean(axis=0)
    np.testing.assert_allclose(shares, [0.25, 0.5, 0.25], atol=0.03)


def test_evaluate_a_trained_model_beside_baselines(trained_model, separable_data, tmp_path):
    metadata, cache = separable_data
    out = tmp_path / "evaluation.json"
    evaluation = evaluate_model(trained_model.model_path, metadata, cache, out)
    report = json.loads(out.read_text())
    assert report["note"] == LEAKAGE_NOTE
    card = trained_model.card
    assert report["test_set"]["participant_ids"] == sorted(card["splits"]["test"]["participants"])
    assert report["model"]["frame"]["accuracy"] == pytest.approx(card["metrics"]["test_frame"]["accuracy"], abs=1e-6)
    assert report["model"]["frame"]["accuracy"] > report["majority_baseline"]["frame"]["accuracy"] + 0.3
    assert report["model"]["video"]["count"] == len(card["splits"]["test"]["clips"])
    assert "majority_baseline" in evaluation.text() and "Test set: " in evaluation.text()
