"""What one analysed interview says, as data for its report: the summary in words, the facial
measures as labelled figures, the human rating beside the model's level, and the moments worth
a look. Pure functions of what `expressiveness analyze` writes (NAME_summary.json and the
per-frame table); report.py turns them into pages.

An analysis holds levels (the CNN's, with a model), facial measures (from the face mesh), or
both: `has_levels` and `has_measures` tell which from the summary's keys.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness.config import LABELS, PROBABILITY_COLUMNS, THRESHOLDS
from expressiveness.measures.facial import MEASURE_COLUMNS
from expressiveness.data.levels import expected_level, expressiveness_level
from expressiveness.measures.moments import top_moments
from expressiveness.measures.quality import usable_rows
from expressiveness.report.persons import persons_sentences
from expressiveness.report.speech_words import moment_speaking, speech_sentences, split_words
from expressiveness.report.wording import number, percent

SHARE_KEYS = dict(zip(LABELS, ("share_reserved", "share_balanced", "share_expressive")))
MEASURE_NAMES = {"expressivity": "whole face", "expressivity_brows": "brows", "expressivity_eyes": "eyes",
                 "expressivity_mouth": "mouth", "head_yaw_deg": "yaw (turn)", "head_pitch_deg": "pitch (nod)",
                 "head_roll_deg": "roll (tilt)", "blendshape_expressivity": "whole face",
                 "blendshape_expressivity_brows": "brows", "blendshape_expressivity_eyes": "eyes",
                 "blendshape_expressivity_cheeks_nose": "cheeks and nose", "blendshape_expressivity_mouth_jaw": "mouth and jaw"}
MEASURE_MEAN_LABELS = (
    ("expressivity", "Expressivity, whole face (% of the inter-ocular distance)"),
    ("expressivity_brows", "Expressivity, brows (%)"), ("expressivity_eyes", "Expressivity, eyes (%)"),
    ("expressivity_mouth", "Expressivity, mouth (%)"),
    ("blendshape_expressivity", "Blendshape expressivity, whole face (mean rise above the neutral, 0-1)"),
    ("blendshape_expressivity_brows", "Blendshape expressivity, brows"),
    ("blendshape_expressivity_eyes", "Blendshape expressivity, eyes"),
    ("blendshape_expressivity_cheeks_nose", "Blendshape expressivity, cheeks and nose"),
    ("blendshape_expressivity_mouth_jaw", "Blendshape expressivity, mouth and jaw"),
    ("facial_motion", "Facial motion (% of the inter-ocular distance per second)"),
    ("head_motion_deg_s", "Head motion (degrees per second)"))
MEASURE_SINGLE_LABELS = (("head_yaw_range_deg", "Head turn left-right, 5th-95th percentile range (degrees)"),
                         ("head_pitch_range_deg", "Head nod up-down, 5th-95th percentile range (degrees)"),
                         ("head_roll_range_deg", "Head tilt, 5th-95th percentile range (degrees)"),
                         ("blinks_per_minute", "Blinks per minute of face in view"),
                         ("landmarks_share", "Frames with face landmarks"),
                         ("usable_share", "Usable frames (face whole in the image, facing the camera, large enough)"))
MOMENTS = 3  # the highest and the lowest moments shown
QUALITY_WORDS = {"edge": "the face cut by the image border", "turned": "the head turned beyond 45 degrees",
                 "small": "the face too small", "low_presence": "the face mesh not confirming the face"}
# In a table from before frame quality (no `usable` column), expressivity was measured against a
# reference face built from the faces seen so far: 0 on the first face by construction, and low while
# the reference held only a few faces. Its frame-by-frame moments skip that warm-up: the first WARMUP_FACES faces with a value and the
# first WARMUP_S seconds after the first, or only those faces when that would leave fewer than half
# of them (a short clip).
WARMUP_FACES = 8
WARMUP_S = 1.0


def flatten(summary: dict) -> dict:
    """A summary with its provenance's settings (model, thresholds, every, min_confidence, ...) at the
    top level, where the report reads them; the summary's own keys win."""
    settings = {key: value for key, value in (summary.get("provenance") or {}).items() if key != "source"}
    return {**settings, **summary}


