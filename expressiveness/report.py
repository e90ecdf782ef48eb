"""Reports: one self-contained HTML page per analysed interview, an index of a folder, and the
data-set report (markdown with figures).

They are built from what `expressiveness analyze` writes (NAME_summary.json, NAME_frames.csv)
plus, optionally, the video itself (resolution, face thumbnails) and its metadata record.
Every page is a single HTML file: CSS, figures (base64 PNG) and thumbnails (base64 JPEG)
inline, no external URL; the index has a few lines of inline JavaScript to sort its table.
Names, paths, questions and transcripts are escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from . import __version__, plots
from ._io import atomic_write
from .analysis import analyze_dataset, report_markdown, summary_json
from .config import LABELS, SCORE_FIELDS, TARGET_SCORE, THRESHOLDS
from .metadata import expressiveness_level
from .errors import UnreadableVideoError
from .video import iter_frames, probe_video

TABLE_COLUMNS = ("frame", "timestamp", "success", "prob_reserved", "prob_balanced", "prob_expressive", "level")
EXPRESSIVITY_COLUMNS = ("expressivity", "expressivity_brows", "expressivity_eyes", "expressivity_mouth")
HEAD_POSE_COLUMNS = ("head_yaw_deg", "head_pitch_deg", "head_roll_deg")
REGION_NAMES = {"expressivity": "whole face", "expressivity_brows": "brows", "expressivity_eyes": "eyes",
                "expressivity_mouth": "mouth", "head_yaw_deg": "yaw (turn)", "head_pitch_deg": "pitch (nod)",
                "head_roll_deg": "roll (tilt)"}
SHARE_KEYS = dict(zip(LABELS, ("share_reserved", "share_balanced", "share_expressive")))
MEASURE_SUMMARY_LABELS = (("expressivity", "Expressivity, whole face"), ("expressivity_brows", "Expressivity, brows"),
                          ("expressivity_eyes", "Expressivity, eyes"), ("expressivity_mouth", "Expressivity, mouth"),
                          ("facial_motion", "Facial motion"), ("head_motion_deg_s", "Head motion (degrees/s)"))
MEASURE_SINGLE_LABELS = (("head_yaw_range_deg", "Head turn left-right, 5th-95th percentile range (degrees)"),
                         ("head_pitch_range_deg", "Head nod up-down, 5th-95th percentile range (degrees)"),
                         ("head_roll_range_deg", "Head tilt, 5th-95th percentile range (degrees)"),
                         ("blinks_per_minute", "Blinks per minute"),
                         ("landmarks_share", "Frames with face landmarks"))
MOMENTS = 3  # thumbnails of the highest and of the lowest moments
THUMBNAIL_PX = 112


def percent(share) -> str:
    """0.4286 -> "43%"; never rounds a share that is not 0 or 1 to "0%" or "100%"."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "n/a"
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def _environment():
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True)
    environment.filters["percent"] = percent
    return environment


def _name(summary: dict) -> str:
    if summary.get("name"):
        return str(summary["name"])
    if summary.get("video"):
        return Path(summary["video"]).stem
    raise ValueError("the summary has neither \"name\" nor \"video\"; expected a NAME_summary.json written by "
                     "`expressiveness analyze`.")


def _columns_with_values(table: pd.DataFrame | None, columns) -> list[str]:
    """Those of `columns` present in the table with at least one number."""
    if table is None:
        return []
    return [column for column in columns
            if column in table and pd.to_numeric(table[column], errors="coerce").notna().any()]


def check_table(table: pd.DataFrame, name: str) -> None:
    missing = [column for column in TABLE_COLUMNS if column not in table]
    if missing:
        raise ValueError(f"the per-frame table of {name} has no column {', '.join(missing)}; expected the "
                         f"NAME_frames.csv written by `expressiveness analyze`.")


