"""`--all-faces`: every person in view measured, each as the subject of a pass of its own.

The default table stays one row per frame, for the subject (pipeline/subject.py). With
--all-faces, each other person in view (persons.MEANINGFUL_SHARE) is analysed as `--subject N`:
its own reference face, its own measures, its own summary. The per-person table has one row per
person per analysed frame, `person` filled in every row (success 0 where that person is out of
view). A pass per person: two persons take about twice the time of one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd


def analyze_all_persons(path, analyzer, subject_analysis) -> tuple[pd.DataFrame, dict[int, dict]]:
    """The per-person frames table (sorted by frame, then person) and each person's summary, by
    id, from the subject's analysis (per_video.analyze_video's VideoAnalysis with analyzer) and
    one more analysis per other person in view."""
    from expressiveness.pipeline.per_video import analyze_video

    subject = subject_analysis.summary["subject"]
    tables = {subject["person"]: subject_analysis.table}
    summaries = {subject["person"]: subject_analysis.summary}
    others = [person["id"] for person in subject["persons"] if person["in_view"] and person["id"] != subject["person"]]
    options = analyzer.options
    try:
        for person in others:
            analyzer.options = replace(options, subject=person)
            result = analyze_video(path, analyzer)
            tables[person], summaries[person] = result.table, result.summary
    finally:
        analyzer.options = options
    parts = [table.assign(person=pd.array([person] * len(table), dtype="Int64"))
             for person, table in sorted(tables.items()) if person is not None]
    if not parts:  # no face in the video: the subject's table alone
        return subject_analysis.table, summaries
    table = pd.concat(parts, ignore_index=True).sort_values(["frame", "person"], kind="stable", ignore_index=True)
    return table, summaries


def write_persons(out_dir: str | Path, name: str, table: pd.DataFrame, summaries: dict[int, dict],
                  shown: str) -> list[Path]:
    """NAME_persons_frames.csv (and .parquet with pyarrow) and NAME_persons.json: {"video", "name",
    "persons": {id: that person's summary}} (one file, not NAME_person<N>_summary.json: a folder's
    *_summary.json are its videos' summaries)."""
    from expressiveness._io import atomic_write
    from expressiveness.pipeline.per_video import write_table

    out_dir = Path(out_dir)
    written = write_table(table, out_dir / f"{name}_persons_frames.csv")
    ids = sorted(person for person in summaries if person is not None)
    persons = {str(person): summaries[person] for person in ids}
    target = out_dir / f"{name}_persons.json"
    atomic_write(target, json.dumps({"video": shown, "name": name, "persons": persons}, indent=2))
    return written + [target]