def video_name(summary: dict) -> str:
    """The name a summary's files and report carry: summary["name"], else the video's stem."""
    if summary.get("name"):
        return str(summary["name"])
    if summary.get("video"):
        return Path(summary["video"]).stem
    raise ValueError("the summary has neither \"name\" nor \"video\"; expected a NAME_summary.json written by "
                     "`expressiveness analyze`.")


def has_levels(summary: dict) -> bool:
    """Whether the analysis ran the CNN's levels (a model was used)."""
    return "dominant_level" in summary


def has_measures(summary: dict) -> bool:
    """Whether the analysis computed the facial measures."""
    return "expressivity_mean" in summary


def columns_with_values(table: pd.DataFrame | None, columns) -> list[str]:
    """Those of `columns` present in the table with at least one number."""
    if table is None:
        return []
    return [column for column in columns
            if column in table and pd.to_numeric(table[column], errors="coerce").notna().any()]


def duration_words(summary: dict) -> str:
    """How long the video is, as analysed: "19.7 s", or "5.7 s analysed of 19.7 s declared" when
    the frames decoded differ from what the header declares (summaries made before analysed_s
    give the header's duration alone)."""
    declared = number(summary, "duration_s") or 0.0
    analysed = number(summary, "analysed_s")
    if analysed is None and summary.get("complete") is False and number(summary, "fps"):
        analysed = (number(summary, "frames_decoded") or 0) / number(summary, "fps")  # a summary from before analysed_s
    if analysed is None:
        return f"{declared:.1f} s"
    if summary.get("complete") is False:
        return f"{analysed:.1f} s analysed of {declared:.1f} s declared"
    return f"{analysed:.1f} s"


def time_sentences(summary: dict) -> list[str]:
    """What "In brief" says first when the file or its clock misbehaved: how much was analysed of
    what the header declares, and steps of the clock that rates and durations did not trust."""
    sentences = []
    if summary.get("complete") is False and summary.get("warning"):
        sentences.append(f"Incomplete: {summary['warning']}; every figure here is over what was analysed.")
    irregular = summary.get("time_irregular") or 0
    if irregular:
        sentences.append(f"The file's clock jumped or stuttered at {irregular} step{'s' if irregular != 1 else ''} "
                         f"between frames; there, speeds and durations count one nominal frame interval instead.")
    return sentences


def required_columns(summary: dict) -> tuple[str, ...]:
    """The per-frame table columns a report of this summary reads."""
    return (("frame", "timestamp", "success") + (PROBABILITY_COLUMNS + ("level",) if has_levels(summary) else ())
            + (MEASURE_COLUMNS if has_measures(summary) else ()))


def describe(summary: dict, faced_frames: int | None = None) -> list[str]:
    """The summary in words: a few sentences, numbers as in the summary (shares in percent,
    expressivity to one decimal, degrees and blinks to whole numbers). Levels are spoken of
    only when the analysis has them, facial measures only when it has them; a second person in
    view (persons_sentences) first; speaking against listening (speech_words.speech_sentences)
    last, when a face was seen."""
    speech = speech_sentences(summary) if summary.get("face_share") else []
    return time_sentences(summary) + persons_sentences(summary) + _describe(summary, faced_frames) + speech