def describe(summary: dict, faced_frames: int | None = None) -> list[str]:
    """The summary in words: a few sentences, numbers as in the summary (percent rounded)."""
    analysed = int(summary.get("frames_analyzed") or 0)
    every = summary.get("every") or 1
    sampled = f" (every {every}th frame)" if every > 1 else ""
    if not summary.get("dominant_level"):
        return [f"No face was found in any of the {analysed} analysed frames{sampled}, so there is no level or "
                f"measure to report. The detector finds faces within about 2 m of the camera (short range); "
                f"check that the video shows the interviewee's face."]
    face_share = summary.get("face_share", 0.0)
    if faced_frames is None:
        faced_frames = round(face_share * analysed)
    shares = [(label, summary.get(SHARE_KEYS[label]) or 0.0) for label in LABELS]
    shares = [f"{label} {percent(share)}" for label, share in sorted(shares, key=lambda item: -item[1]) if share > 0]
    if len(shares) == 1:
        levels = f"the level was {shares[0].rsplit(' ', 1)[0]} throughout"
    else:
        levels = f"the level was {', '.join(shares[:-1])} and {shares[-1]} of the time"
    sentences = [f"A face was visible in {percent(face_share)} of the analysed frames ({faced_frames} of "
                 f"{analysed}{sampled}); among those frames {levels}."]
    changes = summary.get("level_changes", 0)
    expected = summary.get("expected_level")
    scale = f", an expected level of {expected:.2f} on a scale from 0 (Reserved) to 2 (Expressive)" \
        if expected is not None else ""
    sentences.append(f"Averaging the probabilities over those frames, the most likely level is "
                     f"{summary['dominant_level']}{scale}; the frame-by-frame level changed {changes} "
                     f"time{'s' if changes != 1 else ''}.")
    mean, p90 = summary.get("expressivity_mean"), summary.get("expressivity_p90")
    if isinstance(mean, (int, float)) and math.isfinite(mean):
        sentences.append(f"Mean expressivity was {mean:.2f}" + (
            f" (90th percentile {p90:.2f})." if isinstance(p90, (int, float)) and math.isfinite(p90) else "."))
    return sentences


def human_rating(summary: dict, record: dict | None) -> dict | None:
    """The metadata's facial_expression score, its level at the model's cut points, and
    whether the model's dominant level agrees."""
    if not record or record.get("facial_expression") is None:
        return None
    score = float(record["facial_expression"])
    thresholds = tuple(summary.get("thresholds") or THRESHOLDS)
    level = expressiveness_level(score, thresholds)
    return {"score": score, "level": level, "thresholds": thresholds,
            "agrees": level == summary.get("dominant_level") if summary.get("dominant_level") else None}


def find_moments(table: pd.DataFrame, count: int = MOMENTS) -> dict:
    """The `count` frames with a face scoring highest, and the `count` lowest, spread out (no
    two closer than 1/(2 count + 1) of the time between the first and last face): scored by
    `expressivity` when that column has values, else by the expected level (prob_balanced +
    2 prob_expressive, in [0, 2]). Returns {"measure": name, "highest": rows, "lowest": rows},
    rows being table rows as dicts plus "moment_score", best first / lowest first."""
    faced = table[(table["success"] == 1) & table[["face_x", "face_y", "face_width", "face_height"]].notna()
                  .all(axis=1)] if "face_x" in table else table.iloc[:0]
    if _columns_with_values(faced, ("expressivity",)):
        measure, scores = "expressivity", pd.to_numeric(faced["expressivity"], errors="coerce")
    else:
        measure = "expected level"
        scores = faced["prob_balanced"].astype("float64") + 2 * faced["prob_expressive"].astype("float64")
    faced = faced.assign(moment_score=scores).dropna(subset=["moment_score"])
    if faced.empty:
        return {"measure": measure, "highest": [], "lowest": []}
    time_s = faced["timestamp"].astype("float64")
    gap_s = (time_s.max() - time_s.min()) / (2 * count + 1)
    chosen: list[float] = []

    def pick(order) -> list[dict]:
        picked = []
        for _, row in order.iterrows():
            if len(picked) == count:
                break
            if all(abs(row["timestamp"] - other) > gap_s for other in chosen):
                picked.append(row.to_dict())
                chosen.append(row["timestamp"])
        return picked

    highest = pick(faced.sort_values("moment_score", ascending=False, kind="stable"))
    lowest = pick(faced.sort_values("moment_score", ascending=True, kind="stable")) if len(faced) > 1 else []
    return {"measure": measure, "highest": highest, "lowest": lowest}


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


