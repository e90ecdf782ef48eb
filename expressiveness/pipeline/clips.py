"""The clip table of a data set: every clip analysed once (run.analyze_paths: parallel,
resumable) and each clip's video summary joined to its metadata record. `validate`
(agreement/validate.py) and the measures model's training (agreement/train_measures.py) both build their clip
tables here."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd


def analyse_clips(records: pd.DataFrame, model_path: str | Path | None, clips_dir: str | Path, options=None,
                  workers: int = 1, progress: bool = True, dask=None) -> tuple[dict, object]:
    """Analyse the videos of `records` (load_metadata rows) into clips_dir, reusing earlier
    analyses with the same provenance. Returns (summaries, report): summaries is {resolved
    video path: summary dict} of every clip analysed or reused in this run, report the run's
    RunReport (its failures). model_path: the CNN whose levels join the measures, or None."""
    from expressiveness.pipeline.run import analyze_paths

    report = analyze_paths(list(records["video_path"]), model_path, clips_dir, options, workers, progress=progress,
                           dask=dask)
    return {str(Path(summary["video"]).resolve()): summary for summary in report.summaries}, report


def clip_table(records: pd.DataFrame, summaries: dict, record_columns, summary_columns, numbers: bool = False,
               check: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """One row per record whose video has a summary, in the records' order: record_columns
    from the record, then summary_columns from the summary (None where the summary has no such
    figure; with numbers, float and NaN instead). summaries: {resolved video path: summary
    dict}, as analyse_clips returns them. check(summary), when given, runs on each joined
    summary in that order and raises to refuse it."""
    record_columns, summary_columns = list(record_columns), list(summary_columns)
    rows = []
    for record in records.to_dict("records"):
        summary = summaries.get(str(Path(record["video_path"]).resolve()))
        if summary is None:
            continue
        if check is not None:
            check(summary)
        if numbers:
            values = {name: np.nan if summary.get(name) is None else float(summary[name]) for name in summary_columns}
        else:
            values = {name: summary.get(name) for name in summary_columns}
        rows.append({**{name: record[name] for name in record_columns}, **values})
    return pd.DataFrame(rows, columns=record_columns + summary_columns)
