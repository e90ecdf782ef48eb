"""Train the video-level measures model (measures/model.py) on a data set and save it with its card.

Setup -> clip features (every clip analysed once, resumable) -> participant split (the CNN's,
from its card, or participant_split) -> cut points -> grouped cross-validation and fit on the
training split -> validation and test metrics -> NAME.json + NAME.linear.json / NAME.skops.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from expressiveness.card import card_path_for, keras_path_for, package_versions, trained_on
from expressiveness.data.demo_data import training_data_record
from expressiveness.config import ANALYSIS_DIR, LABELS, MODELS_DIR, SEED, SPLIT_FRACTIONS, TARGET_SCORE, THRESHOLDS
from expressiveness.errors import DatasetError, ModelFileError
from expressiveness.measures.model import (CARD_KIND, CARD_VERSION, CNN_FEATURES, CV_FOLDS, DEFAULT_MEASURES_MODEL_NAME,
                             ESTIMATORS, MEASURE_FEATURES, VERSIONED_PACKAGES, MeasuresModel, fit_estimators,
                             save_measures_model)
from expressiveness.data.metadata import load_metadata
from expressiveness.data.levels import SPLITS, level_index, participant_split, tertile_thresholds
from expressiveness.agreement.correlation import spearman
OPTION_KEYS = {"every": "every", "min_confidence": "min_confidence",
               "face_selection": "face_selection"}  # summary key -> AnalysisOptions field


@dataclass
class MeasuresConfig:
    """What a measures model is trained with; every field is recorded in the card."""

    name: str = DEFAULT_MEASURES_MODEL_NAME
    estimator: str = "linear"  # "linear" (ridge + logistic regression, JSON) or "boosting" (skops)
    thresholds: object = None  # None: the split card's cut points with split_from, else "default"; "tertiles"; (low, high)
    split_fractions: tuple = SPLIT_FRACTIONS
    split_seed: int = SEED  # the participant split, as the CNN's TrainConfig.split_seed
    seed: int = SEED  # gradient boosting's subsampling
    cv_folds: int = CV_FOLDS
    grids: dict | None = None  # None: measures_model.GRIDS[estimator]

    def __post_init__(self):
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"estimator is {self.estimator!r}; expected one of {', '.join(ESTIMATORS)}.")
        if isinstance(self.cv_folds, bool) or not isinstance(self.cv_folds, int) or self.cv_folds < 2:
            raise ValueError(f"cv_folds is {self.cv_folds!r}; expected a whole number >= 2.")
        if not self.name or any(char in self.name for char in "/\\") or self.name.startswith("."):
            raise ValueError(f"name is {self.name!r}; expected a plain file name such as '{DEFAULT_MEASURES_MODEL_NAME}'.")


@dataclass
class MeasuresTrainResult:
    model: MeasuresModel
    card_path: Path
    model_path: Path
    seconds: float

    def text(self) -> str:
        card = self.model.card
        parts = "; ".join(f"{name}: {len(card['splits'][name]['participants'])} participants, "
                          f"{len(card['splits'][name]['clips'])} clips" for name in SPLITS)
        lines = [f"Measures model ({card['estimator']}) on {len(card['features'])} features; {parts} "
                 f"(split: {card['split_source']}). Cut points {card['thresholds'][0]:.3f} / "
                 f"{card['thresholds'][1]:.3f} ({card['threshold_source']})."]
        for name in ("validation", "test"):
            metrics = card["metrics"][name]
            if metrics:
                rho = metrics["score_spearman"]
                lines.append(f"  {name:<10} level accuracy {metrics['level']['accuracy']:.3f}, macro-F1 "
                             f"{metrics['level']['macro_f1']:.3f}; score Spearman "
                             f"{'n/a' if rho is None else f'{rho:+.3f}'} ({metrics['level']['count']} clips)")
        if card["dropped_features"]:
            lines.append(f"  Left out (no value in the training split): {', '.join(card['dropped_features'])}.")
        lines.append(f"Trained on {trained_on(card)}. Saved {self.model_path} and {self.card_path} in "
                     f"{self.seconds:.0f} s.")
        return "\n".join(lines)


def level_metrics(true_labels, probabilities) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix (rows:
    true level, columns: predicted, LABELS order) of class probabilities (N, 3); the same
    figures as evaluate.classification_metrics, without TensorFlow."""
    true_labels = np.asarray(true_labels, dtype="int64")
    predicted = np.asarray(probabilities).argmax(axis=1)
    classes = list(range(len(LABELS)))
    precision, recall, f1, support = precision_recall_fscore_support(true_labels, predicted, labels=classes,
                                                                     zero_division=0)
    return {"count": int(len(true_labels)), "accuracy": float(accuracy_score(true_labels, predicted)),
            "macro_f1": float(f1_score(true_labels, predicted, labels=classes, average="macro", zero_division=0)),
            "per_class": {LABELS[index]: {"precision": float(precision[index]), "recall": float(recall[index]),
                                          "f1": float(f1[index]), "support": int(support[index])} for index in classes},
            "confusion_matrix": confusion_matrix(true_labels, predicted, labels=classes).tolist()}