def _facts(summary: dict, video_path: Path, info) -> list[tuple[str, str]]:
    thresholds = summary.get("thresholds") or THRESHOLDS
    options = [f"{key} {'none' if summary[key] is None else summary[key]}" for key in (
        "every", "smoothing", "backend", "detector_model", "detector", "min_confidence", "face_selection")
        if key in summary]
    facts = [("File", video_path.name), ("Path", str(video_path)),
             ("Duration", f"{summary.get('duration_s', 0):.2f} s"),
             ("Frames", f"{summary.get('frames_analyzed', 0)} analysed of {summary.get('frames_total', '?')}"
                        f" at {summary.get('fps', 0):g} fps")]
    if info is not None:
        facts.append(("Resolution", f"{info.width} x {info.height} px"))
    model = str(summary.get("model", "?"))
    if summary.get("model_modified"):
        model += f" (trained {summary['model_modified']})"
    facts += [("Model", model), ("Model file", str(summary.get("model_path", "?"))),
              ("Cut points", f"{thresholds[0]:g} / {thresholds[1]:g} on the facial_expression score"),
              ("Options", ", ".join(options) or "defaults"),
              ("Report written", datetime.now().strftime("%Y-%m-%d %H:%M")),
              ("Toolkit", f"expressiveness {__version__}")]
    return facts


def _measure_summaries(summary: dict) -> list[tuple[str, str]]:
    """(label, value text) for the facial-measure figures in a summary (those present and finite)."""
    def number(key):
        value = summary.get(key)
        finite = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return value if finite else None

    rows, used = [], set()
    for base, label in MEASURE_SUMMARY_LABELS:
        parts = [f"{word} {number(key):.3g}" for word, key in (("mean", f"{base}_mean"), ("90th percentile",
                                                                 f"{base}_p90")) if number(key) is not None]
        if parts:
            rows.append((label, ", ".join(parts)))
        used.update((f"{base}_mean", f"{base}_p90"))
    for key, label in MEASURE_SINGLE_LABELS:
        if number(key) is not None:
            rows.append((label, percent(number(key)) if key.endswith("_share") else f"{number(key):.3g}"))
        used.add(key)
    prefixes = ("expressivity", "facial_motion", "head_", "blinks", "landmarks", "eyes_open", "mouth_open")
    rows += [(key, f"{number(key):.3g}") for key in summary
             if key.startswith(prefixes) and key not in used and number(key) is not None]
    return rows


