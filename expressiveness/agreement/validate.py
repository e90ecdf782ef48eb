"""Checking video-level answers against human ratings: Spearman correlations with bootstrap
intervals over participants, at clip level, at participant level and within participants.

`validate_dataset` analyses every clip of a RecruitView-format data set (facial measures, and
the CNN's levels when a model is given; parallel and resumable through pipeline/clips.py) and
correlates each video-level answer with a rating column (`facial_expression` by default, or
every score). Clips of one person are not independent, so the 95% intervals resample
participants (with all their clips), not clips.

Four figures per (rating, answer):
- per clip: Spearman rho over clips, with the participant bootstrap interval;
- partial, per clip: the same with the other ratings held constant (agreement/partial.py: does
  the answer follow the rating itself, or what it shares with the others, such as the overall
  quality of the answer?), with its participant bootstrap interval;
- per participant: Spearman rho of each person's mean answer with their mean rating;
- within participants: Spearman rho of (clip's answer minus its participant's mean answer) with
  (clip's rating minus its participant's mean rating), over the clips of participants with at
  least 2 clips. It asks whether a person's more expressive clips are the ones rated higher,
  with everything fixed about the person (face shape, camera, rater's view of them) taken out.

Besides the fixed ANSWERS, the CHOSEN_BLENDSHAPES single blendshapes (bs_<name>_mean) whose
clip-level |rho| with the rating is largest are added, flagged chosen_after_looking: they were
picked from the 43 expression blendshapes (gaze and _neutral left out) because they correlate best on these very clips, so their rho and interval
overstate what they would show on new data. They are exploratory, not results.

When the summaries split the measures by voice activity (speaking_share, and M_speaking and
M_listening for a measure M), the share and the splits of ANSWERS are answers too; without them
the table is as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expressiveness._io import atomic_write, output_folder
from expressiveness.config import SCORE_FIELDS, TARGET_SCORE
from expressiveness.agreement.correlation import BOOTSTRAP_SAMPLES, correlate, spearman
from expressiveness.agreement.partial import CONTROL_ALL, controls_sentence, partial_correlation, partial_text, rating_controls
from expressiveness.agreement.within import SHORT_NOTES, within_correlation, within_person
from expressiveness.agreement.answers import (ANSWERS, CHOSEN_BLENDSHAPES, CLIP_COLUMNS, SINGLE_BLENDSHAPES, SPLIT_SIDES,
                                              candidate_answers, describe, speech_columns)

# The answers drawn in the within-participant figure, when present.
WITHIN_FIGURE_ANSWERS = ("expressivity_mean", "blendshape_expressivity_mean", "expected_level")

DEMO_NOTE = ("This is the demo data set: its facial_expression labels were computed from how much the picture "
             "moves, so agreement with motion-based measures here is circular and says nothing about human "
             "ratings.")
DEMO_OTHER_SCORES_NOTE = ("Its other scores are seeded noise correlated with facial_expression, not ratings "
                          "either.")


def rating_targets(target: str, available=SCORE_FIELDS) -> tuple[str, ...]:
    """The rating columns `target` names: itself when it is one of `available` (the metadata's
    score columns), all of them for "all" (TARGET_SCORE first: the figures are drawn for the
    first). Raises ValueError naming it and listing them otherwise."""
    if target == "all":
        return tuple(sorted(available, key=lambda name: name != TARGET_SCORE))  # stable: the rest keep their order
    if target in available:
        return (target,)
    raise ValueError(f"{target!r} is not a rating column; expected all or one of {', '.join(available)}.")


def chosen_blendshapes(clips: pd.DataFrame, target: str, count: int = CHOSEN_BLENDSHAPES) -> tuple[list[str], int]:
    """The `count` single blendshapes (SINGLE_BLENDSHAPES columns present in clips) whose
    clip-level |Spearman| with `target` is largest, best first (ties in SINGLE_BLENDSHAPES
    order), and how many candidates had a defined correlation."""
    scored = []
    for column in SINGLE_BLENDSHAPES:
        if column in clips:
            rho = spearman(clips[column], clips[target])
            if rho is not None:
                scored.append((abs(rho), column))
    scored.sort(key=lambda pair: -pair[0])  # stable: ties keep the candidates' order
    return [column for _, column in scored[:count]], len(scored)


def rating_columns(clips: pd.DataFrame) -> list[str]:
    """The score columns (config.SCORE_FIELDS) the clip table has, in that order."""
    return [name for name in SCORE_FIELDS if name in clips]


def answer_row(clips: pd.DataFrame, answer: str, target: str, samples: int = BOOTSTRAP_SAMPLES,
               control: str = CONTROL_ALL) -> dict:
    """correlate(), partial_correlation() and within_correlation() of one answer with one
    rating column; control (partial.rating_controls: "all", "none" or names) says which of the
    clip table's other ratings the partial figure holds constant."""
    # correlate() reads the rating from the TARGET_SCORE column.
    renamed = pd.DataFrame({answer: clips[answer], TARGET_SCORE: clips[target], "user_no": clips["user_no"]})
    controls = rating_controls(control, target, rating_columns(clips))
    return {"target": target, **correlate(renamed, answer, samples),
            **partial_correlation(clips, answer, target, controls, samples, control=control),
            **within_correlation(clips, answer, target, samples), "chosen_after_looking": False, "chosen_from": None}


