"""Evaluation on held-out participants, side by side with simple baselines.

Frame level: every crop of a test clip, labelled with its clip's level. Video level: the mean
of a clip's frame probabilities. The test clips are those recorded in the model card, so the
evaluation uses exactly the participants that training held out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from expressiveness._io import atomic_write
from expressiveness.data.cache import crop_settings, load_cached_crops
from expressiveness.config import CACHE_DIR, LABELS, SEED, TARGET_SCORE
from expressiveness.errors import CacheError, DatasetError
from expressiveness.data.metadata import load_metadata
from expressiveness.data.levels import expected_level, level_index
from expressiveness.levels.model import card_path_for, load_model
from expressiveness.agreement.correlation import spearman

LEAKAGE_NOTE = ("Splits are by participant: no person in the test set was seen in training. A random split "
                "of frames (the original project's approach) puts frames of the same person and clip in "
                "train and test, so it measures recognition of people, not of expressiveness, and reports "
                "inflated accuracy.")


def classification_metrics(true_labels, probabilities) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix
    (rows: true level, columns: predicted level, LABELS order) of class probabilities (N, 3)."""
    true_labels = np.asarray(true_labels, dtype="int64")
    predicted = np.asarray(probabilities).argmax(axis=1)
    classes = list(range(len(LABELS)))
    precision, recall, f1, support = precision_recall_fscore_support(
        true_labels, predicted, labels=classes, zero_division=0)
    return {
        "count": int(len(true_labels)),
        "accuracy": float(accuracy_score(true_labels, predicted)),
        "macro_f1": float(f1_score(true_labels, predicted, labels=classes, average="macro", zero_division=0)),
        "per_class": {LABELS[index]: {"precision": float(precision[index]), "recall": float(recall[index]),
                                      "f1": float(f1[index]), "support": int(support[index])}
                      for index in classes},
        "confusion_matrix": confusion_matrix(true_labels, predicted, labels=classes).tolist(),
    }


def score_predictions(frames: pd.DataFrame, clips: pd.DataFrame) -> dict:
    """Frame- and video-level metrics of one predictor.

    frames: one row per crop with `id` (clip), `label` and `p0`, `p1`, `p2`.
    clips: one row per clip with `id`, `label` and `facial_expression`.
    """
    columns = [f"p{index}" for index in range(len(LABELS))]
    per_clip = frames.groupby("id", sort=False)[columns].mean()
    clips = clips.set_index("id").loc[per_clip.index]
    return {
        "frame": classification_metrics(frames["label"], frames[columns].to_numpy()),
        "video": classification_metrics(clips["label"], per_clip.to_numpy()),
        "spearman_expected_level_vs_score": spearman(expected_level(per_clip.to_numpy()), clips[TARGET_SCORE]),
    }


def baseline_predictions(frames: pd.DataFrame, train_class_counts, kind: str, seed: int = SEED) -> pd.DataFrame:
    """Baseline probabilities: "majority" (the training split's most common level, always) or
    "stratified" (a random level per crop, drawn with the training split's level frequencies)."""
    counts = np.asarray(train_class_counts, dtype="float64")
    one_hot = np.eye(len(LABELS))
    if kind == "majority":
        chosen = np.full(len(frames), int(counts.argmax()))
    elif kind == "stratified":
        chosen = np.random.default_rng(seed).choice(len(LABELS), size=len(frames), p=counts / counts.sum())
    else:
        raise ValueError(f'baseline kind is {kind!r}; expected "majority" or "stratified".')
    result = frames[["id", "label"]].copy()
    result[[f"p{index}" for index in range(len(LABELS))]] = one_hot[chosen]
    return result


def _settings(differences: dict, side: int) -> str:
    return ", ".join(f"{key} {pair[side]!r}" for key, pair in differences.items())


@dataclass
class Evaluation:
    report: dict
    path: Path | None

    def text(self) -> str:
        rows = []
        for name in ("model", "majority_baseline", "stratified_random_baseline"):
            result = self.report[name]
            rho = result["spearman_expected_level_vs_score"]
            rows.append(f"  {name:28s} frame acc {result['frame']['accuracy']:.3f}  macro-F1 "
                        f"{result['frame']['macro_f1']:.3f} | video acc {result['video']['accuracy']:.3f}  "
                        f"macro-F1 {result['video']['macro_f1']:.3f} | Spearman "
                        f"{'n/a' if rho is None else f'{rho:.3f}'}")
        test = self.report["test_set"]
        dropped = test.get("clips_without_crops", [])
        left_out = (f" {len(dropped)} test clips have no crop in the cache and are left out: "
                    f"{', '.join(dropped)}." if dropped else "")
        return "\n".join([f"Test set: {test['participants']} participants, {test['clips']} clips, "
                          f"{test['crops']} crops (held-out participants).{left_out}"] + rows
                         + ([f"Report: {self.path}"] if self.path else []))


