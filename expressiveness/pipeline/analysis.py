"""Analysis of many video files: each video's tables, summary and figures in one output folder,
earlier results reused when their provenance matches, failures recorded, summary.csv and
run_report.json written even when the run is interrupted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
from tqdm.auto import tqdm

from expressiveness._io import atomic_write, output_folder, remove_stale_temporaries
from expressiveness.errors import BaselineError, UnreadableVideoError
from expressiveness.pipeline import executors
from expressiveness.pipeline.batch import failure_status, find_videos, output_names, run_tasks, worker_engine


@dataclass
class RunReport:
    out_dir: Path
    analyzed: list[dict] = field(default_factory=list)  # summaries made in this run
    reused: list[dict] = field(default_factory=list)  # summaries of an earlier run with the same provenance
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def summaries(self) -> list[dict]:
        return self.reused + self.analyzed

    @property
    def incomplete(self) -> list[dict]:
        """Summaries of videos whose frames decoded differ from what their header declares."""
        return [summary for summary in self.summaries if summary.get("complete") is False]

    def text(self) -> str:
        frames = sum(summary["frames_analyzed"] for summary in self.analyzed)
        incomplete = (f" {len(self.incomplete)} incomplete: the frames decoded differ from what the header declares "
                      f"(see the warnings)."
                      if self.incomplete else "")
        return (f"Videos: {len(self.analyzed)} analysed, {len(self.reused)} reused from an earlier run, "
                f"{len(self.failures)} failed.{incomplete} {frames} frames in {self.seconds:.1f} s. "
                f"Results: {self.out_dir}")


def _analyze_task(video: str, name: str, out_dir: str, model_path: str, options, annotate, figure,
                  progress: bool, shown: str | None = None) -> dict:
    """Analyse one video and write its outputs; returns its summary or a failure row
    (missing, unreadable, or failed: an output that cannot be written). shown: the video's path
    as the user gave it, for the summary and messages, when `video` is its absolute path."""
    from expressiveness.pipeline.frames import build_analyzer
    from expressiveness.pipeline.per_video import analyze_video, write_table

    out_dir, shown = Path(out_dir), shown or video
    analyzer = worker_engine(("analyzer", model_path, options), lambda: build_analyzer(model_path, options))
    try:
        annotated = out_dir / f"{name}_annotated.mp4" if annotate else None
        analysis = analyze_video(video, analyzer, annotate, annotated, progress=progress)
        analysis.summary["video"], analysis.summary["name"] = shown, name
        # An earlier summary (another file or other options) must not sit beside the new table.
        (out_dir / f"{name}_summary.json").unlink(missing_ok=True)
        write_table(analysis.table, out_dir / f"{name}_frames.csv")
        if figure is not None:
            figure(analysis.table, analysis.summary, out_dir / f"{name}_timeline.png")
        atomic_write(out_dir / f"{name}_summary.json", json.dumps(analysis.summary, indent=2))  # last: marks done
    except (OSError, UnreadableVideoError, BaselineError) as error:
        status = failure_status(error, video)
        if status is None:
            raise
        return {"video": shown, "name": name, "status": status, "error": str(error)}
    return {"status": "ok", "summary": analysis.summary}


def _reusable_summary(out_dir: Path, name: str, provenance: dict, outputs: list[str]) -> dict | None:
    """The summary of an earlier run when its provenance is `provenance` and its outputs are
    all there; else None (absent, unreadable, or made from another file or other settings)."""
    try:
        summary = json.loads((out_dir / f"{name}_summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get("provenance") != provenance:
        return None
    if not all((out_dir / output).is_file() for output in outputs):
        return None
    return summary


def _summary_row(summary: dict) -> dict:
    """One row of summary.csv: the summary's and its provenance's single values."""
    def single(items):  # lists (the cut points) as JSON text, nested dicts left out
        return {key: json.dumps(value) if isinstance(value, list) else value for key, value in items
                if not isinstance(value, dict)}

    row = single(summary.items())
    provenance = summary.get("provenance", {})
    row.update(single(provenance.items()))
    row["source_size_bytes"] = provenance.get("source", {}).get("size_bytes")
    row["source_modified_ns"] = provenance.get("source", {}).get("modified_ns")
    return row


def analyze_paths(paths: list[str | Path], model_path: str | Path, out_dir: str | Path, options=None,
                  workers: int = 1, annotate: Callable | None = None, figure: Callable | None = None,
                  progress: bool = True, dask=None) -> RunReport:
    """Analyse video files and folders into out_dir: per video NAME_frames.csv (and .parquet),
    NAME_summary.json, NAME_timeline.png (via `figure`) and NAME_annotated.mp4 (via
    `annotate`); plus summary.csv (one row per video, in the order given) and run_report.json.

    An earlier result is reused only when its provenance matches: the same source file (path,
    size, modification time), model and card (sha256), and every option that changes the
    output; anything else is analysed again. Missing and unreadable videos, and videos whose
    outputs cannot be written, are recorded and the batch goes on. Raises FileNotFoundError or
    ModelFileError for an unusable model, before any video is started."""
    from expressiveness._io import source_info
    from expressiveness.pipeline.options import AnalysisOptions, analysis_provenance
    from expressiveness.pipeline.scorers import read_card

    options = options or AnalysisOptions()
    out_dir = output_folder(out_dir, "--out")
    remove_stale_temporaries(out_dir)  # only those of dead runs: another run may be writing here
    started = time.perf_counter()
    videos, failures = find_videos(paths)
    report = RunReport(out_dir, failures=failures)
    names = output_names(videos)
    if videos:  # the model is checked once, here, before any worker starts
        options = options.with_card(read_card(model_path) if model_path is not None else {})
        analysis = analysis_provenance(model_path, options)
    todo, summaries = [], {}
    # Workers of an existing Dask cluster run in a folder (or on a machine) of their own: they get
    # absolute paths of the model, the videos and the output folder.
    task_model = None if model_path is None else str(Path(model_path).resolve())
    task_out = str(out_dir if dask is None else out_dir.absolute())
    for video in videos:
        name = names[video]
        outputs = [f"{name}_frames.csv"] + ([f"{name}_annotated.mp4"] if annotate else []) \
            + ([f"{name}_timeline.png"] if figure else [])
        try:
            provenance = {"source": source_info(video), **analysis, "annotate": annotate is not None}
        except FileNotFoundError:  # gone since it was found
            report.failures.append({"video": str(video), "name": name, "status": "missing",
                                    "error": f"{video}: file or folder not found."})
            continue
        finished = _reusable_summary(out_dir, name, provenance, outputs)
        if finished is not None:
            report.reused.append(finished)
            summaries[name] = finished
        else:
            todo.append((str(video if dask is None else video.absolute()), name, task_out, task_model, options,
                         annotate, figure, progress and workers == 1 and dask is None, str(video)))
    workers = max(1, min(workers, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="Analysing videos", unit="video", disable=not progress)
    try:
        for result in run_tasks(_analyze_task, todo, _failed_row, workers, dask, writable=out_dir):
            if result["status"] == "ok":
                report.analyzed.append(result["summary"])
                summaries[result["summary"]["name"]] = result["summary"]
            else:
                report.failures.append(result)
            bar.update()
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
        rows = [_summary_row(summaries[names[video]]) for video in videos if names[video] in summaries]
        atomic_write(out_dir / "summary.csv", pd.DataFrame(rows).to_csv(index=False))
        atomic_write(out_dir / "run_report.json", json.dumps(
            {"analyzed": len(report.analyzed), "reused": len(report.reused), "failed": len(report.failures),
             "incomplete": [{"video": s["video"], "name": s["name"], "warning": s["warning"]}
                            for s in report.incomplete],
             "failures": report.failures, "seconds": round(report.seconds, 1)}, indent=2))
    return report


def _failed_row(job: tuple) -> dict:
    """The row of an analysis job (_analyze_task's arguments) whose worker died twice."""
    return {"video": job[8], "name": job[1], "status": "failed", "error": executors.worker_died(job[8])}