def write_video_report(summary: dict, table: pd.DataFrame | None, out_path: str | Path,
                       video_path: str | Path | None = None, record: dict | None = None,
                       frames_csv_name: str | None = None, index_name: str | None = None) -> Path:
    """Write one interview's self-contained HTML report and return its path.

    summary: the NAME_summary.json dict; table: the per-frame table (None when it is
    missing: the report then says so and has no chart); out_path: the HTML file, or a folder
    to write NAME_report.html in; video_path: the video (default summary["video"]), read for
    its resolution and face thumbnails when it can be; record: the video's metadata row;
    frames_csv_name: the per-frame CSV, linked relative to the report (default
    NAME_frames.csv, linked only when it exists beside the report).
    """
    name = _name(summary)
    out_path = Path(out_path)
    if out_path.is_dir():
        out_path = out_path / f"{name}_report.html"
    if table is not None:
        check_table(table, name)
    video_path = Path(video_path or summary.get("video") or name)
    try:
        info = probe_video(video_path)
    except (FileNotFoundError, UnreadableVideoError):
        info = None
    faced = table[table["success"] == 1] if table is not None else None
    has_face = bool(summary.get("dominant_level")) and (faced is None or len(faced) > 0)
    charts, moments, thumbnails = [], None, {}
    if table is not None and has_face:
        charts.append({"kind": "levels", "title": "Level over time", "alt": "level probabilities and level over time",
                       "uri": plots.figure_data_uri(plots.plot_level_timeline(table))})
        for kind, title, alt, columns, unit, guides in (
                ("measures", "Facial measures", "expressivity over time", EXPRESSIVITY_COLUMNS, "expressivity", ()),
                ("pose", "Head pose", "head yaw, pitch and roll over time", HEAD_POSE_COLUMNS, "degrees", (-45, 45))):
            columns = _columns_with_values(table, columns)
            if columns:
                figure = plots.plot_measure_lines(table, columns, unit, alt.capitalize(), guides,
                                                  [REGION_NAMES[column] for column in columns])
                charts.append({"kind": kind, "title": title, "alt": alt, "uri": plots.figure_data_uri(figure)})
        moments = find_moments(table)
        if info is not None:
            thumbnails = face_thumbnails(video_path, moments["highest"] + moments["lowest"])
    frames_csv_name = frames_csv_name or f"{name}_frames.csv"
    csv_exists = (out_path.parent / frames_csv_name).exists()
    html = _environment().get_template("report.html").render(
        name=name, summary=summary, sentences=describe(summary, None if faced is None else len(faced)),
        facts=_facts(summary, video_path, info), video_found=info is not None, has_face=has_face,
        table_missing=table is None, charts=charts, moments=moments, thumbnails=thumbnails,
        measure_summaries=_measure_summaries(summary), record=record, human=human_rating(summary, record),
        levels=[(label, summary.get(key) or 0.0, color) for (label, key), color in
                zip(SHARE_KEYS.items(), plots.LEVEL_COLORS)],
        frames_csv_name=frames_csv_name, frames_csv_href=quote(frames_csv_name) if csv_exists else None,
        index_href=quote(index_name) if index_name else None)
    atomic_write(out_path, html)
    return out_path


def write_index(summaries: list[dict], out_dir: str | Path, records: dict | None = None,
                report_names: dict | None = None, tables: dict | None = None,
                failures: list[dict] | None = None) -> Path:
    """Write out_dir/index.html: one row per video (sortable by any column), linking to its
    report. records, report_names and tables are keyed by the summary's name; report names
    default to NAME_report.html, tables are read from NAME_frames.csv when not given (for the
    sparklines). failures: rows {"video", "error"} of videos that could not be analysed."""
    out_dir = Path(out_dir)
    records, report_names, tables = records or {}, report_names or {}, dict(tables or {})
    rows = []
    for summary in summaries:
        name = _name(summary)
        table = tables.get(name)
        if table is None and (out_dir / f"{name}_frames.csv").exists():
            table = pd.read_csv(out_dir / f"{name}_frames.csv")
        expressivity = summary.get("expressivity_mean")
        if expressivity is None and _columns_with_values(table, ("expressivity",)):
            expressivity = float(np.nanmean(pd.to_numeric(table["expressivity"], errors="coerce")))
        has_face = bool(summary.get("dominant_level"))
        rows.append({"name": name, "href": quote(report_names.get(name, f"{name}_report.html")),
                     "summary": summary, "record": records.get(name),
                     "human": human_rating(summary, records.get(name)), "expressivity": expressivity,
                     "shares": [summary.get(key) or 0.0 for key in SHARE_KEYS.values()],
                     "sparkline": plots.level_sparkline_svg(table, width=120) if table is not None and has_face else None})
    html = _environment().get_template("index.html").render(
        rows=rows, labels=LABELS, colors=plots.LEVEL_COLORS, with_records=bool(records),
        with_expressivity=any(row["expressivity"] is not None for row in rows), failures=failures or [],
        written=datetime.now().strftime("%Y-%m-%d %H:%M"), version=__version__)
    path = out_dir / "index.html"
    atomic_write(path, html)
    return path