def split_metrics(model: MeasuresModel, table: pd.DataFrame) -> dict | None:
    """Level metrics and score agreement (Spearman, mean absolute error) on the rows of table."""
    if not len(table):
        return None
    predicted = model.predict(table)
    scores = table[TARGET_SCORE].to_numpy(dtype="float64")
    rho = spearman(predicted["predicted_score"], scores)
    return {"participants": int(table["user_no"].nunique()),
            "level": level_metrics(level_index(scores, model.thresholds), predicted[["p0", "p1", "p2"]].to_numpy()),
            "score_spearman": None if rho is None else round(rho, 4),
            "score_mae": round(float(np.mean(np.abs(predicted["predicted_score"] - scores))), 4)}


def clips_folder(analysis_dir: str | Path, cnn_model: str | Path | None = None) -> Path:
    """Where the clip analyses of one configuration live: ANALYSIS_DIR/clips for the facial
    measures alone (as `validate` writes them), ANALYSIS_DIR/clips_<CNN name> with a CNN's
    levels, so that models with and without CNN features do not redo each other's analyses."""
    return Path(analysis_dir) / ("clips" if cnn_model is None else f"clips_{Path(cnn_model).stem}")


def resolved_options(options, cnn_model: str | Path | None = None):
    """The analysis options with every detector setting filled in (a setting left None takes
    the CNN card's crop setting, or the extraction default)."""
    if not hasattr(options, "with_card"):  # options whose detector settings are always given
        return options
    from expressiveness.card import read_card

    return options.with_card(read_card(cnn_model) if cnn_model is not None else {})


def recorded_provenance(summary: dict) -> dict:
    """What a video summary records about how it was made (nested under "provenance" in newer
    summaries, top-level keys in older ones)."""
    return summary.get("provenance", summary)


def clip_features(records: pd.DataFrame, analysis_dir: str | Path, cnn_model: str | Path | None = None,
                  options=None, workers: int = 1, progress: bool = True) -> tuple[pd.DataFrame, list[dict]]:
    """Analyse the clips of `records` (load_metadata rows) into clips_folder(analysis_dir,
    cnn_model) (resumable) and return (table, failures): one row per analysed clip with id,
    user_no, facial_expression and the features (MEASURE_FEATURES, plus CNN_FEATURES with
    cnn_model) as float64, NaN where the summary has none. A summary made with other analysis
    options than asked is refused."""
    from expressiveness.pipeline.clips import analyse_clips, clip_table
    from expressiveness.pipeline.options import AnalysisOptions

    options = options or AnalysisOptions()
    if not options.measures:
        raise ValueError("the measures model needs the facial measures; analysis options have measures=False.")
    clips_dir = clips_folder(analysis_dir, cnn_model)
    summaries, report = analyse_clips(records, cnn_model, clips_dir, options, workers, progress)
    asked = resolved_options(options, cnn_model)

    def check(summary: dict) -> None:
        recorded = recorded_provenance(summary)
        for key, field in OPTION_KEYS.items():
            if recorded.get(key) != getattr(asked, field):
                raise DatasetError(f"{clips_dir / (summary.get('name', '?') + '_summary.json')} was analysed with "
                                   f"{key} {recorded.get(key)!r}, not {getattr(asked, field)!r} as asked; use another "
                                   f"analysis folder or the same options.")

    features = MEASURE_FEATURES + (CNN_FEATURES if cnn_model is not None else ())
    table = clip_table(records, summaries, ["id", "user_no", TARGET_SCORE], features, numbers=True, check=check)
    return table, report.failures


