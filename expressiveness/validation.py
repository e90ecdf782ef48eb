"""Checking video-level answers against human ratings: Spearman correlations with bootstrap
intervals over participants, at clip level and at participant level.

`validate_dataset` analyses every clip of a RecruitView-format data set (facial measures, and
the CNN's levels when a model is given; parallel and resumable through pipeline/batch.py) and correlates
each video-level answer with `facial_expression`. Clips of one person are not independent, so
the 95% interval resamples participants (with all their clips), not clips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from expressiveness._io import atomic_write
from expressiveness.config import TARGET_SCORE
from expressiveness.correlation import BOOTSTRAP_SAMPLES, correlate

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
DEMO_NOTE = ("This is the demo data set: its facial_expression labels were computed from how much the picture "
             "moves, so agreement with motion-based measures here is circular and says nothing about human "
             "ratings.")


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
    from expressiveness.pipeline.batch import analyze_paths
    from expressiveness.data.demo_data import is_demo_dataset
    from expressiveness.pipeline.frames import AnalysisOptions
    from expressiveness.data.metadata import load_metadata

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
