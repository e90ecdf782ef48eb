"""An analysis output folder: what a run reports (RunReport), which earlier summaries in the
folder are current (folder_summaries) or may be reused (reusable_summary), summary.csv, and
its pages rendered again from the files (write_reports). The run itself (options, models, outputs, the per-video task) is run.py's AnalysisRun.

One truth per output folder: summary.csv (and index.html) list every current summary in the
folder (folder_summaries): this run's videos in the order given, then those earlier runs left
there whose video is still there unchanged. A summary whose video changed or is gone stays on
disk but is left out, and run_report.json says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expressiveness._io import atomic_write
from expressiveness.measures.model import ANSWER_KEYS


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
    measures_model: str | None = None  # "NAME (trained on ...)" of the measures model that answered
    pages: list[Path] = field(default_factory=list)  # the HTML reports written, index.html last

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

    def warnings(self) -> list[str]:
        """One line per video skipped or incomplete, and about the videos whose sound could not be
        used (speech.audio_sentences: once per video; the videos without an audio stream in one
        line), for stderr."""
        from expressiveness.pipeline.speech import audio_sentences

        return ([f"skipped ({failure['status']}): {failure['error']}" for failure in self.failures]
                + [f"warning: {summary['video']}: {summary['warning']}" for summary in self.incomplete]
                + [f"note: {sentence}" for sentence in audio_sentences(self.summaries)])

    def console(self, shown: int = 10) -> str:
        """What the run did, for stdout: text(), then the measures model's answer per video (the
        first `shown`) and the HTML pages written, when there are."""
        lines = [self.text()]
        lines += [f"  {summary.get('name', summary['video'])}: {summary['subject']['note']}" for summary in self.summaries
                  if (summary.get("subject") or {}).get("status") == "several_persons"]  # never silent (issue 36)
        if self.measures_model is not None and self.summaries:
            lines.append(f"Measures model {self.measures_model}, per video: the facial_expression score from its "
                         f"regressor, the level from its classifier (two models, so they can disagree near a cut "
                         f"point):")
            for summary in self.summaries[:shown]:
                score = summary["predicted_score"]
                answer = "no face landmarks" if score is None else \
                    f"score {score:+.3f}, level {summary['predicted_level']}"
                lines.append(f"  {summary['name']}: {answer}")
            if len(self.summaries) > shown:
                lines.append(f"  ... and {len(self.summaries) - shown} more in summary.csv")
        if self.pages:
            lines.append(f"HTML: {self.pages[-1]} and {len(self.pages) - 1} report(s).")
        return "\n".join(lines)


def read_summary(path: str | Path) -> dict:
    """A NAME_summary.json, in today's form whatever run wrote it: "name" (NAME, also for
    summaries from before names were recorded) and "provenance" (a dict; {} for summaries from
    before provenance). Raises OSError when it cannot be read and ValueError, with one sentence,
    when it is not the summary of NAME."""
    path = Path(path)
    name = path.name[:-len("_summary.json")] if path.name.endswith("_summary.json") else path.stem
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{path.name} cannot be read as JSON") from None
    if not isinstance(summary, dict) or summary.get("name", name) != name:
        raise ValueError(f"{path.name} is not the summary of {name}")
    summary.setdefault("name", name)
    if not isinstance(summary.get("provenance"), dict):
        summary["provenance"] = {}
    return summary


def reusable_summary(out_dir: Path, name: str, provenance: dict, outputs: list[str]) -> dict | None:
    """The summary of an earlier run when its provenance is `provenance` and its outputs are
    all there; else None (absent, unreadable, or made from another file or other settings)."""
    try:
        summary = read_summary(out_dir / f"{name}_summary.json")
    except (OSError, ValueError):
        return None
    if summary["provenance"] != provenance:
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
            summary = read_summary(path)
        except OSError:
            left_out.append({"name": name, "video": None, "reason": f"{path.name} cannot be read as JSON"})
            continue
        except ValueError as error:
            left_out.append({"name": name, "video": None, "reason": str(error)})
            continue
        video, provenance = summary.get("video"), summary["provenance"]
        source = provenance.get("source")
        try:
            unchanged = source_info(source["path"]) == source if isinstance(source, dict) else Path(video).is_file()
        except (FileNotFoundError, KeyError, TypeError):
            unchanged = False
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
    subject = summary.get("subject") or {}
    if subject:  # who was measured (pipeline/subject.py): the rule used, the person, and how many were in view
        row.update({"subject_person": subject.get("person"), "subject_rule_used": subject.get("used"),
                    "persons_status": subject.get("status")})
    return row


def write_summary_table(out_dir: str | Path, summaries: list[dict]) -> Path:
    """Write OUT/summary.csv: one row per summary (_summary_row), in the order given, the
    measures model's answer (ANSWER_KEYS) in the last columns; the header row
    (SUMMARY_CSV_HEADER) even when there is none."""
    rows = [_summary_row(summary) for summary in summaries]
    table = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(SUMMARY_CSV_HEADER))
    answers = [key for key in ANSWER_KEYS if key in table.columns]  # the measures model's, last
    table = table[[column for column in table.columns if column not in answers] + answers]
    path = Path(out_dir) / "summary.csv"
    atomic_write(path, table.to_csv(index=False))
    return path


def write_reports(out_dir: str | Path, metadata: str | Path | None = None) -> list[Path]:
    """Render an existing `analyze` output folder again: a report for every current
    NAME_summary.json in out_dir (folder_summaries, the videos summary.csv lists) and
    the index; records from metadata.jsonl when given. A missing NAME_frames.csv gives a
    report that says so. Returns the report paths, index last. (`analyze --html` writes its
    pages as it goes: pipeline/run.py.)"""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"{out_dir}: folder not found; expected the --out folder of `expressiveness analyze`.")
    run_report = out_dir / "run_report.json"
    failures = json.loads(run_report.read_text(encoding="utf-8")).get("failures", []) if run_report.exists() else []
    # The rows of summary.csv, one truth per folder: a video that failed in the last run is not
    # listed with the summary an earlier run left (summary.csv does not list it either).
    summaries, left_out = folder_summaries(out_dir, skip={failure.get("name") for failure in failures})
    if not summaries and left_out:
        raise FileNotFoundError(f"{out_dir}: none of its {len(left_out)} NAME_summary.json is current (the videos "
                                f"changed or are gone); run `expressiveness analyze VIDEOS --out {out_dir}` again.")
    if not summaries:
        raise FileNotFoundError(f"{out_dir}: no NAME_summary.json in this folder; run `expressiveness analyze "
                                f"VIDEOS --out {out_dir}` first.")
    from expressiveness.report.findings import match_records, video_name
    from expressiveness.report.pages import write_index, write_video_report

    records = {}
    if metadata is not None:
        from expressiveness.data.metadata import load_metadata

        records = match_records(summaries, load_metadata(metadata))
    tables, written = {}, []
    for summary in summaries:
        name = video_name(summary)
        csv_path = out_dir / f"{name}_frames.csv"
        tables[name] = pd.read_csv(csv_path) if csv_path.exists() else None
        written.append(write_video_report(summary, tables[name], out_dir / f"{name}_report.html",
                                          record=records.get(name), index_name="index.html"))
    written.append(write_index(summaries, out_dir, records, tables=tables, failures=failures))
    return written
