"""Several models side by side on the same held-out participants, with two baselines.

Each model answers per test clip: the CNN (NAME.keras with its card) the mean of its frame
probabilities over the clip's cached crops, run through its LiteRT export (no TensorFlow),
and its expected level; a measures model (NAME.json of kind "measures") its level
probabilities and predicted score from the clip's facial measures. Every model must hold out
the same test participants with the same cut points. Only clips every model can answer count
(a clip without crops or without face landmarks is left out for all, and counted). Beside them
a majority and a stratified-random baseline, from the levels of the training participants'
clips. Per answer: video-level accuracy, macro-F1, per-class recall, and Spearman of the
answer with `facial_expression` per clip (95% interval resampling participants) and per
participant (each person's means).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness._io import atomic_write
from expressiveness.card import CNN, ModelCard
from expressiveness.config import LABELS, SEED, TARGET_SCORE
from expressiveness.errors import DatasetError
from expressiveness.measures.model import load_measures_model
from expressiveness.agreement.train_measures import level_metrics
from expressiveness.data.metadata import load_metadata
from expressiveness.data.levels import expected_level, level_index
from expressiveness.agreement.correlation import BOOTSTRAP_SAMPLES, correlate
from expressiveness.agreement.validate import DEMO_NOTE

PROBABILITIES = ["p0", "p1", "p2"]  # LABELS order
ANSWER_NAMES = {"cnn": "expected level (mean frame probabilities)", "measures": "predicted score",
                "baseline": "predicted level"}


def open_model(path: str | Path) -> dict:
    """{"name", "kind" ("cnn" or "measures"), "path", "card", "model", "model_card"} of a CNN (.keras, .tflite or its
    card) or a measures model (its card, .linear.json or .skops): card.ModelCard.read knows which;
    raises for an unknown file."""
    card = ModelCard.read(path)
    if card.kind == CNN:
        return {"name": card.name, "kind": "cnn", "path": card.model_path, "card": card.data, "model": None,
                "model_card": card}
    model = load_measures_model(card.path)
    return {"name": model.name, "kind": "measures", "path": model.card_path, "card": model.card, "model": model,
            "model_card": card}


def cnn_predictions(model_path: str | Path, ids, cache_dir: str | Path) -> pd.DataFrame:
    """Per clip with cached crops: p0..p2, the mean of the CNN's frame probabilities, and
    answer, their expected level in [0, 2]."""
    from expressiveness.data.cache import load_cached_crops
    from expressiveness.levels.predict import Predictor

    cached = load_cached_crops(cache_dir, ids)
    if not cached:
        raise DatasetError(f"{cache_dir}: no crops for any of the {len(ids)} test clips; run `expressiveness extract` "
                           f"on the data set first, or give the cache the CNN was trained on (--cache).")
    predictor = Predictor(model_path)
    means = np.array([predictor.predict(cached[video_id]["crops"]).astype("float64").mean(axis=0)
                      for video_id in cached])
    frame = pd.DataFrame(means, columns=PROBABILITIES, index=pd.Index(list(cached), name="id"))
    frame["answer"] = expected_level(means)
    return frame


def measures_predictions(model, records: pd.DataFrame, analysis_dir=None, workers: int = 1,
                         progress: bool = True) -> pd.DataFrame:
    """Per clip with face landmarks: p0..p2 and answer, the predicted score. Clips are analysed
    (or their analyses reused) with the options and the CNN recorded in the model's card."""
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.agreement.train_measures import clip_features

    card = model.card
    analysis = card["analysis"]
    options = AnalysisOptions(every=analysis["every"],
                              min_confidence=analysis["min_confidence"], face_selection=analysis["face_selection"])
    cnn = card["cnn_model"]["path"] if card.get("cnn_model") else None
    table, _ = clip_features(records, analysis_dir or analysis["analysis_dir"], cnn, options, workers, progress)
    table = table[table["landmarks_share"] > 0].set_index("id")
    predicted = model.predict(table)
    return predicted[PROBABILITIES].assign(answer=predicted["predicted_score"])