def _describe(summary: dict, faced_frames: int | None) -> list[str]:
    analysed = int(summary.get("frames_analyzed") or 0)
    every = summary.get("every") or 1
    sampled = f"one frame in {every}" if every > 1 else ""
    face_share = summary.get("face_share") or 0.0
    levels, measures = has_levels(summary), has_measures(summary)
    if not face_share:
        what = " or ".join(["level"] * levels + ["facial measure"] * measures) or "result"
        return [f"No face was found in any of the {analysed} analysed frames{f' ({sampled})' if sampled else ''}, so "
                f"there is no {what} to report. The detector finds faces within about 2 m of the camera (short "
                f"range); check that the video shows the interviewee's face."]
    if faced_frames is None:
        faced_frames = round(face_share * analysed)
    first = (f"A face was visible in {percent(face_share)} of the analysed frames ({faced_frames} of "
             f"{analysed}{f', {sampled}' if sampled else ''})")
    if not levels:
        return [first + "."] + _describe_measures(summary, face_share)
    shares = [(label, summary.get(key) or 0.0) for label, key in SHARE_KEYS.items()]
    shares = [f"{label} {percent(share)}" for label, share in sorted(shares, key=lambda item: -item[1]) if share > 0]
    if len(shares) == 1:
        spread = f"the level was {shares[0].rsplit(' ', 1)[0]} throughout"
    else:
        spread = f"the level was {', '.join(shares[:-1])} and {shares[-1]} of the time"
    changes = summary.get("level_changes", 0)
    expected = number(summary, "expected_level")
    scale = f", an expected level of {expected:.2f} on a scale from 0 (Reserved) to 2 (Expressive)" \
        if expected is not None else ""
    return [f"{first}; among those frames {spread}.",
            f"Averaging the probabilities over those frames, the most likely level is {summary['dominant_level']}"
            f"{scale}; the frame-by-frame level changed {changes} time{'s' if changes != 1 else ''}."
            ] + (_describe_measures(summary, face_share) if measures else [])


def _describe_measures(summary: dict, face_share: float) -> list[str]:
    mean, p90 = number(summary, "expressivity_mean"), number(summary, "expressivity_p90")
    unusable = summary.get("unusable_frames") or {}
    if mean is None and summary.get("usable_share") == 0 and set(unusable) - {"no_face"}:
        reason = max((reason for reason in unusable if reason != "no_face"), key=unusable.get)
        return [f"No frame had a face that could be measured (most often: {QUALITY_WORDS[reason]}), so there are "
                f"no facial measures."]
    if mean is None:
        return ["The face mesh found no face landmarks in the frames with a face, so there are no facial measures."]
    landmarks = number(summary, "landmarks_share")
    faces = round(landmarks * (summary.get("frames_analyzed") or 0)) if landmarks is not None else WARMUP_FACES
    if faces < WARMUP_FACES:
        return [f"The face mesh found the face's landmarks in only {faces} frame{'s' if faces != 1 else ''}: too few "
                f"for facial measures, as expressivity compares each face with the person's typical face over many."]
    parts = [f"Mean expressivity was {mean:.1f}% of the inter-ocular distance"
             + (f" (90th percentile {p90:.1f}%)" if p90 is not None else "")]
    yaw, pitch = number(summary, "head_yaw_range_deg"), number(summary, "head_pitch_range_deg")
    if yaw is not None and pitch is not None:
        parts.append(f"the head turned over a range of {_count(yaw, 'degree')} and nodded over "
                     f"{_count(pitch, 'degree')} (5th to 95th percentile)")
    blinks = number(summary, "blinks_per_minute")
    if blinks is not None:
        parts.append(f"{_count(blinks, 'blink')} per minute" if blinks else "no blink was seen")
    sentences = ["; ".join(parts) + "."]
    usable = number(summary, "usable_share")
    if usable is not None and percent(usable) != percent(face_share):
        sentences.append(f"The facial measures cover the {percent(usable)} of the analysed frames where the face "
                         f"could be measured (whole in the image, facing the camera, large enough).")
    elif usable is None and landmarks is not None and percent(landmarks) != percent(face_share):
        sentences.append(f"The facial measures cover the {percent(landmarks)} of the analysed frames where the face "
                         f"mesh found the face's landmarks.")
    return sentences


