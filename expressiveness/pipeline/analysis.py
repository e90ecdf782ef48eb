"""Analysis of many video files: each video's tables, summary and figures in one output folder,
earlier results reused when their provenance matches, failures recorded, summary.csv and
run_report.json written even when the run is interrupted.

One truth per output folder: summary.csv (and index.html, pages.write_reports) list every
current summary in the folder (folder_summaries): this run's videos in the order given, then
those earlier runs left there whose video is still there unchanged. A summary whose video
changed or is gone stays on disk but is left out, and run_report.json says so.
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
    earlier: list[dict] = field(default_factory=list)  # current summaries of other videos, from earlier runs
    left_out: list[dict] = field(default_factory=list)  # {"name", "video", "reason"}: summaries no longer current
    interrupted: bool = False

    @property
    def summaries(self) -> list[dict]:
        return self.reused + self.analyzed

    @property
    def listed(self) -> list[dict]:
        """The summaries summary.csv and index.html list: this run's, then the earlier ones."""
        return self.summaries + self.earlier

    @property
    def incomplete(self) -> list[dict]:
        """Summaries of videos whose frames decoded differ from what their header declares."""
        return [summary for summary in self.summaries if summary.get("complete") is False]

    def text(self) -> str:
        frames = sum(summary["frames_analyzed"] for summary in self.analyzed)
        incomplete = (f" {len(self.incomplete)} incomplete: the frames decoded differ from what the header declares "
                      f"(see the warnings)."
                      if self.incomplete else "")
        earlier = (f" summary.csv also lists {len(self.earlier)} other video{'s' * (len(self.earlier) != 1)} "
                   f"analysed into this folder before." if self.earlier else "")
        left_out = (f" {len(self.left_out)} earlier summar{'y' if len(self.left_out) == 1 else 'ies'} left out of "
                    f"summary.csv: no longer current (see run_report.json for why)." if self.left_out else "")
        return (f"Videos: {len(self.analyzed)} analysed, {len(self.reused)} reused from an earlier run, "
                f"{len(self.failures)} failed.{incomplete}{earlier}{left_out} {frames} frames in "
                f"{self.seconds:.1f} s. Results: {self.out_dir}")


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


# The columns of summary.csv when no video has a summary: the fields every summary has, so that
# the file always has its header row (pd.read_csv of an empty run gives an empty table).
SUMMARY_CSV_HEADER = ("video", "name", "duration_s", "analysed_s", "fps", "frames_total", "frames_decoded", "complete",
                      "frames_analyzed", "face_share")


def folder_summaries(out_dir: str | Path, skip: set[str] = frozenset()) -> tuple[list[dict], list[dict]]:
    """The current summaries in an output folder, and those left out.

    Current: a NAME_summary.json that reads as a summary of NAME whose video is still there
    unchanged (the path, size and modification time its provenance records; a summary from
    before provenance: its video path exists) and whose facial measures, if any, were made by
    this version of them (MEASURES_VERSION: older ones are computed otherwise, such as blinks
    per minute over the header's duration). Returns (current summaries sorted by name,
    [{"name", "video", "reason"}] of the others). skip: names not to look at (this run's)."""
    from expressiveness._io import source_info
    from expressiveness.pipeline.scorers import MEASURES_VERSION

    current, left_out = [], []
    for path in sorted(Path(out_dir).glob("*_summary.json")):
        name = path.name[:-len("_summary.json")]
        if name in skip or name.startswith("."):
            continue
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            left_out.append({"name": name, "video": None, "reason": f"{path.name} cannot be read as JSON"})
            continue
        if not isinstance(summary, dict) or summary.get("name", name) != name:
            left_out.append({"name": name, "video": None, "reason": f"{path.name} is not the summary of {name}"})
            continue
        summary.setdefault("name", name)  # a summary from before names were recorded
        video = summary.get("video")
        source = summary.get("provenance", {}).get("source") if isinstance(summary.get("provenance"), dict) else None
        try:
            unchanged = source_info(source["path"]) == source if isinstance(source, dict) else Path(video).is_file()
        except (FileNotFoundError, KeyError, TypeError):
            unchanged = False
        provenance = summary.get("provenance") if isinstance(summary.get("provenance"), dict) else {}
        if not unchanged:
            left_out.append({"name": name, "video": video,
                             "reason": "its video changed or is gone since it was analysed"})
        elif provenance.get("measures") and provenance.get("measures_version") != MEASURES_VERSION:
            left_out.append({"name": name, "video": video,
                             "reason": f"its facial measures were made by an older version of them (version "
                                       f"{provenance.get('measures_version', 1)}, now {MEASURES_VERSION}); analyse "
                                       f"the video again"})
        else:
            current.append(summary)
    return current, left_out


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
    `annotate`); plus summary.csv and run_report.json. summary.csv has one row per current
    summary in out_dir (folder_summaries): this run's videos in the order given, then other
    videos earlier runs analysed there; always its header row. run_report.json counts and names
    the failures, the incomplete videos and the summaries left out, and says whether the run
    was interrupted (Ctrl-C) and which videos were not finished then.

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
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
        # This run's videos, finished or not, speak for their names: an older summary of a video
        # that failed now is not listed beside this run's failure.
        report.earlier, report.left_out = folder_summaries(out_dir, skip=set(names.values()))
        write_summary_table(out_dir, [summaries[names[video]] for video in videos if names[video] in summaries]
                            + report.earlier)
        done = {summary["name"] for summary in report.summaries} | {failure.get("name") for failure in report.failures}
        atomic_write(out_dir / "run_report.json", json.dumps(
            {"analyzed": len(report.analyzed), "reused": len(report.reused), "failed": len(report.failures),
             "listed": len(report.listed), "interrupted": report.interrupted,
             "finished": [{"video": s["video"], "name": s["name"]} for s in report.summaries],
             "unfinished": [str(job[8]) for job in todo if job[1] not in done],
             "incomplete": [{"video": s["video"], "name": s["name"], "warning": s["warning"]}
                            for s in report.incomplete],
             "failures": report.failures, "left_out": report.left_out, "seconds": round(report.seconds, 1)},
            indent=2))
    return report


def write_summary_table(out_dir: str | Path, summaries: list[dict]) -> Path:
    """Write OUT/summary.csv: one row per summary (_summary_row), in the order given; the header
    row (SUMMARY_CSV_HEADER) even when there is none."""
    rows = [_summary_row(summary) for summary in summaries]
    table = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(SUMMARY_CSV_HEADER))
    path = Path(out_dir) / "summary.csv"
    atomic_write(path, table.to_csv(index=False))
    return path


def _failed_row(job: tuple) -> dict:
    """The row of an analysis job (_analyze_task's arguments) whose worker died twice."""
    return {"video": job[8], "name": job[1], "status": "failed", "error": executors.worker_died(job[8])}