def baseline_predictions(ids, train_counts, kind: str, seed: int = SEED) -> pd.DataFrame:
    """"majority" (the training clips' most common level) or "stratified" (a random level per
    clip with the training clips' frequencies); answer is the level index."""
    counts = np.asarray(train_counts, dtype="float64")
    if kind == "majority":
        chosen = np.full(len(ids), int(counts.argmax()))
    else:
        chosen = np.random.default_rng(seed).choice(len(LABELS), size=len(ids), p=counts / counts.sum())
    frame = pd.DataFrame(np.eye(len(LABELS))[chosen], columns=PROBABILITIES, index=pd.Index(list(ids), name="id"))
    frame["answer"] = chosen.astype("float64")
    return frame


def score_answers(clips: pd.DataFrame, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> dict:
    """Metrics of one model's answers. clips: one row per clip with user_no, facial_expression,
    label (true level index), p0..p2 and answer (a number that should rise with the score)."""
    spearman = correlate(clips, "answer", samples, seed)
    return {"video": level_metrics(clips["label"], clips[PROBABILITIES].to_numpy()),
            **{key: spearman[key] for key in ("clip_spearman", "clip_spearman_ci95", "participant_spearman")}}


@dataclass
class Comparison:
    report: dict
    clips: pd.DataFrame  # one row per compared clip: each model's answer and predicted level
    out_dir: Path

    def text(self) -> str:
        test = self.report["test_set"]
        lines = [f"Test set: {test['participants']} participants, {test['clips']} clips answered by every model "
                 f"(of {test['clips_of_test_participants']})."]
        width = max(len(row["name"]) for row in self.report["models"])
        for row in self.report["models"]:
            rho = row["clip_spearman"]
            lines.append(f"  {row['name']:<{width}}  video acc {row['video']['accuracy']:.3f}  macro-F1 "
                         f"{row['video']['macro_f1']:.3f} | Spearman {'n/a' if rho is None else f'{rho:+.3f}'}")
        return "\n".join(lines + ([self.report["note"]] if self.report["note"] else [])
                         + [f"Table: {self.out_dir / 'comparison.md'}"])


def compare_models(model_paths, metadata_path: str | Path, out_dir: str | Path, cache_dir: str | Path | None = None,
                   analysis_dir: str | Path | None = None, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED,
                   workers: int = 1, progress: bool = True) -> Comparison:
    """Evaluate every model, and the two baselines, on the test participants their cards share.

    cache_dir: the crop cache for CNNs (default: the one in the CNN's card); analysis_dir: the
    clip analyses for measures models (default: the one in their card). Writes comparison.json,
    comparison.md and comparison_clips.csv into out_dir. Raises DatasetError when the models
    hold out different participants or use different cut points.
    """
    from expressiveness.data.demo_data import is_demo_dataset

    models = [open_model(path) for path in model_paths]
    if not models:
        raise ValueError("no model to compare; expected at least one model file.")
    first = models[0]
    tested = sorted(first["model_card"].split("test"))
    for other in models[1:]:
        if sorted(other["model_card"].split("test")) != tested:
            raise DatasetError(f"{first['path']} and {other['path']} hold out different test participants; train the "
                               f"measures model with --split-from the CNN's card so that both are tested on the same "
                               f"people.")
        if list(other["card"]["thresholds"]) != list(first["card"]["thresholds"]):
            raise DatasetError(f"{first['path']} and {other['path']} use different cut points "
                               f"({first['card']['thresholds']} and {other['card']['thresholds']}); expected the same "
                               f"levels (train with the same --thresholds).")
    thresholds = tuple(first["card"]["thresholds"])
    records = load_metadata(metadata_path)
    test = records[records["user_no"].isin(tested)].reset_index(drop=True)
    if test.empty:
        raise DatasetError(f"{metadata_path} has no clip of the test participants of {first['path']}; expected the "
                           f"data set the models were trained on.")
    clips = test[["id", "user_no", TARGET_SCORE]].assign(label=level_index(test[TARGET_SCORE], thresholds))

    answers, missing = {}, {}
    for model in models:
        if model["name"] in answers:  # two models of one name: tell them apart by file
            model["name"] = f"{model['name']} ({Path(model['path']).name})"
        if model["kind"] == "cnn":
            cache = cache_dir or model["card"].get("data", {}).get("cache_dir")
            if cache is None:
                raise DatasetError(f"{model['path']}: its card names no crop cache; give the one it was trained on "
                                   f"(--cache).")
            predicted = cnn_predictions(model["path"], list(test["id"]), cache)
        else:
            predicted = measures_predictions(model["model"], test, analysis_dir, workers, progress)
        answers[model["name"]] = predicted
        missing[model["name"]] = int((~clips["id"].isin(predicted.index)).sum())
    common = clips[np.logical_and.reduce([clips["id"].isin(predicted.index) for predicted in answers.values()])]
    if common.empty:
        raise DatasetError(f"no test clip of {metadata_path} is answered by every model; expected crops and face "
                           f"landmarks for the same clips.")
    train_people = first["model_card"].split("train")
    train_counts = np.bincount(level_index(records.loc[records["user_no"].isin(train_people), TARGET_SCORE],
                                           thresholds), minlength=len(LABELS))
    answers["majority baseline"] = baseline_predictions(common["id"], train_counts, "majority")
    answers["stratified random baseline"] = baseline_predictions(common["id"], train_counts, "stratified", seed)

    rows, table = [], common.reset_index(drop=True).copy()
    kinds = {model["name"]: model for model in models}
    for name, predicted in answers.items():
        joined = common.join(predicted, on="id")
        kind = kinds[name]["kind"] if name in kinds else "baseline"
        rows.append({"name": name, "kind": kind, "path": str(kinds[name]["path"]) if name in kinds else None,
                     "answer": ANSWER_NAMES[kind], "clips_without_answer": missing.get(name, 0),
                     **score_answers(joined, samples, seed)})
        table[f"{name}: answer"] = joined["answer"].to_numpy()
        table[f"{name}: level"] = joined[PROBABILITIES].to_numpy().argmax(axis=1)
    report = {"metadata": str(metadata_path), "labels": list(LABELS), "thresholds": list(thresholds),
              "bootstrap_samples": samples,
              "test_set": {"participants": int(common["user_no"].nunique()), "participant_ids": tested,
                           "clips": int(len(common)), "clips_of_test_participants": int(len(clips)),
                           "train_clip_levels": train_counts.tolist()},
              "note": DEMO_NOTE if is_demo_dataset(Path(metadata_path).parent) else "", "models": rows}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "comparison.json", json.dumps(report, indent=2, allow_nan=False))
    atomic_write(out_dir / "comparison.md", markdown_table(report))
    atomic_write(out_dir / "comparison_clips.csv", table.to_csv(index=False))
    return Comparison(report, table, out_dir)