def _count(value: float, unit: str) -> str:
    """12.4, "degree" -> "12 degrees"; 1.2 -> "1 degree"."""
    return f"{value:.0f} {unit}{'' if f'{value:.0f}' == '1' else 's'}"


def measure_rows(summary: dict) -> list[tuple[str, str]]:
    """(label, value text) for the facial-measure figures of a summary (those present and finite)."""
    rows, used = [], set()
    for base, label in MEASURE_MEAN_LABELS:
        keys = (("mean", f"{base}_mean"), ("90th percentile", f"{base}_p90"))
        parts = [f"{word} {number(summary, key):.3g}" for word, key in keys if number(summary, key) is not None]
        split = split_words(summary, f"{base}_mean") if parts else None
        if parts:
            rows.append((label, ", ".join(parts) + (f"; mean {split}" if split else "")))
        used.update(key for _, key in keys)
    for key, label in MEASURE_SINGLE_LABELS:
        value = number(summary, key)
        if value is not None:
            split = split_words(summary, key) if not key.endswith("_share") else None
            rows.append((label, percent(value) if key.endswith("_share") else f"{value:.3g}"
                         + (f"; {split}" if split else "")))
        used.add(key)
    prefixes = ("expressivity", "facial_motion", "head_", "blinks", "landmarks", "eyes_open", "mouth_open")
    rows += [(key, f"{number(summary, key):.3g}") for key in summary if key.startswith(prefixes) and key not in used
             and not key.endswith(("_speaking", "_listening")) and number(summary, key) is not None]
    return rows


def human_rating(summary: dict, record: dict | None) -> dict | None:
    """The metadata's facial_expression score, its level at the model's cut points (the default
    ones without a model), and whether the model's dominant level agrees (None without levels)."""
    if not record or record.get("facial_expression") is None:
        return None
    score = float(record["facial_expression"])
    thresholds = tuple(summary.get("thresholds") or THRESHOLDS)
    level = expressiveness_level(score, thresholds)
    return {"score": score, "level": level, "thresholds": thresholds,
            "agrees": level == summary.get("dominant_level") if summary.get("dominant_level") else None}


def _after_warmup(faced: pd.DataFrame) -> pd.DataFrame:
    """The faces (rows in time order, each with an expressivity) after the reference face's warm-up."""
    time_s = faced["timestamp"].to_numpy(dtype="float64")
    position = np.arange(len(faced))
    settled = (position >= WARMUP_FACES) & (time_s >= time_s[0] + WARMUP_S)
    if settled.sum() < len(faced) / 2:
        settled = position >= WARMUP_FACES
    return faced[settled]


