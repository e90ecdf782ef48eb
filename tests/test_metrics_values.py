"""evaluate.py's metrics against numbers worked out by hand: accuracy, per-class precision,
recall, F1 and support, macro-F1, the confusion matrix, Spearman's rho, video-level scores from
mean frame probabilities, and the two baselines."""

import math

import numpy as np
import pandas as pd
import pytest

from expressiveness.config import LABELS
from expressiveness.levels.evaluate import Evaluation, baseline_predictions, classification_metrics, score_predictions, spearman

RESERVED, BALANCED, EXPRESSIVE = LABELS

# True levels and soft probabilities whose argmax gives the confusion matrix
#   true 0: predicted 0, 0, 0, 1      -> row [3, 1, 0]
#   true 1: predicted 1, 1            -> row [0, 2, 0]
#   true 2: predicted 0, 1, 2, 2      -> row [1, 1, 2]
TRUE = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
PROBABILITIES = np.array([
    [0.5, 0.3, 0.2], [0.4, 0.35, 0.25], [0.9, 0.05, 0.05], [0.3, 0.45, 0.25],
    [0.2, 0.7, 0.1], [0.33, 0.34, 0.33],
    [0.6, 0.1, 0.3], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6], [0.0, 0.1, 0.9],
])


def test_classification_metrics_by_hand():
    metrics = classification_metrics(TRUE, PROBABILITIES)
    assert metrics["confusion_matrix"] == [[3, 1, 0], [0, 2, 0], [1, 1, 2]]
    assert metrics["count"] == 10 and type(metrics["count"]) is int
    assert metrics["accuracy"] == pytest.approx(7 / 10)
    # Precision = diagonal / column sum (4, 4, 2); recall = diagonal / row sum (4, 2, 4).
    assert metrics["per_class"] == {
        RESERVED: pytest.approx({"precision": 3 / 4, "recall": 3 / 4, "f1": 3 / 4, "support": 4}),
        BALANCED: pytest.approx({"precision": 2 / 4, "recall": 1.0, "f1": 2 / 3, "support": 2}),
        EXPRESSIVE: pytest.approx({"precision": 1.0, "recall": 2 / 4, "f1": 2 / 3, "support": 4}),
    }
    assert list(metrics["per_class"]) == list(LABELS)
    assert metrics["macro_f1"] == pytest.approx((3 / 4 + 2 / 3 + 2 / 3) / 3)
    assert type(metrics["per_class"][BALANCED]["support"]) is int


@pytest.mark.filterwarnings("error")  # no warning from scikit-learn about undefined scores
def test_levels_never_seen_count_as_zero_in_the_macro_average():
    metrics = classification_metrics([0, 0], np.array([[0.9, 0.1, 0.0], [0.6, 0.0, 0.4]]))
    assert metrics["accuracy"] == 1.0
    assert metrics["per_class"][BALANCED] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["macro_f1"] == pytest.approx(1 / 3)  # (1 + 0 + 0) / 3: all three levels count
    assert metrics["confusion_matrix"] == [[2, 0, 0], [0, 0, 0], [0, 0, 0]]


@pytest.mark.filterwarnings("error")  # no warning from scikit-learn about undefined scores
def test_a_level_predicted_but_never_true_has_precision_zero():
    metrics = classification_metrics([0, 1, 1], np.eye(3)[[2, 1, 1]])
    assert metrics["per_class"][EXPRESSIVE] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["per_class"][RESERVED] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert metrics["confusion_matrix"] == [[0, 0, 1], [0, 2, 0], [0, 0, 0]]


