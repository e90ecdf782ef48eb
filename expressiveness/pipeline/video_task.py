"""One video's task in an analysis run (run.py): what a worker gets (RunSettings: paths and
options, all picklable, never loaded engines), and analyze_one, which produces the video's whole
result while it is open: the per-frame table, the summary with the measures model's answer, the
timeline figure, the annotated video and the HTML report with its thumbnails. Each worker builds
its engines and models once (tasks.worker_engine)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from expressiveness._io import atomic_write
from expressiveness.errors import BaselineError, DatasetError, SubjectError, UnreadableVideoError
from expressiveness.pipeline import executors
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.tasks import failure_status, worker_engine


@dataclass(frozen=True)
class Outputs:
    """What a run writes beyond each video's NAME_frames.csv (and .parquet) and
    NAME_summary.json, summary.csv and run_report.json: timeline (NAME_timeline.png),
    annotated (NAME_annotated.mp4), html (NAME_report.html and index.html) and metadata (a
    metadata.jsonl whose records the HTML reports join to the videos; implies html) and
    all_faces (NAME_persons_frames.csv and NAME_persons.json: pipeline/all_persons.py)."""

    timeline: bool = False
    annotated: bool = False
    html: bool = False
    metadata: str | None = None
    all_faces: bool = False

    @property
    def pages(self) -> bool:
        return self.html or self.metadata is not None


@dataclass(frozen=True)
class RunSettings:
    """What a worker needs to analyse one video of a run (picklable: paths and options)."""

    model_path: str | None  # absolute
    options: AnalysisOptions  # with the card's crop settings filled in
    measures_model: str | None  # its card, absolute
    outputs: Outputs
    out_dir: str
    measures_model_sha256: str | None = None  # of its card as the run loaded it: a worker's cached model must match


def load_measures(card_path: str | Path):
    from expressiveness.measures.model import load_measures_model

    return load_measures_model(card_path)


def analyze_one(video: str, name: str, settings: RunSettings, progress: bool, shown: str | None = None,
                record: dict | None = None) -> dict:
    """Analyse one video and write its whole result; returns {"status": "ok", "summary",
    "index_table"} or a failure row (missing, unreadable, or failed: an output that cannot be
    written). shown: the video's path as the user gave it, for the summary and messages, when
    `video` is its absolute path; record: its metadata record, for the HTML report."""
    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.per_video import analyze_video, write_table

    out_dir, shown, outputs = Path(settings.out_dir), shown or video, settings.outputs
    analyzer = worker_engine(("analyzer", settings.model_path, settings.options),
                             lambda: build_analyzer(settings.model_path, settings.options))
    try:
        annotate = None
        if outputs.annotated:
            from expressiveness.report.plots_overlay import draw_result as annotate
        analysis = analyze_video(video, analyzer, annotate, out_dir / f"{name}_annotated.mp4" if annotate else None,
                                 progress=progress)
        table, summary = analysis.table, analysis.summary
        summary["video"], summary["name"] = shown, name
        # An earlier summary (another file or other options) must not sit beside the new table.
        (out_dir / f"{name}_summary.json").unlink(missing_ok=True)
        for stale in ("persons_frames.csv", "persons_frames.parquet", "persons.json"):  # --all-faces' of before
            (out_dir / f"{name}_{stale}").unlink(missing_ok=True)
        write_table(table, out_dir / f"{name}_frames.csv")
        if outputs.all_faces:  # every person in view, each measured in a pass of its own
            from expressiveness.pipeline.all_persons import analyze_all_persons, write_persons

            write_persons(out_dir, name, *analyze_all_persons(video, analyzer, analysis), shown)
        if settings.measures_model is not None:
            from expressiveness.measures.model import answer_summary

            answer_summary(worker_engine(measures_key(settings), lambda: load_measures(settings.measures_model)),
                           summary)
        summary = json.loads(json.dumps(summary))  # as the file holds it, and as the index reads it
        if outputs.timeline:
            from expressiveness.report.plots_timeline import save_timeline

            save_timeline(table, summary, out_dir / f"{name}_timeline.png")
        if outputs.pages:
            from expressiveness.report.pages import write_video_report

            write_video_report(summary, table, out_dir / f"{name}_report.html", video, record, index_name="index.html",
                               shown_path=shown)
        atomic_write(out_dir / f"{name}_summary.json", json.dumps(summary, indent=2))  # last: marks done
    except DatasetError as error:  # the measures model cannot answer this video's summary: this video fails
        return {"video": shown, "name": name, "status": "failed", "error": str(error)}
    except (OSError, UnreadableVideoError, BaselineError, SubjectError) as error:
        status = failure_status(error, video)
        if status is None:
            raise
        return {"video": shown, "name": name, "status": status, "error": str(error)}
    if not outputs.pages:
        return {"status": "ok", "summary": summary, "index_table": None}
    from expressiveness.report.pages import index_columns

    return {"status": "ok", "summary": summary, "index_table": index_columns(table)}


def measures_key(settings: RunSettings) -> tuple:
    """A worker's cache key of the run's measures model: its card's path and hash, so that a
    model retrained under the same name since another run is loaded afresh."""
    return "measures_model", settings.measures_model, settings.measures_model_sha256


def failed_job_row(job: tuple) -> dict:
    """The row of an analysis job (analyze_one's arguments) whose worker died twice."""
    return {"video": job[4], "name": job[1], "status": "failed", "error": executors.worker_died(job[4])}
