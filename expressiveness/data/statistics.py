"""Data-set analysis before training: score statistics, cut points, class balance, the share of
`facial_expression` that belongs to the person, and whether the videos are usable.

Functions return numbers and tables; quick_analysis.py and analyze_facial_data.py (through
cli.py) print them and draw the figures.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm

from expressiveness.config import LABELS, SCORE_FIELDS, TARGET_SCORE, THRESHOLDS
from expressiveness.data.metadata import scan_metadata
from expressiveness.data.levels import level_index, participant_split, tertile_thresholds
from expressiveness.video import UnreadableVideoError, iter_frames, probe_video, sample_indices


def describe_scores(scores) -> dict:
    """count, mean, sd (n - 1), min, q1, median, q3, max (numpy's linear percentiles), skew
    (adjusted Fisher-Pearson) and excess kurtosis (unbiased), of finite scores."""
    values = np.asarray(scores, dtype="float64")
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    enough = len(values) > 3 and values.std() > 0
    return {"count": int(len(values)), "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if len(values) > 1 else None, "min": float(values.min()),
            "q1": float(q1), "median": float(median), "q3": float(q3), "max": float(values.max()),
            "skew": float(stats.skew(values, bias=False)) if enough else None,
            "excess_kurtosis": float(stats.kurtosis(values, fisher=True, bias=False)) if enough else None}


def level_balance(scores, thresholds) -> dict:
    """{level: {"count", "share"}} under the given cut points."""
    counts = np.bincount(level_index(scores, thresholds), minlength=len(LABELS))
    total = max(1, int(counts.sum()))
    return {label: {"count": int(count), "share": count / total} for label, count in zip(LABELS, counts)}


def _count_lines(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def quick_stats(metadata_path: str | Path, limit: int | None = 500) -> dict:
    """Statistics of `facial_expression` over the first `limit` records (None: all), read in
    non-strict mode. Raises like scan_metadata when no record is valid."""
    metadata_path = Path(metadata_path)
    records, report = scan_metadata(metadata_path, strict=False, limit=limit)
    scores = records[TARGET_SCORE]
    tertiles = tertile_thresholds(scores) if len(scores) >= 3 else None
    total_lines = _count_lines(metadata_path)
    return {
        "metadata": str(metadata_path),
        "lines_in_file": total_lines,
        "lines_read": report.lines_read,
        "records_kept": report.records_kept,
        "dropped": [{"line": bad.line, "reason": bad.reason, "message": bad.message} for bad in report.dropped],
        "participants": int(records["user_no"].nunique()),
        "questions": int(records["question_id"].nunique()),
        "sample_is_whole_file": report.lines_read == total_lines,
        TARGET_SCORE: describe_scores(scores),
        "default_thresholds": list(THRESHOLDS),
        "tertile_thresholds": list(tertiles) if tertiles else None,
        "levels_default": level_balance(scores, THRESHOLDS),
        "levels_tertiles": level_balance(scores, tertiles) if tertiles else None,
    }


def _number(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_quick_stats(result: dict) -> str:
    lines = [f"{result['metadata']}: read {result['lines_read']} of {result['lines_in_file']} records, kept "
             f"{result['records_kept']}, dropped {len(result['dropped'])}."]
    for bad in result["dropped"][:10]:
        lines.append(f"  dropped: {bad['message']}")
    if len(result["dropped"]) > 10:
        lines.append(f"  ... and {len(result['dropped']) - 10} more dropped lines")
    lines.append(f"Covers {result['participants']} participants and {result['questions']} questions.")
    if not result["sample_is_whole_file"]:
        lines.append(f"WARNING: these are the first {result['lines_read']} records, not a random sample (RecruitView "
                     f"is ordered by question); use --all for the whole file.")
    described = result[TARGET_SCORE]
    lines.append(f"\n{TARGET_SCORE}: " + ", ".join(
        f"{name} {_number(described[name]) if name != 'count' else described[name]}" for name in
        ("count", "mean", "sd", "min", "q1", "median", "q3", "max", "skew", "excess_kurtosis")))
    low, high = result["default_thresholds"]
    tertiles = result["tertile_thresholds"]
    lines.append(f"Cut points: default {low:.3f} / {high:.3f}; tertiles of these records "
                 + (f"{tertiles[0]:.3f} / {tertiles[1]:.3f}" if tertiles else "n/a (fewer than 3 scores)"))
    lines.append(f"\n{'level':22s} {'default':>16s} {'tertiles':>16s}")
    for label in LABELS:
        default = result["levels_default"][label]
        cells = [f"{default['count']:6d} ({default['share']:5.1%})"]
        if result["levels_tertiles"]:
            tertile = result["levels_tertiles"][label]
            cells.append(f"{tertile['count']:6d} ({tertile['share']:5.1%})")
        lines.append(f"{label:22s} " + " ".join(f"{cell:>16s}" for cell in cells))
    return "\n".join(lines)


def variance_by_participant(records: pd.DataFrame, column: str = TARGET_SCORE) -> dict:
    """How much of a score belongs to the person: one-way ANOVA over participants.

    share_between = SS_between / SS_total (eta squared); icc1 = (MSB - MSW) / (MSB + (k - 1) MSW)
    with k the mean number of clips per participant."""
    groups = records.groupby("user_no")[column]
    values = records[column].to_numpy(dtype="float64")
    grand = values.mean()
    sizes, means = groups.size().to_numpy(), groups.mean().to_numpy()
    ss_between = float(np.sum(sizes * (means - grand) ** 2))
    ss_total = float(np.sum((values - grand) ** 2))
    ss_within = ss_total - ss_between
    participants, clips = len(sizes), len(values)
    result = {"participants": participants, "clips": clips, "ss_between": ss_between, "ss_within": ss_within,
              "share_between": ss_between / ss_total if ss_total > 0 else None, "icc1": None}
    if participants > 1 and clips > participants:
        ms_between = ss_between / (participants - 1)
        ms_within = ss_within / (clips - participants)
        k = clips / participants
        denominator = ms_between + (k - 1) * ms_within
        result["icc1"] = (ms_between - ms_within) / denominator if denominator > 0 else None
    return result


def split_balance(records: pd.DataFrame) -> dict | None:
    """Level counts per participant split, as training would make it (None if < 3 people)."""
    try:
        split = participant_split(records)
    except ValueError:
        return None
    return {name: level_balance(records.loc[split == name, TARGET_SCORE], THRESHOLDS)
            for name in ("train", "validation", "test")}


def probe_all(records: pd.DataFrame, workers: int = 4, progress: bool = True) -> pd.DataFrame:
    """One row per record: video_status (ok | missing | unreadable), duration_s, fps, width,
    height, frame_count and the error, from the container header (no full decode)."""
    def probe(path):
        try:
            info = probe_video(path)
        except FileNotFoundError as error:
            return {"video_status": "missing", "video_error": str(error)}
        except UnreadableVideoError as error:
            return {"video_status": "unreadable", "video_error": str(error)}
        return {"video_status": "ok", "duration_s": round(info.duration_s, 3), "fps": round(info.fps, 3),
                "width": info.width, "height": info.height, "frame_count": info.frame_count, "video_error": ""}

    with ThreadPoolExecutor(workers) as pool:  # OpenCV releases the GIL while opening files
        rows = list(tqdm(pool.map(probe, records["video_path"]), total=len(records), desc="Probing videos",
                         unit="video", disable=not progress))
    columns = ["video_status", "duration_s", "fps", "width", "height", "frame_count", "video_error"]
    return pd.DataFrame(rows, columns=columns, index=records.index)


def face_coverage(records: pd.DataFrame, frames_per_video: int, progress: bool = True) -> pd.Series:
    """Share of `frames_per_video` evenly sampled frames with a face, per record (NaN when
    the video cannot be read)."""
    from expressiveness.face import FaceDetector

    shares = []
    with FaceDetector() as detector:
        for path in tqdm(records["video_path"], desc="Face coverage", unit="video", disable=not progress):
            try:
                info = probe_video(path)
                found = [bool(detector.detect(frame.image)) for frame in
                         iter_frames(path, sample_indices(info.frame_count, count=frames_per_video), info)]
                shares.append(float(np.mean(found)) if found else np.nan)
            except (FileNotFoundError, UnreadableVideoError):
                shares.append(np.nan)
    return pd.Series(shares, index=records.index, name="face_share")


def summary_json(result: dict) -> str:
    return json.dumps(result, indent=2, default=lambda value: None if value is pd.NA else str(value))


def describe_dataset(metadata_path: str | Path, videos: bool = True, faces: int = 0, workers: int = 4,
                    progress: bool = True) -> tuple[dict, pd.DataFrame]:
    """The full analysis of a metadata file (non-strict). Returns (result, records) where
    records has one row per valid record with `level`, `level_tertiles` and, when checked,
    the video facts and face share. Raises like scan_metadata when no record is valid."""
    metadata_path = Path(metadata_path)
    records, report = scan_metadata(metadata_path, strict=False)
    scores = records[TARGET_SCORE]
    tertiles = tertile_thresholds(scores) if len(scores) >= 3 else None
    records["level"] = [LABELS[index] for index in level_index(scores, THRESHOLDS)]
    if tertiles:
        records["level_tertiles"] = [LABELS[index] for index in level_index(scores, tertiles)]
    correlations = records[list(SCORE_FIELDS)].corr()[TARGET_SCORE].drop(TARGET_SCORE).dropna()
    strongest = correlations.abs().idxmax() if len(correlations) else None
    result = {
        "metadata": str(metadata_path), "lines_read": report.lines_read, "records_kept": report.records_kept,
        "dropped": [{"line": bad.line, "reason": bad.reason, "message": bad.message} for bad in report.dropped],
        "participants": int(records["user_no"].nunique()), "questions": int(records["question_id"].nunique()),
        "scores": {name: describe_scores(records[name]) for name in SCORE_FIELDS},
        "strongest_correlate": [strongest, float(correlations[strongest])] if strongest else None,
        "by_duration": records.groupby("duration")[TARGET_SCORE].describe().round(4).to_dict(orient="index"),
        "by_video_quality": records.groupby("video_quality")[TARGET_SCORE].describe().round(4)
        .to_dict(orient="index"),
        "variance_by_participant": variance_by_participant(records),
        "default_thresholds": list(THRESHOLDS),
        "tertile_thresholds": list(tertiles) if tertiles else None,
        "levels_default": level_balance(scores, THRESHOLDS),
        "levels_tertiles": level_balance(scores, tertiles) if tertiles else None,
        "levels_by_split": split_balance(records),
    }
    if videos:
        records = records.join(probe_all(records, workers, progress))
        ok = records[records["video_status"] == "ok"]
        bad = records[records["video_status"] != "ok"]
        result["videos"] = {
            "checked": int(len(records)), "ok": int(len(ok)),
            "missing": int((records["video_status"] == "missing").sum()),
            "unreadable": int((records["video_status"] == "unreadable").sum()),
            "duration_min_s": float(ok["duration_s"].min()) if len(ok) else None,
            "duration_max_s": float(ok["duration_s"].max()) if len(ok) else None,
            "fps": sorted({float(value) for value in ok["fps"]}) if len(ok) else [],
            "resolutions": {f"{int(w)}x{int(h)}": int(n) for (w, h), n in
                            ok.groupby(["width", "height"]).size().items()} if len(ok) else {},
            "bad": [{"id": row.id, "status": row.video_status, "error": row.video_error} for row in bad.itertuples()],
        }
    if faces:
        records["face_share"] = face_coverage(records, faces, progress)
        shares = records["face_share"].dropna()
        result["face_coverage"] = {"frames_per_video": faces, "mean": float(shares.mean()) if len(shares) else None,
                                   "below_half": int((shares < 0.5).sum())}
    return result, records


def report_markdown(result: dict, figures: dict[str, str]) -> str:
    """report.md: each figure with one or two plain sentences drawn from `result`."""
    described = result["scores"][TARGET_SCORE]
    variance = result["variance_by_participant"]
    videos = result.get("videos")
    lines = [f"# Data set report: {result['metadata']}", "",
             f"{result['records_kept']} records kept of {result['lines_read']} lines "
             f"({len(result['dropped'])} dropped), {result['participants']} participants, "
             f"{result['questions']} questions.", ""]
    if result["dropped"]:
        lines += ["Dropped lines:", ""] + [f"- {bad['message']}" for bad in result["dropped"][:20]] + [""]
    sections = [
        ("scores", "Score distributions",
         f"All twelve scores, histogram with a kernel density estimate. `{TARGET_SCORE}` has mean "
         f"{_number(described['mean'])}, SD {_number(described['sd'])}, range {_number(described['min'])} to "
         f"{_number(described['max'])}, skew {_number(described['skew'])} and excess kurtosis "
         f"{_number(described['excess_kurtosis'])}."),
        ("correlations", "Correlations between scores",
         f"Pearson correlations of the twelve scores. `{TARGET_SCORE}` correlates most with "
         f"`{result['strongest_correlate'][0]}` (r = {result['strongest_correlate'][1]:.2f})."
         if result.get("strongest_correlate") else "Pearson correlations of the twelve scores."),
        ("by_question", f"{TARGET_SCORE} by question", "One box per question, in question order."),
        ("by_duration_quality", f"{TARGET_SCORE} by duration and video quality",
         "Differences here would mean the label depends on recording conditions, not only the face."),
        ("levels", "Level balance",
         f"Clips per level under the default cut points -0.303 / 0.294 and under tertiles "
         f"({', '.join(_number(v) for v in result['tertile_thresholds'])}), and per participant split of all "
         f"records (training splits only the clips with face crops, so its split can differ)." if result.get("tertile_thresholds") else "Clips per level."),
    ]
    for key, title, sentence in sections:
        if key in figures:
            lines += [f"## {title}", "", sentence, "", f"![{title}]({figures[key]})", ""]
    share = variance["share_between"]
    lines += ["## How much of the score is the person", "",
              f"Between participants: {_number(share)} of the variance of `{TARGET_SCORE}` (ICC(1) "
              f"{_number(variance['icc1'])}, {variance['participants']} participants, {variance['clips']} clips). "
              "A high share means a model can score well by recognising people, which is why splits are by "
              "participant.", ""]
    if videos:
        lines += ["## Videos", "",
                  f"{videos['ok']} of {videos['checked']} videos open; {videos['missing']} missing, "
                  f"{videos['unreadable']} unreadable. Durations {_number(videos.get('duration_min_s'), 1)} to "
                  f"{_number(videos.get('duration_max_s'), 1)} s; resolutions: {videos.get('resolutions')}.", ""]
        lines += [f"- {bad['id']}: {bad['error']}" for bad in videos["bad"][:50]] + [""]
    if result.get("face_coverage"):
        coverage = result["face_coverage"]
        lines += ["## Face coverage", "", f"Mean share of sampled frames with a face: "
                  f"{_number(coverage['mean'])}; {coverage['below_half']} videos have a face in fewer than half.", ""]
    lines += ["Files: `summary.json` (all numbers), `records.csv` (one row per record with level and video facts)."]
    return "\n".join(lines) + "\n"