def validation_table(clips: pd.DataFrame, answers=None, samples: int = BOOTSTRAP_SAMPLES,
                     targets=(TARGET_SCORE,), chosen: int = CHOSEN_BLENDSHAPES,
                     control: str = CONTROL_ALL) -> list[dict]:
    """One row per (target, answer): answer_row() for every answer column present in clips
    (candidate_answers() by default), then for the `chosen` best single blendshapes
    (chosen_blendshapes), flagged chosen_after_looking with chosen_from (the number of
    candidates). control: the ratings the partial figures hold constant (answer_row)."""
    answers = [answer for answer in (answers or candidate_answers()) if answer in clips and clips[answer].notna().any()]
    rows = []
    for target in targets:
        rows += [answer_row(clips, answer, target, samples, control) for answer in answers]
        best, candidates = chosen_blendshapes(clips, target, chosen) if chosen else ([], 0)
        rows += [{**answer_row(clips, column, target, samples, control), "chosen_after_looking": True,
                  "chosen_from": candidates} for column in best]
    return rows


def _number(value) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _interval(interval) -> str:
    return "n/a" if interval is None else f"{interval[0]:+.2f} to {interval[1]:+.2f}"


def reference_text(references: dict) -> str:
    """"Reference face: whole_video 18 clips, running 1 clip." from {kind: clips}."""
    if not references:
        return "Reference face: no clip analysed."
    parts = [f"{kind} {count} clip{'s' * (count != 1)}" for kind, count in references.items()]
    return f"Reference face: {', '.join(parts)}."