@pytest.mark.parametrize("values, scores, rho", [
    ([1, 2, 3, 4], [10, 20, 30, 40], 1.0),
    ([1, 2, 3, 4], [40, 30, 20, 10], -1.0),
    ([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8),  # 1 - 6 * 4 / (5 * 24)
    ([1, 2, 3], [3, 1, 2], -0.5),  # 1 - 6 * 6 / (3 * 8)
    ([1, 2, 2, 3], [1, 2, 3, 4], 3 / math.sqrt(10)),  # ties: Pearson of mid-ranks 1, 2.5, 2.5, 4
    ([0.1, 5.0, 2.0], [-3.0, 9.0, 1.0], 1.0),  # ranks, not values
])
def test_spearman_by_hand(values, scores, rho):
    result = spearman(values, scores)
    assert type(result) is float and result == pytest.approx(rho, abs=1e-12)


def test_spearman_is_scipys_bit_for_bit_with_ties_and_gaps():
    """spearman ranks by itself (the bootstrap calls it thousands of times): the same float as
    scipy.stats.spearmanr, ties and missing values included."""
    from scipy.stats import spearmanr as scipy_spearmanr

    rng = np.random.default_rng(34)
    for size in range(3, 60):
        for tied in (False, True):
            values = rng.integers(0, 4, size).astype(float) if tied else rng.normal(size=size)
            scores = rng.normal(size=size).round(1)
            values[rng.integers(0, size)] = np.nan
            keep = np.isfinite(values)
            if len(set(values[keep])) < 2 or len(set(scores[keep])) < 2 or keep.sum() < 3:
                continue
            assert spearman(values, scores) == float(scipy_spearmanr(values[keep], scores[keep]).statistic), size


@pytest.mark.parametrize("values, scores", [
    ([1, 2], [1, 2]),  # fewer than 3 clips
    ([], []),
    ([1, 1, 1], [1, 2, 3]),  # constant values
    ([1, 2, 3], [4, 4, 4]),  # constant scores
])
def test_spearman_is_none_when_undefined(values, scores):
    assert spearman(values, scores) is None


def _frames_and_clips():
    # Frames listed clip b, then a, then c; the clips table lists a, b, c, d (d has no frame).
    frames = pd.DataFrame({
        "id": ["b", "a", "a", "c", "c", "c"],
        "label": [2, 0, 0, 2, 2, 2],
        "p0": [0.1, 0.6, 0.2, 0.0, 0.3, 0.0],
        "p1": [0.5, 0.3, 0.2, 0.1, 0.3, 0.5],
        "p2": [0.4, 0.1, 0.6, 0.9, 0.4, 0.5],
    })
    clips = pd.DataFrame({"id": ["a", "b", "c", "d"], "label": [0, 2, 2, 1],
                          "facial_expression": [-0.5, 0.8, 0.4, 0.0]})
    return frames, clips


def test_score_predictions_by_hand():
    frames, clips = _frames_and_clips()
    result = score_predictions(frames, clips)
    # Frames: argmax 1, 0, 2, 2, 2, 1 (a tie goes to the first) against 2, 0, 0, 2, 2, 2: 3 of 6.
    assert result["frame"]["accuracy"] == pytest.approx(0.5)
    assert result["frame"]["confusion_matrix"] == [[1, 0, 1], [0, 0, 0], [0, 2, 2]]
    # Clip means: b (0.1, 0.5, 0.4) -> 1; a (0.4, 0.25, 0.35) -> 0; c (0.1, 0.3, 0.6) -> 2;
    # true levels b 2, a 0, c 2: 2 of 3. Clip d has no frame and is not counted.
    video = result["video"]
    assert video["count"] == 3 and video["accuracy"] == pytest.approx(2 / 3)
    assert video["confusion_matrix"] == [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    # Expected levels b 1.3, a 0.95, c 1.5 against scores 0.8, -0.5, 0.4: ranks (2, 1, 3) and (3, 1, 2):
    # rho = 1 - 6 * (1 + 0 + 1) / (3 * 8) = 0.5.
    assert result["spearman_expected_level_vs_score"] == pytest.approx(0.5)


def test_score_predictions_with_fewer_than_three_clips_has_no_spearman():
    frames, clips = _frames_and_clips()
    result = score_predictions(frames[frames["id"] != "c"], clips)
    assert result["spearman_expected_level_vs_score"] is None and result["video"]["count"] == 2


def test_majority_baseline_always_predicts_the_most_common_training_level():
    frames = pd.DataFrame({"id": list("aabbc"), "label": [0, 0, 1, 1, 2], "extra": range(5)}, index=[5, 6, 7, 8, 9])
    majority = baseline_predictions(frames, [5, 20, 3], "majority")
    assert list(majority.columns) == ["id", "label", "p0", "p1", "p2"]
    assert majority.index.tolist() == [5, 6, 7, 8, 9] and majority["id"].tolist() == list("aabbc")
    assert majority[["p0", "p1", "p2"]].to_numpy().tolist() == [[0.0, 1.0, 0.0]] * 5
    assert baseline_predictions(frames, [1, 0, 7], "majority")[["p0", "p1", "p2"]].to_numpy().tolist() == \
        [[0.0, 0.0, 1.0]] * 5
    assert "p0" not in frames  # the input is not changed


def test_stratified_baseline_draws_levels_with_the_training_frequencies():
    frames = pd.DataFrame({"id": ["x"] * 4000, "label": [0] * 4000})
    drawn = baseline_predictions(frames, [1, 2, 1], "stratified", seed=7)[["p0", "p1", "p2"]].to_numpy()
    assert set(drawn.sum(axis=1)) == {1.0} and set(np.unique(drawn)) == {0.0, 1.0}  # one-hot rows
    np.testing.assert_allclose(drawn.mean(axis=0), [0.25, 0.5, 0.25], atol=0.025)
    again = baseline_predictions(frames, [1, 2, 1], "stratified", seed=7)[["p0", "p1", "p2"]].to_numpy()
    other = baseline_predictions(frames, [1, 2, 1], "stratified", seed=8)[["p0", "p1", "p2"]].to_numpy()
    np.testing.assert_array_equal(drawn, again)
    assert not np.array_equal(drawn, other)
    # A level absent from training is never drawn; a single level is always drawn.
    only_expressive = baseline_predictions(frames[:50], [0, 0, 9], "stratified")[["p0", "p1", "p2"]].to_numpy()
    assert only_expressive.tolist() == [[0.0, 0.0, 1.0]] * 50
    no_balanced = baseline_predictions(frames, [3, 0, 1], "stratified")[["p0", "p1", "p2"]].to_numpy()
    assert no_balanced[:, 1].sum() == 0 and no_balanced[:, 0].mean() == pytest.approx(0.75, abs=0.025)


def test_unknown_baseline_kind_is_refused():
    with pytest.raises(ValueError) as caught:
        baseline_predictions(pd.DataFrame({"id": ["a"], "label": [0]}), [1, 1, 1], "uniform")
    assert str(caught.value) == 'baseline kind is \'uniform\'; expected "majority" or "stratified".'


def test_evaluation_text():
    def result(frame_accuracy, rho):
        return {"frame": {"accuracy": frame_accuracy, "macro_f1": 0.5}, "video": {"accuracy": 0.75, "macro_f1": 0.25},
                "spearman_expected_level_vs_score": rho}

    report = {"model": result(0.8125, 0.41234), "majority_baseline": result(0.5, None),
              "stratified_random_baseline": result(0.3333, -0.05),
              "test_set": {"participants": 2, "clips": 4, "crops": 12}}
    assert Evaluation(report, None).text().splitlines() == [
        "Test set: 2 participants, 4 clips, 12 crops (held-out participants).",
        "  model                        frame acc 0.812  macro-F1 0.500 | video acc 0.750  macro-F1 0.250 | "
        "Spearman 0.412",
        "  majority_baseline            frame acc 0.500  macro-F1 0.500 | video acc 0.750  macro-F1 0.250 | "
        "Spearman n/a",
        "  stratified_random_baseline   frame acc 0.333  macro-F1 0.500 | video acc 0.750  macro-F1 0.250 | "
        "Spearman -0.050",
    ]
    assert Evaluation(report, "models/x_evaluation.json").text().endswith("\nReport: models/x_evaluation.json")
