"""Checking video-level answers against human ratings: Spearman correlations with bootstrap
intervals over participants, at clip level and at participant level.

`validate_dataset` analyses every clip of a RecruitView-format data set (facial measures, and
the CNN's levels when a model is given; parallel and resumable through batch.py) and correlates
each video-level answer with `facial_expression`. Clips of one person are not independent, so
the 95% interval resamples participants (with all their clips), not clips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ._io import atomic_write
from .config import SEED, TARGET_SCORE

# Video-level answers checked against the ratings: summary key -> what it is.
ANSWERS = {
    "expressivity_mean": "mean facial expressivity (% inter-ocular distance)",
    "expressivity_p90": "90th percentile of facial expressivity",
    "expressivity_brows_mean": "mean expressivity of the brows",
    "expressivity_eyes_mean": "mean expressivity of the eyes",
    "expressivity_mouth_mean": "mean expressivity of the mouth",
    "facial_motion_mean": "mean facial motion (% inter-ocular distance per s)",
    "head_motion_deg_s_mean": "mean head motion (deg/s)",
    "head_yaw_range_deg": "head yaw range, 5th-95th percentile (deg)",
    "blinks_per_minute": "blinks per minute",
    "expected_level": "CNN's expected level (0 Reserved .. 2 Expressive)",
}
BOOTSTRAP_SAMPLES = 1000
DEMO_NOTE = ("This is the demo data set: its facial_expression labels were computed from how much the picture "
             "moves, so agreement with motion-based measures here is circular and says nothing about human "
             "ratings.")


def spearman(values, scores) -> float | None:
    """Spearman rank correlation, or None when it is undefined (fewer than 3 pairs, or one side
    constant). Pairs with a missing value are left out."""
    values, scores = np.asarray(values, dtype="float64"), np.asarray(scores, dtype="float64")
    keep = np.isfinite(values) & np.isfinite(scores)
    values, scores = values[keep], scores[keep]
    if len(values) < 3 or np.all(values == values[0]) or np.all(scores == scores[0]):
        return None
    return float(spearmanr(values, scores).statistic)


def bootstrap_spearman(values, scores, groups, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> list | None:
    """95% percentile interval [low, high] of the Spearman correlation when whole groups
    (participants) are resampled with replacement; None when fewer than 3 groups or fewer than
    half the resamples give a defined correlation."""
    frame = pd.DataFrame({"value": np.asarray(values, dtype="float64"), "score": np.asarray(scores, dtype="float64"),
                          "group": np.asarray(groups)})
    members = [part.index.to_numpy() for _, part in frame.groupby("group", sort=True)]
    if len(members) < 3:
        return None
    rng = np.random.default_rng(seed)
    value, score = frame["value"].to_numpy(), frame["score"].to_numpy()
    estimates = []
    for _ in range(samples):
        rows = np.concatenate([members[index] for index in rng.integers(len(members), size=len(members))])
        estimate = spearman(value[rows], score[rows])
        if estimate is not None:
            estimates.append(estimate)
    if len(estimates) < samples / 2:
        return None
    low, high = np.percentile(estimates, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def correlate(clips: pd.DataFrame, answer: str, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> dict:
    """Spearman of one answer column with facial_expression: per clip (with the participant
    bootstrap interval) and per participant (each person's mean of both). clips has columns
    answer, TARGET_SCORE and user_no; rows with a missing answer are left out and counted."""
    usable = clips[[answer, TARGET_SCORE, "user_no"]].astype({answer: "float64"})
    usable = usable[np.isfinite(usable[answer])]
    people = usable.groupby("user_no")[[answer, TARGET_SCORE]].mean()
    clip_rho = spearman(usable[answer], usable[TARGET_SCORE])
    person_rho = spearman(people[answer], people[TARGET_SCORE])
    return {"answer": answer, "clips": int(len(usable)), "participants": int(len(people)),
            "clip_spearman": None if clip_rho is None else round(clip_rho, 4),
            "clip_spearman_ci95": bootstrap_spearman(usable[answer], usable[TARGET_SCORE], usable["user_no"],
                                                     samples, seed),
            "participant_spearman": None if person_rho is None else round(person_rho, 4)}


def validation_table(clips: pd.DataFrame, answers=None, samples: int = BOOTSTRAP_SAMPLES) -> list[dict]:
    """correlate() for every answer column present in clips (ANSWERS by default)."""
    answers = [answer for answer in (answers or ANSWERS) if answer in clips and clips[answer].notna().any()]
    return [correlate(clips, answer, samples) for answer in answers]


def markdown_table(rows: list[dict], note: str = "") -> str:
    def number(value):
        return "n/a" if value is None else f"{value:+.2f}"

    lines = ["| answer | clips | Spearman (clips) | 95% CI (participants resampled) | participants | "
             "Spearman (participant means) |", "|---|---|---|---|---|---|"]
    for row in rows:
        interval = row["clip_spearman_ci95"]
        lines.append(f"| {ANSWERS.get(row['answer'], row['answer'])} | {row['clips']} | {number(row['clip_spearman'])} "
                     f"| {'n/a' if interval is None else f'{interval[0]:+.2f} to {interval[1]:+.2f}'} "
                     f"| {row['participants']} | {number(row['participant_spearman'])} |")
    header = f"# Facial measures against `{TARGET_SCORE}`\n\n"
    return header + (f"**{note}**\n\n" if note else "") + "\n".join(lines) + "\n"


@dataclass
class Validation:
    clips: pd.DataFrame  # one row per analysed clip: id, user_no, facial_expression, the answers
    rows: list[dict]
    note: str
    failures: list[dict]

    def text(self) -> str:
        best = [row for row in self.rows if row["clip_spearman"] is not None]
        lines = [f"{len(self.clips)} clips of {self.clips['user_no'].nunique() if len(self.clips) else 0} "
                 f"participants analysed, {len(self.failures)} failed."]
        lines += [f"  {row['answer']:<26} rho {row['clip_spearman']:+.2f} (clips), "
                  f"{'n/a' if row['participant_spearman'] is None else format(row['participant_spearman'], '+.2f')} "
                  f"(participants)" for row in best]
        return "\n".join(lines + ([self.note] if self.note else []))


def validate_dataset(metadata_path: str | Path, out_dir: str | Path, model_path: str | Path | None = None,
                     options=None, workers: int = 1, progress: bool = True, figure=None,
                     samples: int = BOOTSTRAP_SAMPLES, dask=None) -> Validation:
    """Analyse every clip of a data set into out_dir/clips (resumable), then correlate each
    video-level answer with facial_expression. Writes validation.json, validation.md and
    clips.csv into out_dir, and figure(clips, rows, path) -> validation.png when given. dask:
    run the clips on a Dask cluster (see batch.analyze_paths)."""
    from .batch import analyze_paths
    from .demo_data import is_demo_dataset
    from .frames import AnalysisOptions
    from .metadata import load_metadata

    records = load_metadata(metadata_path)
    out_dir = Path(out_dir)
    options = options or AnalysisOptions()
    report = analyze_paths(list(records["video_path"]), model_path, out_dir / "clips", options, workers,
                           progress=progress, dask=dask)
    by_video = {str(Path(summary["video"]).resolve()): summary for summary in report.summaries}
    rows = []
    for record in records.itertuples(index=False):
        summary = by_video.get(str(Path(record.video_path).resolve()))
        if summary is not None:
            rows.append({"id": record.id, "user_no": record.user_no, TARGET_SCORE: getattr(record, TARGET_SCORE),
                         **{answer: summary.get(answer) for answer in ANSWERS}})
    clips = pd.DataFrame(rows, columns=["id", "user_no", TARGET_SCORE, *ANSWERS])
    table = validation_table(clips, samples=samples) if len(clips) else []
    note = DEMO_NOTE if is_demo_dataset(Path(metadata_path).parent) else ""
    atomic_write(out_dir / "clips.csv", clips.to_csv(index=False))
    atomic_write(out_dir / "validation.json", json.dumps(
        {"metadata": str(metadata_path), "model": None if model_path is None else str(model_path),
         "target": TARGET_SCORE, "bootstrap_samples": samples, "note": note, "answers": table,
         "failures": report.failures}, indent=2, allow_nan=False))
    atomic_write(out_dir / "validation.md", markdown_table(table, note))
    if figure is not None and table:
        figure(clips, table, out_dir / "validation.png")
    return Validation(clips, table, note, report.failures)