def split_participants(records: pd.DataFrame, split_from: str | Path | None = None,
                       fractions=SPLIT_FRACTIONS, seed: int = SEED) -> tuple[pd.Series, str, dict | None]:
    """(split per record, where the split came from, the card it came from or None). With
    split_from (a model card, or a model beside one) every record gets its participant's part
    in that card's "splits" (NaN for participants the card does not list); otherwise
    participant_split of all records."""
    if split_from is None:
        return (participant_split(records, fractions, seed),
                f"participant_split of all {len(records)} clips, fractions {list(fractions)}, seed {seed}", None)
    card_path = Path(split_from) if Path(split_from).suffix == ".json" else card_path_for(split_from)
    if not card_path.is_file():
        raise FileNotFoundError(f"--split-from {split_from}: model card not found; expected the .json card of a model "
                                f"trained on this data set.")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        part_of = {str(person): name for name in SPLITS for person in card["splits"][name]["participants"]}
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise ModelFileError(f"{card_path}: no participant split in this card; expected a model card with splits "
                             f"train / validation / test and their participants.") from None
    unknown = sorted(set(part_of) - set(records["user_no"]))
    if unknown:
        raise DatasetError(f"{card_path}: its split names {len(unknown)} participant(s) not in the metadata (e.g. "
                           f"user_no {unknown[0]!r}); expected the card of a model trained on this data set.")
    return records["user_no"].map(part_of).rename("split"), str(card_path), card


def _cut_points(thresholds, split_card: dict | None, train_scores) -> tuple[tuple[float, float], str]:
    if thresholds is None and split_card is not None:
        return tuple(float(value) for value in split_card["thresholds"]), "the split card's"
    if thresholds is None or (isinstance(thresholds, str) and thresholds == "default"):
        return THRESHOLDS, "default"
    if isinstance(thresholds, str) and thresholds == "tertiles":
        return tertile_thresholds(train_scores), "tertiles of the training split"
    if isinstance(thresholds, str):
        raise ValueError(f'thresholds is {thresholds!r}; expected "default", "tertiles" or two numbers.')
    return tuple(float(value) for value in thresholds), "given"