def find_moments(table: pd.DataFrame, count: int = MOMENTS) -> dict:
    """The `count` moments of a video scoring highest, and the `count` lowest.

    In a table with frame quality (column `usable`): the most and least expressive one-second
    stretches of usable frames (measures/moments.py; the highest are the summary's
    top_moments), each shown by its middle frame's row plus "moment_score" (the stretch's mean
    expressivity), "start_s", "end_s", "leading_region", "leading_blendshapes" and "speaking"
    (speech_words.moment_speaking: True, False or None). Otherwise
    (no such stretch, or a table made before frame quality) single frames with a face, spread
    out (no two closer than 1/(4 count) of the time between the first and last candidate; the
    highest above the median score, the lowest below it), scored by `expressivity` after the
    reference face's warm-up (WARMUP_FACES, WARMUP_S; old tables only) when any are left;
    else by the expected level (data/metadata.py's expected_level, in [0, 2]) when the table
    has levels; else there are none. Returns {"measure": name or None, "highest": rows,
    "lowest": rows}, rows being table rows as dicts plus "moment_score", highest first /
    lowest first."""
    box = ["face_x", "face_y", "face_width", "face_height"]
    faced = table[(table["success"] == 1) & table[box].notna().all(axis=1)] if "face_x" in table else table.iloc[:0]
    faced = usable_rows(faced).sort_values("timestamp", kind="stable")
    measure, scores = None, None
    if "usable" in table and columns_with_values(faced, ("expressivity",)):
        highest = top_moments(table, "expressivity", count)
        if highest:
            lowest = top_moments(table, "expressivity", count, lowest=True, avoid=highest)
            return {"measure": "expressivity", "highest": [_moment_row(faced, moment) for moment in highest],
                    "lowest": [_moment_row(faced, moment) for moment in lowest]}
    elif columns_with_values(faced, ("expressivity",)):
        candidates = _after_warmup(faced[pd.to_numeric(faced["expressivity"], errors="coerce").notna()])
        if len(candidates):
            measure, faced = "expressivity", candidates
            scores = pd.to_numeric(faced["expressivity"], errors="coerce")
    if measure is None and columns_with_values(faced, PROBABILITY_COLUMNS):
        measure = "expected level"
        scores = expected_level(faced[list(PROBABILITY_COLUMNS)].to_numpy(dtype="float64", na_value=np.nan))
    if measure is None:
        return {"measure": None, "highest": [], "lowest": []}
    faced = faced.assign(moment_score=scores).dropna(subset=["moment_score"])
    time_s = faced["timestamp"].to_numpy(dtype="float64")
    score = faced["moment_score"].to_numpy(dtype="float64")
    gap_s = (time_s.max() - time_s.min()) / (4 * count) if len(faced) else 0.0
    middle = np.median(score) if len(faced) else 0.0  # a highest moment is above the median, a lowest one below
    order = np.argsort(score, kind="stable")
    queues = [[row for row in order[::-1] if score[row] >= middle], [row for row in order if score[row] <= middle]]
    queues = queues[:1 + (len(faced) > 1)]
    cursors, picked, chosen_s = [0, 0], [[], []], []
    # Highest and lowest take turns, so that each side's extreme is shown before the spacing
    # excludes it.
    for turn in range(2 * count):
        side = turn % 2
        while side < len(queues) and cursors[side] < len(queues[side]):
            row = queues[side][cursors[side]]
            cursors[side] += 1
            if all(abs(time_s[row] - other) > gap_s for other in chosen_s):
                picked[side].append(faced.iloc[row].to_dict())
                chosen_s.append(time_s[row])
                break
    highest, lowest = picked
    return {"measure": measure, "highest": highest, "lowest": lowest}


def _moment_row(faced: pd.DataFrame, moment: dict) -> dict:
    """A moment (top_moments) as the row of its usable frame nearest the middle of its stretch
    (top_moments rounds its times to 1 ms, so the stretch's first frame may lie just before start_s)."""
    middle_s = (moment["start_s"] + moment["end_s"]) / 2
    time_s = faced["timestamp"].to_numpy(dtype="float64")
    row = faced.iloc[int(np.argmin(np.abs(time_s - middle_s)))]
    return {**row.to_dict(), "moment_score": moment["value"],
            "speaking": moment_speaking(faced, moment["start_s"], moment["end_s"]), **moment}


def match_records(summaries: list[dict], records: pd.DataFrame) -> dict[str, dict]:
    """{video_name(summary): metadata record} for the videos listed in the metadata
    (load_metadata's DataFrame), matched by resolved video path, else by file name."""
    rows = records.to_dict("records")
    by_path = {str(Path(path).resolve()): row for path, row in zip(records["video_path"], rows)}
    by_file = {Path(path).name: row for path, row in zip(records["video_path"], rows)}
    matched = {}
    for summary in summaries:
        video = Path(summary.get("video", ""))
        row = by_path.get(str(video.resolve())) or by_file.get(video.name)
        if row is not None:
            matched[video_name(summary)] = row
    return matched
