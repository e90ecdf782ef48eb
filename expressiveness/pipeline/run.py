"""One analysis run: from the settings to every video's whole result, in one pass.

An AnalysisRun holds what a run needs: the analysis options, the level model (its card read
once), the measures model (loaded and checked once), the outputs wanted and the output folder.
Each video's task produces its whole result while the video is open, in the worker: the
per-frame table, the summary with the measures model's answer, the timeline figure, the
annotated video and the HTML report with its thumbnails. The parent then lists the folder's
current summaries (results_folder.folder_summaries) in summary.csv and, from the summaries in
memory, in index.html. The video's task, and what workers get, are video_task.py's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from expressiveness._io import atomic_write, output_folder, remove_stale_temporaries, source_info
from expressiveness.config import DEFAULT_MODEL, DEMO_MODEL
from expressiveness.errors import ExpressivenessError
from expressiveness.pipeline.results_folder import RunReport, folder_summaries, reusable_summary, write_summary_table
from expressiveness.pipeline.tasks import find_videos, forget_engine, output_names, run_tasks, worker_engine
from expressiveness.pipeline.options import AnalysisOptions, analysis_provenance
from expressiveness.pipeline.video_task import (Outputs, RunSettings, analyze_one, failed_job_row, load_measures,
                                                measures_key)


def level_model(requested: str | Path | None, measures: bool = True) -> tuple[str | None, list[str]]:
    """The model the levels come from, and a note for the console: `requested` (which must
    exist), else the default model if it exists, else None (facial measures only, with a note).
    Raises FileNotFoundError for a requested model that is not there, or for no model at all
    with the measures off."""
    if requested is not None:
        if not Path(requested).is_file():
            raise FileNotFoundError(f"--model {requested}: model file not found; train one with `expressiveness "
                                    f"train` (`make demo` trains {DEMO_MODEL}).")
        return str(requested), []
    if DEFAULT_MODEL.is_file():
        return str(DEFAULT_MODEL), []
    if not measures:
        raise FileNotFoundError(f"no model at {DEFAULT_MODEL} and --no-measures: nothing to analyse; train one with "
                                f"`expressiveness train`, pass --model PATH (after `make demo`: {DEMO_MODEL}), or drop "
                                f"--no-measures.")
    return None, [f"No model at {DEFAULT_MODEL}: facial measures only (for the levels, train one with `expressiveness "
                  f"train`, or pass --model {DEMO_MODEL} after `make demo`)."]


def card_notes(model_path: str | Path, card: dict) -> list[str]:
    """What the console says about a level model before a run: a line when it was trained on
    crops of another face engine than this one (its card's face_engine; cards from before the
    Tasks engine have none), and one when its levels do not stand for human ratings (the demo's
    synthetic labels, or a card that does not record what the model learnt from)."""
    from expressiveness.card import DEMO_LABELS, NOT_RECORDED, trained_on
    from expressiveness.face import engine_identity

    notes = []
    recorded, current = card.get("face_engine") or {"engine": "mediapipe solutions (0.10.x)"}, engine_identity()
    if recorded.get("engine") != current["engine"] or recorded.get("face_model_sha256") != current["face_model_sha256"]:
        notes.append(f"Note: {model_path} was trained on face crops from another face engine ({recorded.get('engine')});"
                     f" its crops are now found by {current['engine']} (same BlazeFace detector: median box IoU 0.99 "
                     f"on the demo footage), so its levels may shift a little.")
    words = trained_on(card)
    if words == DEMO_LABELS:
        notes.append(f"Note: {model_path} was trained on {DEMO_LABELS}, not on human ratings: its levels show that the "
                     f"toolkit runs end to end, not how people see a face.")
    elif words == NOT_RECORDED:
        notes.append(f"Note: {model_path}: {NOT_RECORDED} (its card is older than that record), so what its levels "
                     f"stand for is not known; retrain it to record it.")
    return notes


@dataclass
class AnalysisRun:
    """A run's settings, checked once: out_dir, model_path (the level model, or None for the
    facial measures only), options (AnalysisOptions; detector settings left None come from the
    model's card), measures_model (a measures model's card, or None: earlier answers are then
    removed from the folder's summaries) and outputs (Outputs). Building it reads the level
    model's card once (notes: what the console should say about it) and loads and checks the
    measures model once. Raises FileNotFoundError or ModelFileError for an unusable model, and
    ExpressivenessError for a measures model the analysis cannot answer."""

    out_dir: str | Path
    model_path: str | Path | None = None
    options: AnalysisOptions | None = None
    measures_model: str | Path | None = None
    outputs: Outputs = Outputs()
    notes: list[str] = field(init=False, default_factory=list)

    def __post_init__(self):
        from expressiveness.card import read_card

        card = read_card(self.model_path, model_must_exist=True) if self.model_path is not None else {}
        if self.model_path is not None:
            self.notes = card_notes(self.model_path, card)
        self.options = (self.options or AnalysisOptions()).with_card(card)
        self._card, self._measures = card, None
        if self.measures_model is not None:
            self._measures = load_measures(self.measures_model)
            if not self.options.measures:
                raise ExpressivenessError(f"--measures-model {self.measures_model} needs the facial measures; drop "
                                          f"--no-measures.")
            cnn = self._measures.card.get("cnn_model")
            if cnn and (self.model_path is None or card.get("name", Path(self.model_path).stem) != cnn["name"]):
                raise ExpressivenessError(f"--measures-model {self.measures_model} uses the mean probabilities of CNN "
                                          f"{cnn['name']!r}; analyse with --model {cnn['path']}.")

    def settings(self, out_dir: Path, dask=None) -> RunSettings:
        """What each video's task gets. Workers of an existing Dask cluster run in a folder (or
        on a machine) of their own: they get absolute paths of the models and the output folder."""
        from expressiveness._io import file_sha256

        measures = None if self.measures_model is None else str(Path(self.measures_model).resolve())
        return RunSettings(None if self.model_path is None else str(Path(self.model_path).resolve()), self.options,
                           measures, self.outputs, str(out_dir if dask is None else Path(out_dir).absolute()),
                           None if measures is None else file_sha256(measures))

    def analyze(self, paths: list[str | Path], workers: int = 1, progress: bool = True, dask=None) -> RunReport:
        """Analyse video files and folders into out_dir: per video its outputs (Outputs), then
        summary.csv and run_report.json, and with HTML the pages of the videos not analysed now
        and index.html. summary.csv and index.html list every current summary in out_dir
        (results_folder.folder_summaries): this run's videos in the order given, then other videos
        earlier runs analysed there, each with this run's measures-model answer (or none).
        run_report.json counts and names the failures, the incomplete videos and the summaries
        left out, and says whether the run was interrupted (Ctrl-C) and which videos were not
        finished then.

        An earlier result is reused only when its provenance matches: the same source file
        (path, size, modification time), model and card (sha256), and every option that changes
        the output; anything else is analysed again. Missing and unreadable videos, and videos
        whose outputs cannot be written, are recorded and the batch goes on."""
        out_dir = output_folder(self.out_dir, "--out")
        remove_stale_temporaries(out_dir)  # only those of dead runs: another run may be writing here
        started, settings = time.perf_counter(), self.settings(out_dir, dask)
        videos, failures = find_videos(paths)
        report = RunReport(out_dir, failures=failures)
        names = output_names(videos)
        outputs, measures = self.outputs, self._measures
        if measures is not None:
            from expressiveness.card import trained_on

            report.measures_model = f"{measures.name} (trained on {trained_on(measures.card)})"
            # This process's tasks (workers == 1) use the model loaded here (forgotten after the run).
            worker_engine(measures_key(settings), lambda: measures)
        records = _records(outputs.metadata, [{"video": str(video), "name": names[video]} for video in videos])
        if videos:
            analysis = analysis_provenance(self.model_path, self.options, self._card)
        todo, summaries = [], {}
        for video in videos:
            name = names[video]
            wanted = [f"{name}_frames.csv"] + ([f"{name}_annotated.mp4"] if outputs.annotated else []) \
                + ([f"{name}_timeline.png"] if outputs.timeline else []) \
                + ([f"{name}_persons_frames.csv", f"{name}_persons.json"] if outputs.all_faces else [])
            try:
                provenance = {"source": source_info(video), **analysis, "annotate": outputs.annotated}
            except FileNotFoundError:  # gone since it was found
                report.failures.append({"video": str(video), "name": name, "status": "missing",
                                        "error": f"{video}: file or folder not found."})
                continue
            finished = reusable_summary(out_dir, name, provenance, wanted)
            if finished is not None:
                report.reused.append(finished)
                summaries[name] = finished
            else:
                todo.append((str(video if dask is None else video.absolute()), name, settings,
                             progress and workers == 1 and dask is None, str(video), records.get(name)))
        workers = max(1, min(workers, len(todo) or 1))
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="Analysing videos", unit="video", disable=not progress)
        tables = {}  # the analysed videos' index columns, for the index's timelines
        try:
            for result in run_tasks(analyze_one, todo, failed_job_row, workers, dask, writable=out_dir):
                if result["status"] == "ok":
                    report.analyzed.append(result["summary"])
                    summaries[result["summary"]["name"]] = result["summary"]
                    tables[result["summary"]["name"]] = result["index_table"]
                else:
                    report.failures.append(result)
                bar.update()
        except KeyboardInterrupt:
            report.interrupted = True
            raise
        finally:
            bar.close()
            if measures is not None:
                forget_engine(measures_key(settings))
            report.seconds = time.perf_counter() - started
            # This run's videos, finished or not, speak for their names: an older summary of a video
            # that failed now is not listed beside this run's failure.
            report.earlier, report.left_out = folder_summaries(out_dir, skip=set(names.values()))
            if not report.interrupted:  # after Ctrl-C: the tables and reports at once, no more predictions
                _answer_others(out_dir, report.reused, report.earlier, measures)
            write_summary_table(out_dir, [summaries[names[video]] for video in videos if names[video] in summaries]
                                + report.earlier)
            _write_run_report(out_dir, report, [(job[1], job[4]) for job in todo])
        if outputs.pages and report.listed:
            report.pages = _write_pages(out_dir, report, outputs.metadata, records, tables)
        return report


def analyze_paths(paths: list[str | Path], model_path: str | Path | None, out_dir: str | Path, options=None,
                  workers: int = 1, outputs: Outputs = Outputs(), progress: bool = True, dask=None) -> RunReport:
    """AnalysisRun(out_dir, model_path, options, outputs=outputs).analyze(paths, ...): a run
    without a measures model (by default: tables and summaries only)."""
    return AnalysisRun(out_dir, model_path, options, outputs=outputs).analyze(paths, workers, progress, dask)


def _records(metadata: str | None, videos: list[dict]) -> dict:
    """{name: metadata record} of the videos the metadata lists (none without metadata)."""
    if metadata is None or not videos:
        return {}
    from expressiveness.data.metadata import load_metadata
    from expressiveness.report.findings import match_records

    return match_records(videos, load_metadata(metadata))


def _answer_others(out_dir: Path, reused: list[dict], earlier: list[dict], measures) -> None:
    """The summaries not analysed in this run get this run's measures-model answer (earlier
    ones the model cannot answer: a note), or lose an earlier answer without a measures model,
    in memory and in NAME_summary.json: no row of summary.csv keeps a stale answer."""
    from expressiveness.measures.model import ANSWER_KEYS, answer_summary

    for summary in reused + earlier:
        if measures is None and not any(key in summary for key in ANSWER_KEYS):
            continue
        # earlier=True: a summary the model cannot answer gets a note; raising here would lose summary.csv
        answer_summary(measures, summary, earlier=True)
        atomic_write(out_dir / f"{summary['name']}_summary.json", json.dumps(summary, indent=2))


def _write_run_report(out_dir: Path, report: RunReport, jobs: list[tuple[str, str]]) -> None:
    """OUT/run_report.json; jobs: (name, video as given) of the videos this run analysed."""
    done = {summary["name"] for summary in report.summaries} | {failure.get("name") for failure in report.failures}
    atomic_write(out_dir / "run_report.json", json.dumps(
        {"analyzed": len(report.analyzed), "reused": len(report.reused), "failed": len(report.failures),
         "listed": len(report.listed), "interrupted": report.interrupted,
         "finished": [{"video": s["video"], "name": s["name"]} for s in report.summaries],
         "unfinished": [video for name, video in jobs if name not in done],
         "incomplete": [{"video": s["video"], "name": s["name"], "warning": s["warning"]}
                        for s in report.incomplete],
         "failures": report.failures, "left_out": report.left_out, "seconds": round(report.seconds, 1)},
        indent=2))


def _write_pages(out_dir: Path, report: RunReport, metadata: str | None, records: dict, tables: dict) -> list[Path]:
    """The HTML reports of the listed videos this run did not analyse (their workers wrote the
    others), and index.html from the listed summaries, in the order of their names. Returns
    every listed video's report, index last."""
    from expressiveness.report.pages import write_index, write_video_report

    analysed = {summary["name"] for summary in report.analyzed}
    listed = sorted(report.listed, key=lambda summary: f"{summary['name']}_summary.json")
    if metadata is not None and any(summary["name"] not in records for summary in report.earlier):
        records = {**_records(metadata, report.earlier), **records}
    written = []
    for summary in listed:
        name = summary["name"]
        if name not in analysed:
            import pandas as pd

            csv_path = out_dir / f"{name}_frames.csv"
            tables[name] = pd.read_csv(csv_path) if csv_path.exists() else None
            write_video_report(summary, tables[name], out_dir / f"{name}_report.html", record=records.get(name),
                               index_name="index.html")
        written.append(out_dir / f"{name}_report.html")
    return written + [write_index(listed, out_dir, records, tables=tables, failures=report.failures)]