def markdown_table(rows: list[dict], note: str = "", references: dict | None = None) -> str:
    """validation.md: a heading, the note, the reference faces used, and per rating column one
    table (one row per answer; the chosen-after-looking rows marked exploratory, with a footnote)."""
    targets = list(dict.fromkeys(row.get("target", TARGET_SCORE) for row in rows)) or [TARGET_SCORE]
    named = f"`{targets[0]}`" if len(targets) == 1 else f"{len(targets)} rating columns"
    parts = [f"# Facial measures against {named}\n"]
    if note:
        parts.append(f"**{note}**\n")
    if references is not None:
        parts.append(reference_text(references) + "\n")
    parts.append("Spearman rho per clip with a 95% interval that resamples participants; per clip with the other "
                 "ratings held constant (partial); of participant means; and within participants (each clip's answer and rating minus its participant's means, over "
                 f"participants with >= 2 clips). Each interval is 95% for its own row, not for the {len(rows)} rows "
                 "together: about 1 in 20 rows excludes 0 by chance alone.\n")
    for target in targets:
        own = [row for row in rows if row.get("target", TARGET_SCORE) == target]
        sentence = controls_sentence(own, target)
        lines = [f"## `{target}`\n", *([sentence + "\n"] if sentence else []),
                 "| answer | clips | Spearman (clips) | 95% CI (participants resampled) | "
                 "Spearman (other ratings held constant) | 95% CI (partial) | participants | "
                 "Spearman (participant means) | Spearman (within participants) | 95% CI (within) | "
                 "within: participants / clips | chosen after looking |",
                 "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        chosen = [row for row in own if row.get("chosen_after_looking")]
        for row in own:
            within = _number(row.get("within_spearman"))
            if row.get("within_note"):
                within += f" ({row['within_note']})"
            partial = _number(row.get("partial_spearman"))
            if row.get("partial_note"):
                partial += f" ({row['partial_note']})"
            flag = "**yes: exploratory**" if row.get("chosen_after_looking") else "no"
            words = describe(row["answer"])
            named = words if words == row["answer"] else f"{words} `{row['answer']}`"
            lines.append(f"| {named} | {row['clips']} | {_number(row['clip_spearman'])} "
                         f"| {_interval(row['clip_spearman_ci95'])} | {partial} "
                         f"| {_interval(row.get('partial_spearman_ci95'))} | {row['participants']} "
                         f"| {_number(row['participant_spearman'])} | {within} "
                         f"| {_interval(row.get('within_spearman_ci95'))} "
                         f"| {row.get('within_participants', 'n/a')} / {row.get('within_clips', 'n/a')} | {flag} |")
        if chosen:
            lines.append(f"\nExploratory: the {len(chosen)} single blendshapes marked *chosen after looking* are the "
                         f"ones of {chosen[0]['chosen_from']} whose clip-level |Spearman| with `{target}` is largest "
                         f"on these very clips. Their correlations and intervals do not allow for that choice and "
                         f"overstate what they would show on new data: a lead to test elsewhere, not a result.")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def table_frame(rows: list[dict]) -> pd.DataFrame:
    """validation.csv: the rows with each interval as _low and _high columns and a description."""
    records = []
    for row in rows:
        record = {"target": row.get("target", TARGET_SCORE), "answer": row["answer"],
                  "description": describe(row["answer"]) + (" (chosen after looking: exploratory)"
                                                            if row.get("chosen_after_looking") else "")}
        for key, value in row.items():
            if key in ("target", "answer"):
                continue
            if key.endswith("_ci95"):
                record[f"{key}_low"], record[f"{key}_high"] = value if value is not None else (None, None)
            elif key == "partial_controls":
                record[key] = " ".join(value)  # the ratings held constant, space-separated
            else:
                record[key] = value
        records.append(record)
    frame = pd.DataFrame(records)
    if "chosen_from" in frame:
        frame["chosen_from"] = frame["chosen_from"].astype("Int64")  # a count, blank on the fixed answers
    return frame


@dataclass
class Validation:
    clips: pd.DataFrame  # one row per analysed clip: id, user_no, the scores, the answers, CLIP_COLUMNS
    rows: list[dict]
    note: str
    failures: list[dict]
    targets: tuple[str, ...] = (TARGET_SCORE,)
    references: dict = field(default_factory=dict)  # {reference kind: clips}

    def text(self) -> str:
        people = self.clips["user_no"].nunique() if len(self.clips) else 0
        lines = [f"{len(self.clips)} clips of {people} participants analysed, {len(self.failures)} failed.",
                 reference_text(self.references), *([self.note] if self.note else []),
                 "Spearman rho [95% CI, participants resampled]: per clip; per clip with the other ratings held "
                 "constant (partial: does the measure follow the rating, or the overall quality of the answer?); of "
                 "participant means; within participants (clip minus its participant's mean, over participants with "
                 "2+ clips)."]
        width = max([len(row["answer"]) for row in self.rows] + [6])
        for target in self.targets:
            rows = [row for row in self.rows if row["target"] == target]
            if not rows:
                continue
            held = next((row["partial_controls"] for row in rows if row.get("partial_controls")), [])
            lines += [f"{target}:" + (f" (partial holds constant: {', '.join(held)})" if held else ""),
                      f"  {'answer':<{width}} {'clips':>5}  {'per clip':<21} {'partial':<21} {'people':>6}  {'means':>5}  "
                      f"{'within participants':<26} {'people 2+ clips':>15}"]
            for row in rows:
                if row["clip_spearman"] is None:
                    clip = "n/a (< 3 clips)" if row["clips"] < 3 else "n/a (no variation)"
                else:
                    clip = f"{_number(row['clip_spearman'])} [{_interval(row['clip_spearman_ci95'])}]"
                within = (f"{_number(row['within_spearman'])} [{_interval(row['within_spearman_ci95'])}]"
                          if row["within_spearman"] is not None else SHORT_NOTES.get(row["within_note"], "n/a"))
                lines.append(f"  {row['answer']:<{width}} {row['clips']:>5}  {clip.replace(' to ', ', '):<21} "
                             f"{partial_text(row):<21} "
                             f"{row['participants']:>6}  {_number(row['participant_spearman']):>5}  "
                             f"{within.replace(' to ', ', '):<26} {row['within_participants']:>15}"
                             + ("  chosen after looking: exploratory" if row["chosen_after_looking"] else ""))
            chosen = [row for row in rows if row["chosen_after_looking"]]
            if chosen:
                lines.append(f"  (the {len(chosen)} rows chosen after looking are the best of "
                             f"{chosen[0]['chosen_from']} single blendshapes on these clips: their rho overstates; "
                             f"test them on other data)")
        # A long table (--target all) scrolls the note away: it is said again under it.
        return "\n".join(lines + ([self.note] if self.note and len(self.targets) > 1 else []))


def validate_dataset(metadata_path: str | Path, out_dir: str | Path, model_path: str | Path | None = None,
                     options=None, workers: int = 1, progress: bool = True, figure=None,
                     samples: int = BOOTSTRAP_SAMPLES, dask=None, target: str = TARGET_SCORE,
                     within_figure=None, control: str = CONTROL_ALL) -> Validation:
    """Analyse every clip of a data set into out_dir/clips (resumable), then correlate each
    video-level answer with each rating column `target` names (rating_targets: one score
    column, or "all"). Writes validation.json, validation.md, validation.csv (the table) and
    clips.csv into out_dir; figure(clips, rows, path) -> validation.png (the answers against
    the first rating) and within_figure(panels, path) -> validation_within.png (panels: a list
    of (row, within_person frame) for WITHIN_FIGURE_ANSWERS) when given. dask: run the clips on
    a Dask cluster (see run.analyze_paths). control: the ratings each partial figure holds
    constant (partial.rating_controls: "all" other ratings, "none", or comma-separated names).
    The figure leaves out the speaking and listening splits. Raises ValueError for an unknown
    target or control, before any clip is analysed."""
    from expressiveness.pipeline.clips import analyse_clips, clip_table
    from expressiveness.data.demo_data import is_demo_dataset
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.data.metadata import load_metadata

    records = load_metadata(metadata_path)
    scores = [name for name in SCORE_FIELDS if name in records]
    targets = rating_targets(target, scores)
    controls = {name: list(rating_controls(control, name, scores)) for name in targets}
    out_dir = output_folder(out_dir, "--out")  # a folder that cannot be written fails now, not after the clips
    options = options or AnalysisOptions()
    summaries, report = analyse_clips(records, model_path, out_dir / "clips", options, workers, progress, dask)
    columns = [*ANSWERS, *(column for column in CLIP_COLUMNS if column not in ANSWERS)]
    clips = clip_table(records, summaries, ["id", "user_no", *scores],
                       [*columns, *speech_columns(summaries.values(), columns)])
    table = validation_table(clips, samples=samples, targets=targets, control=control) if len(clips) else []
    references = {str(kind): int(count) for kind, count in
                  clips["reference"].fillna("not recorded").value_counts().items()} if len(clips) else {}
    note = ""
    if is_demo_dataset(Path(metadata_path).parent):
        note = DEMO_NOTE + ("" if targets == (TARGET_SCORE,) else " " + DEMO_OTHER_SCORES_NOTE)
    atomic_write(out_dir / "clips.csv", clips.to_csv(index=False))
    atomic_write(out_dir / "validation.json", json.dumps(
        {"metadata": str(metadata_path), "model": None if model_path is None else str(model_path),
         "target": target, "targets": list(targets), "control": control, "controls": controls,
         "bootstrap_samples": samples, "note": note,
         "references": references, "chosen_blendshapes": CHOSEN_BLENDSHAPES, "answers": table,
         "failures": report.failures}, indent=2, allow_nan=False))
    atomic_write(out_dir / "validation.md", markdown_table(table, note, references))
    atomic_write(out_dir / "validation.csv", table_frame(table).to_csv(index=False))
    first = [row for row in table if row["target"] == targets[0]]
    if figure is not None and first:
        figure(clips, [row for row in first if not row["answer"].endswith(tuple(f"_{side}" for side in SPLIT_SIDES))],
               out_dir / "validation.png")
    panels = [(row, within_person(clips, row["answer"], targets[0])) for row in first
              if row["answer"] in WITHIN_FIGURE_ANSWERS]
    if within_figure is not None and panels:
        within_figure(panels, out_dir / "validation_within.png")
    return Validation(clips, table, note, report.failures, targets, references)
