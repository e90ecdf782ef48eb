"""Reports: one self-contained HTML page per analysed interview and an index of a folder
(the data set's report is dataset_report.py).

They are built from an analysis's summary and per-frame table (in memory during a run,
pipeline/run.py; from NAME_summary.json and NAME_frames.csv when a folder is re-rendered) plus, optionally, the video itself (resolution, face thumbnails) and its metadata record; what
they say comes from findings.py. An analysis may hold levels, facial measures or both: a page
shows what is there and speaks of nothing else.
Every page is a single HTML file: CSS, figures (base64 PNG) and thumbnails (base64 JPEG)
inline, no external URL; the index has a few lines of inline JavaScript to sort its table.
Names, paths, questions and transcripts are escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from expressiveness import __version__
from expressiveness.card import NOT_RECORDED
from expressiveness.report import plots, plots_timeline
from expressiveness._io import atomic_write
from expressiveness.config import LABELS, THRESHOLDS
from expressiveness.errors import UnreadableVideoError
from expressiveness.report.findings import (MEASURE_NAMES, SHARE_KEYS, columns_with_values, describe, duration_words,
                                            find_moments, flatten, has_levels, has_measures, human_rating,
                                            measure_rows, number, percent, required_columns,
                                            video_name)
from expressiveness.report.origin import levels_origin, trained_on
from expressiveness.report.speech_words import speaking_share_note, speaking_words
from expressiveness.measures.quality import usable_mask, usable_rows
from expressiveness.video import iter_frames, probe_video

THUMBNAIL_PX = 112
TOO_FEW = "too few usable frames for this measure"  # shown by the index's dash



def _environment():
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True)
    environment.filters["percent"] = percent
    environment.filters["duration"] = duration_words
    environment.filters["seconds"] = _seconds_cell
    environment.filters["speaking"] = speaking_words
    return environment


def check_table(table: pd.DataFrame, summary: dict) -> None:
    """Raise ValueError unless the per-frame table has the columns its summary's report reads
    (levels and facial measures when the summary has them)."""
    missing = [column for column in required_columns(summary) if column not in table]
    if missing:
        raise ValueError(f"the per-frame table of {video_name(summary)} has no column {', '.join(missing)}; expected "
                         f"the NAME_frames.csv written by `expressiveness analyze`.")


def face_thumbnails(video_path: str | Path, rows: list[dict], size_px: int = THUMBNAIL_PX) -> dict[int, str]:
    """{frame index: JPEG data URI} of the face box (plus a margin) of each row, square,
    size_px wide, read from the video in one pass."""
    import cv2

    boxes = {int(row["frame"]): row for row in rows}
    thumbnails = {}
    for frame in iter_frames(video_path, sorted(boxes)):
        row = boxes[frame.index]
        side = 1.4 * max(float(row["face_width"]), float(row["face_height"]))
        centre_x = float(row["face_x"]) + float(row["face_width"]) / 2
        centre_y = float(row["face_y"]) + float(row["face_height"]) / 2
        height, width = frame.image.shape[:2]
        left, top = max(0, int(centre_x - side / 2)), max(0, int(centre_y - side / 2))
        crop = frame.image[top:min(height, int(top + side)), left:min(width, int(left + side))]
        if crop.size == 0:
            continue
        crop = cv2.resize(crop, (size_px, round(size_px * crop.shape[0] / crop.shape[1])),
                          interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            thumbnails[frame.index] = "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode()
    return thumbnails


def _reference_words(summary: dict) -> str:
    """What the facial measures were compared with, in words (the summary's `reference`)."""
    kind, faces = summary.get("reference"), summary.get("reference_faces")
    if kind == "whole_video":
        return f"the typical face is the median of {faces} usable faces spread over the whole video"
    if kind == "baseline":
        start_s, end_s = summary.get("baseline_s") or (0, 0)
        return f"the typical face is the median of {faces} usable faces of the baseline {start_s:g}-{end_s:g} s"
    if kind == "baseline_video":
        return f"the typical face is the median of {faces} usable faces of the baseline video {summary.get('baseline_video')}"
    if kind == "running":
        return summary.get("reference_note") or "the typical face was learnt while the video played"
    reference = summary.get("measures_reference_frames")  # a summary from before the whole-video reference
    return f"the typical face is the median of up to {reference} faces seen so far" if reference else "face mesh"


def _seconds_cell(summary: dict) -> str:
    """The index's Seconds cell: "19.7", or "5.7 of 19.7" when less (or more) was analysed than
    the header declares."""
    words = duration_words(summary)
    return words.replace(" s analysed of ", " of ").replace(" s declared", "").removesuffix(" s")


def _facts(summary: dict, video_path: Path, info) -> list[tuple[str, str]]:
    options = [f"{key} {'none' if summary[key] is None else summary[key]}" for key in (
        "every", "smoothing", "backend", "min_confidence", "face_selection")
        if key in summary]
    facts = [("File", video_path.name), ("Path", str(video_path)),
             ("Duration", duration_words(summary) + ("" if summary.get("complete") is False
                                                     else f" ({summary.get('duration_s', 0):.2f} s declared)")),
             ("Frames", f"{summary.get('frames_analyzed', 0)} analysed of {summary.get('frames_total', '?')} declared"
                        f" at {summary.get('fps', 0):g} fps")]
    if info is not None:
        facts.append(("Resolution", f"{info.width} x {info.height} px"))
    if has_levels(summary):
        thresholds = summary.get("thresholds") or THRESHOLDS
        model = str(summary.get("model", "?"))
        if summary.get("model_modified"):
            model += f" (trained {summary['model_modified']})"
        facts += [("Model", model), ("Model file", str(summary.get("model_path", "?"))),
                  ("Model trained on", trained_on(summary)),
                  ("Cut points", f"{thresholds[0]:g} / {thresholds[1]:g} on the facial_expression score")]
    else:
        facts.append(("Model", "none: facial measures only"))
    if has_measures(summary):
        facts.append(("Facial measures", "MediaPipe face landmarker; " + _reference_words(summary)))
    else:
        facts.append(("Facial measures", "not computed (--no-measures)"))
    if summary.get("measures_model"):
        facts.append(("Measures model", f"{summary['measures_model']} (sha256 "
                                        f"{str(summary.get('measures_model_sha256', '?'))[:12]}...)"))
    facts += [("Options", ", ".join(options) or "defaults"),
              ("Report written", datetime.now().strftime("%Y-%m-%d %H:%M")),
              ("Toolkit", f"expressiveness {__version__}")]
    return facts


def _charts(table: pd.DataFrame, levels: bool) -> list[dict]:
    """The report's figures of a table with faces (plots_timeline.report_figures: the timeline's
    panels), each as {"kind", "title", "alt", "uri"}."""
    return [{"kind": panel.kind, "title": panel.title, "alt": panel.alt, "uri": plots.figure_data_uri(figure)}
            for panel, figure in plots_timeline.report_figures(table, levels, MEASURE_NAMES)]


def _has_speech(table: pd.DataFrame) -> bool:
    """Whether the charts shade stretches of speech: a frame with `speaking` 1."""
    return "speaking" in table and bool((pd.to_numeric(table["speaking"], errors="coerce") == 1).any())


def write_video_report(summary: dict, table: pd.DataFrame | None, out_path: str | Path,
                       video_path: str | Path | None = None, record: dict | None = None,
                       frames_csv_name: str | None = None, index_name: str | None = None,
                       shown_path: str | Path | None = None) -> Path:
    """Write one interview's self-contained HTML report and return its path.

    summary: the NAME_summary.json dict; table: the per-frame table (None when it is
    missing: the report then says so and has no chart); out_path: the HTML file, or a folder
    to write NAME_report.html in; video_path: the video (default summary["video"]), read for
    its resolution and face thumbnails when it can be; record: the video's metadata row;
    frames_csv_name: the per-frame CSV, linked relative to the report (default
    NAME_frames.csv, linked only when it exists beside the report); index_name: the index
    page, linked at the top when given; shown_path: the video's path as the page shows it, when
    video_path is another spelling of it (default video_path).
    """
    summary = flatten(summary)
    name = video_name(summary)
    out_path = Path(out_path)
    if out_path.is_dir():
        out_path = out_path / f"{name}_report.html"
    if table is not None:
        check_table(table, summary)
    video_path = Path(video_path or summary.get("video") or name)
    try:
        info = probe_video(video_path)
    except (FileNotFoundError, UnreadableVideoError):
        info = None
    levels, measures = has_levels(summary), has_measures(summary)
    faced = table[table["success"] == 1] if table is not None else None
    has_face = bool(summary.get("face_share")) and (faced is None or len(faced) > 0)
    charts, moments, thumbnails = [], None, {}
    if table is not None and has_face:
        charts = _charts(table, levels)
        moments = find_moments(table)
        if info is not None:
            thumbnails = face_thumbnails(video_path, moments["highest"] + moments["lowest"])
    from expressiveness.report.persons import person_cards

    persons = person_cards(summary, video_path if info is not None else None)
    frames_csv_name = frames_csv_name or f"{name}_frames.csv"
    csv_exists = (out_path.parent / frames_csv_name).exists()
    html = _environment().get_template("report.html").render(
        name=name, summary=summary, with_levels=levels, with_measures=measures, levels_origin=levels_origin([summary]),
        sentences=describe(summary, None if faced is None else len(faced)),
        facts=_facts(summary, Path(shown_path or video_path), info),
        video_found=info is not None, has_face=has_face, table_missing=table is None, charts=charts,
        speech_shaded=table is not None and _has_speech(table), moments=moments, thumbnails=thumbnails,
        persons=persons, measure_rows=measure_rows(summary) if has_face else [], record=record,
        human=human_rating(summary, record), expressivity=number(summary, "expressivity_mean"),
        prediction={"model": summary["measures_model"], "score": summary.get("predicted_score"),
                    "level": summary.get("predicted_level"),
                    "trained_on": summary.get("measures_model_trained_on") or NOT_RECORDED}
        if summary.get("measures_model") else None,
        shares=[(label, summary.get(key) or 0.0, color) for (label, key), color in
                zip(SHARE_KEYS.items(), plots.LEVEL_COLORS)],
        frames_csv_name=frames_csv_name, frames_csv_href=quote(frames_csv_name) if csv_exists else None,
        index_href=quote(index_name) if index_name else None)
    atomic_write(out_path, html)
    return out_path


def index_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of a per-frame table that the index draws its timeline from."""
    return table[[column for column in (*plots_timeline.PROBABILITY_COLUMNS, "level", "expressivity", "usable")
                  if column in table.columns]]


def _sparkline(summary: dict, table: pd.DataFrame | None, expressivity_top: float) -> str | None:
    """The index's timeline of one video: levels when it has them, else its expressivity."""
    if table is None or not summary.get("face_share"):
        return None
    if has_levels(summary) and "level" in table:
        return plots_timeline.level_sparkline_svg(table, width=120)
    if columns_with_values(table, ("expressivity",)):
        values = pd.to_numeric(table["expressivity"], errors="coerce")
        values = values.where(usable_mask(table))  # frames that are not usable are gaps, as in the charts
        return plots_timeline.sparkline_svg(values, expressivity_top, width=120, name="expressivity timeline")
    return None


def write_index(summaries: list[dict], out_dir: str | Path, records: dict | None = None,
                report_names: dict | None = None, tables: dict | None = None,
                failures: list[dict] | None = None) -> Path:
    """Write out_dir/index.html: one row per video (sortable by any column), linking to its
    report. records, report_names and tables are keyed by the summary's name; report names
    default to NAME_report.html, tables are read from NAME_frames.csv when not given (for the
    sparklines). failures: rows {"video", "error"} of videos that could not be analysed.
    Level columns appear when a video has levels, the expressivity column when one has facial
    measures; expressivity sparklines share one scale (0 to the 99th percentile of all usable frames)."""
    out_dir = Path(out_dir)
    records, report_names, tables = records or {}, report_names or {}, dict(tables or {})
    summaries = [flatten(summary) for summary in summaries]
    names = [video_name(summary) for summary in summaries]
    for name in names:
        if tables.get(name) is None and (out_dir / f"{name}_frames.csv").exists():
            tables[name] = pd.read_csv(out_dir / f"{name}_frames.csv")
    values = [pd.to_numeric(usable_rows(table)["expressivity"], errors="coerce").to_numpy(dtype="float64")
              for table in tables.values() if table is not None and "expressivity" in table]
    values = np.concatenate(values) if values else np.zeros(0)
    top = float(np.percentile(values[np.isfinite(values)], 99)) if np.isfinite(values).any() else 1.0
    rows = [{"name": name, "href": quote(report_names.get(name, f"{name}_report.html")), "summary": summary,
             "record": records.get(name), "human": human_rating(summary, records.get(name)),
             "levels": has_levels(summary) and bool(summary.get("face_share")),
             "expressivity": number(summary, "expressivity_mean"), "usable": number(summary, "usable_share"),
             "measured": has_measures(summary),
             "shares": [summary.get(key) or 0.0 for key in SHARE_KEYS.values()],
             "speaking": number(summary, "speaking_share"), "speaking_note": speaking_share_note(summary),
             "sparkline": _sparkline(summary, tables.get(name), top)} for name, summary in zip(names, summaries)]
    # a Speaking column when some video has sound: a column of dashes says nothing
    with_speech = any(number(summary, "speaking_share") is not None for summary in summaries)
    with_levels = any(has_levels(summary) for summary in summaries)
    with_measures = any(has_measures(summary) for summary in summaries)
    key = ["Timeline: the level through the video (bottom strip) and the expected level from 0 Reserved to 2 "
           "Expressive (line)."] if with_levels else []
    if any(has_measures(summary) and not has_levels(summary) for summary in summaries):
        key.append(f"Timeline{' of a video without levels' if with_levels else ''}: expressivity through the video, "
                   f"from 0 to {top:.1f}% on one scale for every video.")
    measures_key = (" Usable: the share of analysed frames whose face is whole in the image, faces the camera and "
                    "is large enough. Expressivity: the mean, in % of the inter-ocular distance. \u2013 where a "
                    f"clip had {TOO_FEW}.")
    key.append("Blank where no face." + (measures_key if with_measures else ""))
    if with_speech:
        key.append("Speaking: the share of the usable time with a voice in the recording (voice activity, not who "
                   "speaks); \u2013 where there was no sound.")
    html = _environment().get_template("index.html").render(
        rows=rows, labels=LABELS, colors=plots.LEVEL_COLORS, with_records=bool(records), with_levels=with_levels,
        levels_origin=levels_origin(summaries),
        with_measures=with_measures, with_speech=with_speech, key=" ".join(key), too_few=TOO_FEW,
        failures=failures or [],
        written=datetime.now().strftime("%Y-%m-%d %H:%M"), version=__version__)
    path = out_dir / "index.html"
    atomic_write(path, html)
    return path
