"""A video-level model on the facial measures: per clip, the video-level summary of the facial
measures (and optionally a CNN's mean level probabilities) -> the `facial_expression` score
(regression) and its level (classification), with scikit-learn. No TensorFlow.

Training (`train_measures_model`): every clip is analysed once (pipeline/clips.py over run.analyze_paths, parallel
and resumable, into ANALYSIS_DIR/clips; `validate` shares that folder), the participants are
split as the CNN's card says (`split_from`) or by `participant_split`, hyperparameters are chosen
by cross-validation grouped by participant inside the training split only, and the chosen
models are refitted on the training split. Missing values are imputed with the training split's
medians (recorded in the card). Clips without face landmarks have no features and are left out.

Two estimators, a parameter recorded in the card: "linear" (ridge regression and multinomial
logistic regression on standardised features; saved as plain JSON, NAME.linear.json) and
"boosting" (gradient boosting; saved with skops, NAME.skops). The card NAME.json records kind
"measures", features, split ids, cut points, metrics, versions and the model file's sha256; a
file whose hash differs is refused. Nothing is unpickled.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness._io import atomic_write, file_sha256
from expressiveness.card import MEASURES, MEASURES_RETRAIN_HINT, ModelCard, measures_card_path
from expressiveness.config import CV_FOLDS, ESTIMATORS, LABELS, SEED, TARGET_SCORE
from expressiveness.errors import DatasetError, ModelFileError
from expressiveness.data.levels import level_index

MEASURE_FEATURES = ("expressivity_mean", "expressivity_p90", "expressivity_brows_mean", "expressivity_brows_p90",
                    "expressivity_eyes_mean", "expressivity_eyes_p90", "expressivity_mouth_mean",
                    "expressivity_mouth_p90", "facial_motion_mean", "head_motion_deg_s_mean", "head_yaw_range_deg",
                    "head_pitch_range_deg", "head_roll_range_deg", "blinks_per_minute", "landmarks_share",
                    "blendshape_expressivity_mean", "blendshape_expressivity_p90",
                    "blendshape_expressivity_brows_mean", "blendshape_expressivity_eyes_mean",
                    "blendshape_expressivity_cheeks_nose_mean", "blendshape_expressivity_mouth_jaw_mean", "usable_share")
CNN_FEATURES = ("mean_prob_reserved", "mean_prob_balanced", "mean_prob_expressive")  # LABELS order
DEFAULT_MEASURES_MODEL_NAME = "expressiveness_measures"
CARD_KIND = MEASURES  # card.ModelCard's kind of a measures model
# 2: the features are measured against a whole-video reference over usable frames only, with the
# mesh noise floor (issue 24); a card of version 1 was trained on measures that no longer exist.
CARD_VERSION = 2
MIN_CV_PARTICIPANTS = 3
CV_SCORING = {"regressor": "neg_mean_squared_error", "classifier": "f1_macro"}
GRIDS = {  # hyperparameters tried by grouped cross-validation, named as the sklearn estimator's
    "linear": {"regressor": {"alpha": [float(a) for a in np.logspace(-3, 3, 7)]},
               "classifier": {"C": [float(c) for c in np.logspace(-3, 2, 6)]}},
    "boosting": {"regressor": {"n_estimators": [50, 150], "max_depth": [2, 3]},
                 "classifier": {"n_estimators": [50, 150], "max_depth": [2, 3]}},
}
VERSIONED_PACKAGES = ("scikit-learn", "skops", "numpy", "pandas", "mediapipe")
SKOPS_TYPES = ("numpy.dtype", "sklearn.tree._tree.Tree")  # what a boosting file may hold beyond skops' defaults
RETRAIN_HINT = MEASURES_RETRAIN_HINT


# ---------------------------------------------------------------- estimators

def _pipeline(estimator: str, part: str, seed: int):
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    impute = ("impute", SimpleImputer(strategy="median", keep_empty_features=True))
    if estimator == "linear":
        model = Ridge() if part == "regressor" else LogisticRegression(class_weight="balanced", max_iter=5000)
        return Pipeline([impute, ("scale", StandardScaler()), ("model", model)])
    model = (GradientBoostingRegressor(learning_rate=0.05, subsample=0.8, random_state=seed) if part == "regressor"
             else GradientBoostingClassifier(learning_rate=0.05, subsample=0.8, random_state=seed))
    return Pipeline([impute, ("model", model)])


class LinearPipeline:
    """Median imputation, standardisation and a linear model, from plain numbers: predict() is
    ridge regression (coef (F,), intercept float), predict_proba() multinomial logistic
    regression (coef (3, F), intercept (3,)), on float64 features (N, F) with NaN where missing."""

    def __init__(self, params: dict):
        self.params = params
        self.imputation, self.mean, self.scale = (np.asarray(params[key], dtype="float64")
                                                  for key in ("imputation", "mean", "scale"))
        self.coef, self.intercept = np.asarray(params["coef"], "float64"), np.asarray(params["intercept"], "float64")
        self.n_features_in_ = len(self.mean)

    @classmethod
    def from_sklearn(cls, pipeline) -> "LinearPipeline":
        imputer, scaler, model = (pipeline.named_steps[step] for step in ("impute", "scale", "model"))
        params = {"imputation": imputer.statistics_.tolist(), "mean": scaler.mean_.tolist(),
                  "scale": scaler.scale_.tolist(), "coef": model.coef_.tolist(),
                  "intercept": np.asarray(model.intercept_).tolist(),
                  **({"alpha": float(model.alpha)} if hasattr(model, "alpha") else {"C": float(model.C)})}
        return cls(params)

    def _standardized(self, features) -> np.ndarray:
        values = np.asarray(features, dtype="float64")
        return (np.where(np.isnan(values), self.imputation, values) - self.mean) / self.scale

    def predict(self, features) -> np.ndarray:
        return self._standardized(features) @ self.coef + self.intercept

    def predict_proba(self, features) -> np.ndarray:
        decision = self._standardized(features) @ self.coef.T + self.intercept
        exponent = np.exp(decision - decision.max(axis=1, keepdims=True))
        return exponent / exponent.sum(axis=1, keepdims=True)


def fit_estimators(table: pd.DataFrame, features, thresholds, estimator: str = "linear", folds: int = CV_FOLDS,
                   seed: int = SEED, grids: dict | None = None):
    """Fit the regressor (score) and classifier (level) on the rows of `table` (columns
    features, TARGET_SCORE, user_no), hyperparameters by GridSearchCV grouped by participant
    over grids ({"regressor": {param: values}, "classifier": ...}; default GRIDS[estimator],
    parameters named as the sklearn estimator's). Returns (regressor, classifier, cross-validation
    report); linear fits come back as LinearPipeline. Raises DatasetError for fewer than
    MIN_CV_PARTICIPANTS participants or a level missing among the rows."""
    from sklearn.model_selection import GridSearchCV, GroupKFold
    from threadpoolctl import threadpool_limits

    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator is {estimator!r}; expected one of {', '.join(ESTIMATORS)}.")
    people = sorted(table["user_no"].unique())
    if len(people) < MIN_CV_PARTICIPANTS:
        raise DatasetError(f"grouped cross-validation needs at least {MIN_CV_PARTICIPANTS} participants with usable "
                           f"clips in the training split; it has {len(people)} (user_no {', '.join(people) or 'none'}). "
                           f"Add participants or change the split.")
    values = table[list(features)].to_numpy(dtype="float64")
    labels = level_index(table[TARGET_SCORE], thresholds)
    missing = [LABELS[index] for index in range(len(LABELS)) if not np.any(labels == index)]
    if missing:
        raise DatasetError(f"the training split ({len(people)} participants, {len(table)} clips with landmarks) has "
                           f"no {' or '.join(missing)} clip with cut points {thresholds[0]:.3f} / {thresholds[1]:.3f}; "
                           f"expected every level. Add participants, or change the split or the cut points.")
    folds = min(folds, len(people))
    grids = grids or GRIDS[estimator]
    fitted, report = {}, {"folds": folds, "grouped_by": "user_no", "participants": len(people)}
    for part, target in (("regressor", table[TARGET_SCORE].to_numpy(dtype="float64")), ("classifier", labels)):
        grid = {f"model__{key}": list(tried) for key, tried in grids[part].items()}
        search = GridSearchCV(_pipeline(estimator, part, seed), grid, scoring=CV_SCORING[part], cv=GroupKFold(folds),
                              error_score="raise")
        # The matrices are tiny: multi-threaded BLAS only adds overhead (10x on a busy machine).
        with threadpool_limits(1):
            search.fit(values, target, groups=table["user_no"].to_numpy())
        fitted[part] = (LinearPipeline.from_sklearn(search.best_estimator_) if estimator == "linear"
                        else search.best_estimator_)
        report[part] = {"scoring": CV_SCORING[part], "best_score": round(float(search.best_score_), 4),
                        "best_params": {key.removeprefix("model__"): _plain(value)
                                        for key, value in search.best_params_.items()},
                        "grid": {key.removeprefix("model__"): tried for key, tried in grid.items()}}
    return fitted["regressor"], fitted["classifier"], report


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------- the model

class MeasuresModel:
    """A fitted measures model: `card` (features, cut points, ...) and its two estimators."""

    def __init__(self, card: dict, regressor, classifier, card_path: Path | None = None):
        self.card, self.regressor, self.classifier, self.card_path = card, regressor, classifier, card_path

    features = property(lambda self: tuple(self.card["features"]))
    thresholds = property(lambda self: tuple(self.card["thresholds"]))
    name = property(lambda self: self.card["name"])

    def predict(self, table: pd.DataFrame) -> pd.DataFrame:
        """Per row of `table` (the model's feature columns; NaN where missing): predicted_score,
        p0, p1, p2 (level probabilities, LABELS order) and predicted_level (index 0..2)."""
        values = table[list(self.features)].to_numpy(dtype="float64")
        probabilities = self.classifier.predict_proba(values)
        result = pd.DataFrame({"predicted_score": self.regressor.predict(values)}, index=table.index)
        for index in range(len(LABELS)):
            result[f"p{index}"] = probabilities[:, index]
        result["predicted_level"] = probabilities.argmax(axis=1)
        return result


# ---------------------------------------------------------------- files

def model_file_name(name: str, estimator: str) -> str:
    return f"{name}.linear.json" if estimator == "linear" else f"{name}.skops"


def _skops():
    try:
        import skops.io
    except ImportError:
        raise ModelFileError('boosting measures models are saved with skops, which is not installed; reinstall '
                             'the package (pip install -e .), which depends on it.') from None
    return skops.io


def save_measures_model(model: MeasuresModel, card_path: str | Path) -> Path:
    """Write the model file and the card (the file's sha256 added to it): the model file in
    full under a temporary name, then the card, then the rename; a crash leaves the old pair or a
    hash mismatch that loading refuses. Returns the model file's path."""
    card_path = Path(card_path)
    card = model.card
    target = card_path.with_name(model_file_name(card["name"], card["estimator"]))
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if card["estimator"] == "linear":
            parts = {part: getattr(model, part).params for part in ("regressor", "classifier")}
            atomic_write(temporary, json.dumps({"features": list(card["features"]), **parts}, indent=2))
        else:
            _skops().dump({"regressor": model.regressor, "classifier": model.classifier}, temporary)
        card["files"] = {"model": target.name}
        card["sha256"] = {"model": file_sha256(temporary)}
        atomic_write(card_path, json.dumps(card, indent=2, allow_nan=False))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    model.card_path = card_path
    return target


def read_measures_card(path: str | Path) -> dict:
    """The card of a measures model (card.ModelCard.read: JSON, kind "measures", its keys), checked
    for this version of the measures and known features."""
    model_card = ModelCard.read(path, kind=MEASURES)
    card_path, card = model_card.path, model_card.data
    if card.get("card_version") != CARD_VERSION:
        raise ModelFileError(f"{card_path}: a measures model of card version {card.get('card_version')!r}, trained on "
                             f"facial measures computed another way; expected version {CARD_VERSION}: {RETRAIN_HINT}.")
    unknown = [name for name in card["features"] if name not in MEASURE_FEATURES + CNN_FEATURES]
    if not card["features"] or unknown:
        raise ModelFileError(f"{card_path}: the model card lists {'no features' if not unknown else f'unknown feature {unknown[0]!r}'}; "
                             f"expected names from {', '.join(MEASURE_FEATURES + CNN_FEATURES)}.")
    return card


def load_measures_model(path: str | Path) -> MeasuresModel:
    """Load a measures model from its card (or its model file beside the card). Raises
    FileNotFoundError for a missing card or model file, ModelFileError for a bad card, a model
    file whose sha256 differs from the card's or whose features differ from the card's."""
    card_path = measures_card_path(path)
    card = read_measures_card(card_path)
    model_path = card_path.with_name(card["files"]["model"])
    if not model_path.is_file():
        raise FileNotFoundError(f"{model_path}: model file not found; its card {card_path.name} expects it beside it.")
    actual, expected = file_sha256(model_path), card["sha256"]["model"]
    if actual != expected:
        raise ModelFileError(f"{model_path} does not match its model card {card_path} (sha256 {actual[:12]}, card "
                             f"{expected[:12]}); {RETRAIN_HINT}.")
    if card["estimator"] == "linear":
        stored = json.loads(model_path.read_text(encoding="utf-8"))
        if stored.get("features") != list(card["features"]):
            raise ModelFileError(f"{model_path} has features {stored.get('features')} but its card lists "
                                 f"{card['features']}; {RETRAIN_HINT}.")
        regressor, classifier = LinearPipeline(stored["regressor"]), LinearPipeline(stored["classifier"])
    else:
        skops_io = _skops()
        untrusted = skops_io.get_untrusted_types(file=model_path)
        unexpected = [name for name in untrusted if name not in SKOPS_TYPES]
        if unexpected:
            raise ModelFileError(f"{model_path} holds types a boosting model does not ({', '.join(unexpected[:3])}); "
                                 f"refusing to load it.")
        stored = skops_io.load(model_path, trusted=untrusted)
        regressor, classifier = stored["regressor"], stored["classifier"]
    for estimator in (regressor, classifier):
        if estimator.n_features_in_ != len(card["features"]):
            raise ModelFileError(f"{model_path} takes {estimator.n_features_in_} features but its card lists "
                                 f"{len(card['features'])}; {RETRAIN_HINT}.")
    return MeasuresModel(card, regressor, classifier, card_path)


# ---------------------------------------------------------------- one video's prediction

def features_from_summary(summary: dict, features, source: str = "the video's summary") -> pd.DataFrame:
    """One row of the model's features from a video summary (NAME_summary.json); None -> NaN.
    Raises DatasetError naming the first feature the summary lacks."""
    missing = [name for name in features if name not in summary]
    if missing:
        needs = " and a CNN (--model)" if missing[0] in CNN_FEATURES else ""
        raise DatasetError(f"{source} has no {missing[0]}, a feature of the measures model; expected a summary "
                           f"analysed with the facial measures on{needs}.")
    return pd.DataFrame([{name: math.nan if summary[name] is None else float(summary[name]) for name in features}])


def predict_summary(model: MeasuresModel, summary: dict, source: str = "the video's summary") -> dict:
    """The model's video-level answer for one summary: measures_model, predicted_score,
    predicted_level and its probabilities; None (null) when the video has no face landmarks, as
    the summary's other fields."""
    result = {"measures_model": model.name, "measures_model_sha256": model.card["sha256"]["model"]}
    cnn = model.card.get("cnn_model")
    analysed_with = summary.get("provenance", summary).get("model")  # nested in newer summaries
    if cnn and analysed_with != cnn["name"]:
        raise DatasetError(f"{source} was analysed with CNN {analysed_with!r}; the measures model "
                           f"{model.name} uses the mean probabilities of CNN {cnn['name']!r} (--model {cnn['path']}).")
    row = features_from_summary(summary, model.features, source)
    share = summary.get("landmarks_share")
    keys = ("predicted_prob_reserved", "predicted_prob_balanced", "predicted_prob_expressive")
    if share is None or not share > 0:
        return {**result, "predicted_score": None, "predicted_level": None, **dict.fromkeys(keys)}
    predicted = model.predict(row).iloc[0]
    return {**result, "predicted_score": round(float(predicted["predicted_score"]), 4),
            "predicted_level": LABELS[int(predicted["predicted_level"])],
            **{key: round(float(predicted[f"p{index}"]), 4) for index, key in enumerate(keys)}}


# The keys a measures model's answer adds to a video summary (and to summary.csv, last, in this
# order; the note only when some summary has one).
ANSWER_KEYS = ("measures_model", "measures_model_sha256", "measures_model_trained_on", "predicted_score",
               "predicted_level", "predicted_prob_reserved", "predicted_prob_balanced", "predicted_prob_expressive",
               "measures_model_note")


def answer_summary(model: MeasuresModel | None, summary: dict, earlier: bool = False) -> dict:
    """The summary with this model's answer in place of any earlier one (ANSWER_KEYS, last):
    predict_summary plus what the model was trained on (card.trained_on). model None removes
    an earlier answer (a summary must not keep an answer the user did not ask for this time).
    earlier: a summary an earlier run left (analysed without the facial measures, or with
    another CNN) gets null answers and `measures_model_note` saying why, where this run's
    raises DatasetError. Changes `summary` in place and returns it."""
    from expressiveness.card import trained_on

    for key in ANSWER_KEYS:
        summary.pop(key, None)
    if model is None:
        return summary
    try:
        answer = {**predict_summary(model, summary, f"{summary.get('video', 'the video')}'s summary"),
                  "measures_model_trained_on": trained_on(model.card)}
    except DatasetError as error:
        if not earlier:
            raise
        answer = {"measures_model": model.name, "measures_model_sha256": model.card["sha256"]["model"],
                  **dict.fromkeys(ANSWER_KEYS[2:-1]), "measures_model_note": str(error)}
    summary.update(answer)
    return summary