def train_measures_model(metadata_path: str | Path, models_dir: str | Path = MODELS_DIR,
                         config: MeasuresConfig | None = None, analysis_dir: str | Path = ANALYSIS_DIR,
                         cnn_model: str | Path | None = None, split_from: str | Path | None = None, options=None,
                         workers: int = 1, progress: bool = True, overwrite: bool = False) -> MeasuresTrainResult:
    """Train a measures model on every clip of a data set and save it with its card in models_dir.

    cnn_model: a trained CNN whose mean level probabilities join the features. split_from: the
    card of the CNN (or another model) whose participant split to reuse. options: how clips
    are analysed (pipeline.options.AnalysisOptions; recorded). Raises FileExistsError when the model
    exists and overwrite is False (checked before any work), DatasetError for unusable data.
    """
    from expressiveness.pipeline.options import AnalysisOptions

    config = config or MeasuresConfig()
    options = options or AnalysisOptions()
    models_dir = Path(models_dir)
    card_path = models_dir / f"{config.name}.json"
    if keras_path_for(card_path).exists():
        raise FileExistsError(f"{keras_path_for(card_path)} is a CNN of that name and {card_path.name} its card; choose "
                              f"another name (--name) for the measures model.")
    if card_path.exists() and not overwrite:
        raise FileExistsError(f"{card_path} exists; pass --overwrite to replace it, or choose another name (--name).")
    started = time.perf_counter()
    training_data = training_data_record(metadata_path)
    records = load_metadata(metadata_path)
    split, split_source, split_card = split_participants(records, split_from, config.split_fractions,
                                                         config.split_seed)
    records = records.assign(split=split.to_numpy())
    table, failures = clip_features(records, analysis_dir, cnn_model, options, workers, progress)
    table = table.merge(records[["id", "split"]], on="id", how="left")
    usable = table[table["landmarks_share"] > 0]
    if usable.empty:
        raise DatasetError(f"{metadata_path}: none of its {len(table)} analysed clips has face landmarks ({len(failures)} "
                           f"could not be read); expected clips where MediaPipe finds the face (see "
                           f"{clips_folder(analysis_dir, cnn_model)}).")
    train = usable[usable["split"] == "train"]
    thresholds, threshold_source = _cut_points(config.thresholds, split_card, train[TARGET_SCORE])
    features = [name for name in table.columns[3:] if name != "split"]
    dropped = {name: "no value in the training split" for name in features if train[name].isna().all()}
    features = [name for name in features if name not in dropped]
    regressor, classifier, cross_validation = fit_estimators(train, features, thresholds, config.estimator,
                                                             config.cv_folds, config.seed, config.grids)
    card = {
        "card_version": CARD_VERSION, "kind": CARD_KIND, "name": config.name, "estimator": config.estimator,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "target": TARGET_SCORE, "labels": list(LABELS), "thresholds": list(thresholds),
        "threshold_source": threshold_source, "features": features, "dropped_features": dropped,
        "imputation": dict(zip(features, regressor.params["imputation"] if config.estimator == "linear"
                               else regressor.named_steps["impute"].statistics_.tolist())),
        "cnn_model": None,
        "training_data": training_data,
        "analysis": {**{key: getattr(resolved_options(options, cnn_model), field) for key, field in OPTION_KEYS.items()},
                     "analysis_dir": str(analysis_dir), "clips_dir": str(clips_folder(analysis_dir, cnn_model))},
        "data": {"metadata": str(metadata_path), "clips": int(len(records)), "analysed": int(len(table)),
                 "without_landmarks": int(len(table) - len(usable)), "failed": len(failures),
                 "outside_the_split": int(records["split"].isna().sum())},
        "training": {**asdict(config), "thresholds": config.thresholds},
        "split_source": split_source,
        "splits": {name: {"participants": sorted(records.loc[records["split"] == name, "user_no"].unique().tolist(),
                                                 key=_natural),
                          "clips": usable.loc[usable["split"] == name, "id"].tolist(),
                          "class_counts": np.bincount(level_index(usable.loc[usable["split"] == name, TARGET_SCORE],
                                                                  thresholds), minlength=len(LABELS)).tolist()}
                   for name in SPLITS},
        "cross_validation": cross_validation,
        "versions": package_versions(VERSIONED_PACKAGES),
    }
    if cnn_model is not None:
        from expressiveness.card import read_card

        card["cnn_model"] = {"name": read_card(cnn_model).get("name", Path(cnn_model).stem), "path": str(cnn_model)}
    model = MeasuresModel(card, regressor, classifier)
    card["metrics"] = {name: split_metrics(model, usable[usable["split"] == name]) for name in ("validation", "test")}
    card["seconds"] = round(time.perf_counter() - started, 1)
    models_dir.mkdir(parents=True, exist_ok=True)
    model_path = save_measures_model(model, card_path)
    return MeasuresTrainResult(model, card_path, model_path, time.perf_counter() - started)


def _natural(text: str):
    return (0, int(text)) if text.isdigit() else (1, text)