def markdown_table(report: dict) -> str:
    def number(value):
        return "n/a" if value is None else f"{value:+.2f}"

    test = report["test_set"]
    lines = ["# Models side by side on the same test participants\n",
             f"{test['participants']} held-out participants, {test['clips']} clips answered by every model (of "
             f"{test['clips_of_test_participants']}). Cut points {report['thresholds'][0]:.3f} / "
             f"{report['thresholds'][1]:.3f}. Spearman is of each model's answer with `{TARGET_SCORE}`; its 95% "
             f"interval resamples participants.\n"]
    if report["note"]:
        lines.append(f"**{report['note']}**\n")
    lines += ["| model | answer | accuracy | macro-F1 | " + " | ".join(f"recall {label}" for label in LABELS)
              + " | Spearman (clips) | 95% CI | Spearman (participant means) |", "|---" * 10 + "|"]
    for row in report["models"]:
        video, interval = row["video"], row["clip_spearman_ci95"]
        recalls = " | ".join(f"{video['per_class'][label]['recall']:.2f}" for label in LABELS)
        lines.append(f"| {row['name']} | {row['answer']} | {video['accuracy']:.2f} | {video['macro_f1']:.2f} | "
                     f"{recalls} | {number(row['clip_spearman'])} | "
                     f"{'n/a' if interval is None else f'{interval[0]:+.2f} to {interval[1]:+.2f}'} | "
                     f"{number(row['participant_spearman'])} |")
    return "\n".join(lines) + "\n"