def match_records(summaries: list[dict], records: pd.DataFrame) -> dict[str, dict]:
    """{summary name: metadata record} for the videos listed in the metadata (load_metadata's
    DataFrame), matched by resolved video path, else by file name."""
    by_path = {str(Path(path).resolve()): row for path, row in zip(records["video_path"], records.to_dict("records"))}
    by_file = {Path(path).name: row for path, row in zip(records["video_path"], records.to_dict("records"))}
    matched = {}
    for summary in summaries:
        video = Path(summary.get("video", ""))
        row = by_path.get(str(video.resolve())) or by_file.get(video.name)
        if row is not None:
            matched[_name(summary)] = row
    return matched


def write_reports(out_dir: str | Path, metadata: str | Path | None = None) -> list[Path]:
    """A report for every NAME_summary.json in out_dir (an `analyze` output folder) and the
    index; records from metadata.jsonl when given. A missing NAME_frames.csv gives a report
    that says so. Returns the report paths, index last."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"{out_dir}: folder not found; expected the --out folder of `expressiveness analyze`.")
    summaries = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(out_dir.glob("*_summary.json"))]
    if not summaries:
        raise FileNotFoundError(f"{out_dir}: no NAME_summary.json in this folder; run `expressiveness analyze "
                                f"VIDEOS --out {out_dir}` first.")
    records = {}
    if metadata is not None:
        from .metadata import load_metadata

        records = match_records(summaries, load_metadata(metadata))
    tables, written = {}, []
    for summary in summaries:
        name = _name(summary)
        csv_path = out_dir / f"{name}_frames.csv"
        tables[name] = pd.read_csv(csv_path) if csv_path.exists() else None
        written.append(write_video_report(summary, tables[name], out_dir / f"{name}_report.html",
                                          record=records.get(name), index_name="index.html"))
    run_report = out_dir / "run_report.json"
    failures = json.loads(run_report.read_text(encoding="utf-8")).get("failures", []) if run_report.exists() else []
    written.append(write_index(summaries, out_dir, records, tables={k: v for k, v in tables.items() if v is not None},
                               failures=failures))
    return written


def write_dataset_report(metadata_path: str | Path, out_dir: str | Path, check_videos: bool = True,
                         face_frames: int = 0, workers: int = 4, progress: bool = True) -> dict:
    """Analyse a data set and write its report into out_dir: one PNG per figure, summary.json,
    records.csv and report.md. Returns the analysis result (analysis.analyze_dataset)."""
    result, records = analyze_dataset(metadata_path, check_videos, face_frames, workers, progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    balances = {"default cut points": result["levels_default"]}
    if result["levels_tertiles"]:
        balances["tertiles"] = result["levels_tertiles"]
    for split, balance in (result["levels_by_split"] or {}).items():
        balances[f"{split} split"] = balance
    drawings = {
        "scores": lambda path: plots.plot_score_distributions(records, SCORE_FIELDS, path),
        "correlations": lambda path: plots.plot_score_correlations(records, SCORE_FIELDS, path),
        "by_question": lambda path: plots.plot_score_by_question(records, TARGET_SCORE, path),
        "by_duration_quality": lambda path: plots.plot_score_by_conditions(records, TARGET_SCORE, path),
        "levels": lambda path: plots.plot_level_balance(balances, path),
    }
    figures = {}
    for key, draw in drawings.items():
        plots.plt.close(draw(out / f"{key}.png"))
        figures[key] = f"{key}.png"
    atomic_write(out / "summary.json", summary_json(result))
    atomic_write(out / "records.csv", records.drop(columns=["transcript", "gemini_summary"]).to_csv(index=False))
    atomic_write(out / "report.md", report_markdown(result, figures))
    return result