def evaluate_model(model_path: str | Path, metadata_path: str | Path, cache_dir: str | Path | None = None,
                   out_path: str | Path | None = None, seed: int = SEED) -> Evaluation:
    """Evaluate a trained model on the test participants recorded in its card, with the crops
    of `cache_dir` (default: the cache the card says the model was trained on).

    Writes the report as JSON to out_path (default: beside the model, <name>_evaluation.json;
    pass False to skip writing). Returns the report with the model's and the baselines' metrics.
    """
    model, card = load_model(model_path)
    if cache_dir is None:
        cache_dir = card.get("data", {}).get("cache_dir") or CACHE_DIR
    test_ids = card.get("splits", {}).get("test", {}).get("clips")
    train_counts = card.get("splits", {}).get("train", {}).get("class_counts")
    if not test_ids or not train_counts:
        raise DatasetError(f"{model_path}: its model card has no test split; expected a card written by "
                           f"`expressiveness train`.")
    records = load_metadata(metadata_path).set_index("id")
    unknown = [video_id for video_id in test_ids if video_id not in records.index]
    if unknown:
        raise DatasetError(f"{metadata_path} lacks {len(unknown)} test clips of the model card (e.g. id "
                           f"{unknown[0]!r}); expected the data set the model was trained on.")
    # Crops cut another way (margin, alignment, detector) are not what the model learned from.
    made_with, trained_with = crop_settings(cache_dir), card.get("crop") or {}
    differences = {key: (made_with.get(key), value) for key, value in trained_with.items()
                   if key in made_with and made_with[key] != value}
    if differences:
        raise CacheError(f"{cache_dir} holds crops made with {_settings(differences, 0)} but the model "
                         f"card {card_path_for(model_path)} says {_settings(differences, 1)}; extract a "
                         f"cache with the card's crop settings (--cache NEW_FOLDER).")
    clips = records.loc[test_ids].reset_index()[["id", "user_no", TARGET_SCORE]]
    clips["label"] = level_index(clips[TARGET_SCORE], card["thresholds"])
    cached = load_cached_crops(cache_dir, clips["id"])
    if not cached:
        raise DatasetError(f"{cache_dir}: no crops for the {len(clips)} test clips; run `expressiveness extract` "
                           f"with the same data set first.")
    dropped = [video_id for video_id in clips["id"] if video_id not in cached]  # no face, or not extracted
    clips = clips[clips["id"].isin(list(cached))].reset_index(drop=True)
    crops = np.concatenate([cached[video_id]["crops"] for video_id in clips["id"]])[..., np.newaxis]
    counts = [len(cached[video_id]["crops"]) for video_id in clips["id"]]
    probabilities = model.predict(crops.astype("float32"), batch_size=256, verbose=0)
    frames = pd.DataFrame({"id": np.repeat(clips["id"].to_numpy(), counts),
                           "label": np.repeat(clips["label"].to_numpy(), counts)})
    frames[[f"p{index}" for index in range(len(LABELS))]] = probabilities

    report = {
        "model": score_predictions(frames, clips),
        "majority_baseline": score_predictions(baseline_predictions(frames, train_counts, "majority"), clips),
        "stratified_random_baseline": score_predictions(
            baseline_predictions(frames, train_counts, "stratified", seed), clips),
        "labels": list(LABELS),
        "thresholds": card["thresholds"],
        "test_set": {"participants": int(clips["user_no"].nunique()), "clips": int(len(clips)),
                     "crops": int(len(frames)), "participant_ids": sorted(clips["user_no"].unique().tolist()),
                     "clips_without_crops": dropped},
        "model_path": str(model_path),
        "note": LEAKAGE_NOTE,
    }
    path = None
    if out_path is not False:
        path = Path(out_path) if out_path else Path(model_path).with_name(f"{Path(model_path).stem}_evaluation.json")
        atomic_write(path, json.dumps(report, indent=2))
    return Evaluation(report, path)
