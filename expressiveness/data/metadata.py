"""RecruitView metadata.jsonl -> validated DataFrame (levels and splits: levels.py).

The format is one JSON object per line (see DESIGN.md, "Data contracts"). Every problem is
reported as a `MetadataError` naming the file, the line, the field and the value, with what
was expected. `load_metadata(strict=False)` drops bad lines instead and says why.
"""

from __future__ import annotations

import codecs
import json
import math
import posixpath
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness.errors import MetadataError
from expressiveness.config import (
    DURATIONS,
    SCORE_FIELDS,
    VIDEO_QUALITIES,
)

TEXT_FIELDS = ("id", "file_name", "duration", "question_id", "question", "video_quality", "user_no")
OPTIONAL_TEXT_FIELDS = ("transcript", "gemini_summary")  # long texts; "" when absent
INTEGER_STRING_FIELDS = ("question_id", "user_no")
REQUIRED_FIELDS = TEXT_FIELDS + SCORE_FIELDS
COLUMNS = TEXT_FIELDS + SCORE_FIELDS + OPTIONAL_TEXT_FIELDS + ("video_path",)
_LARGEST_FLOAT = int(np.finfo("float64").max)  # a JSON integer beyond it is no float64 score


@dataclass
class BadLine:
    line: int
    field_name: str | None
    reason: str  # short category, e.g. "malformed JSON", "non-finite score"
    message: str


@dataclass
class LoadReport:
    """What `load_metadata(strict=False)` read and what it dropped."""

    path: Path
    lines_read: int = 0
    records_kept: int = 0
    dropped: list[BadLine] = field(default_factory=list)

    def summary(self) -> str:
        if not self.dropped:
            return f"{self.path}: {self.records_kept} records read, none dropped."
        reasons = Counter(bad.reason for bad in self.dropped)
        why = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        return (f"{self.path}: {self.records_kept} records kept, "
                f"{len(self.dropped)} of {self.lines_read} lines dropped ({why}).")


def _describe(value) -> str:
    return json.dumps(value) if isinstance(value, (str, type(None), bool)) else repr(value)


def _check_record(obj, where: str) -> dict:
    """Validate one parsed line and return the clean record; raises _LineProblem."""
    if not isinstance(obj, dict):
        raise _LineProblem(None, "not an object",
                           f"{where}: expected a JSON object, got {type(obj).__name__} "
                           f"{_describe(obj)[:60]}.")
    record = {}
    for name in REQUIRED_FIELDS:
        if name not in obj:
            raise _LineProblem(name, "missing field", f'{where}: required field "{name}" is missing.')
    for name in TEXT_FIELDS + OPTIONAL_TEXT_FIELDS:
        value = obj.get(name, "")
        if isinstance(value, int) and not isinstance(value, bool) and name in ("id",) + INTEGER_STRING_FIELDS:
            value = str(value)
        if not isinstance(value, str):
            raise _LineProblem(name, "wrong type",
                               f'{where}: field "{name}" is {_describe(value)}; expected a string.')
        if not value.isascii() and not _is_unicode(value):
            raise _LineProblem(name, "bad value",
                               f'{where}: field "{name}" is {_describe(value)[:60]}, with an unpaired surrogate '
                               f'escape; expected text that can be written as UTF-8.')
        record[name] = value
    if not record["id"].strip():
        raise _LineProblem("id", "bad value", f'{where}: field "id" is empty; expected an id such as "0082".')
    for name in INTEGER_STRING_FIELDS:
        text = record[name].strip()
        if not (text.isascii() and text.isdigit()):
            raise _LineProblem(name, "bad value",
                               f'{where}: field "{name}" is {_describe(record[name])}; '
                               f'expected a string holding an integer, such as "12".')
        # " 7", "7" and "07" are one participant (or question): keep the canonical "7". Not
        # str(int(text)): Python refuses to convert integers of more than 4300 digits.
        record[name] = text.lstrip("0") or "0"
    if record["duration"] not in DURATIONS:
        raise _LineProblem("duration", "bad value",
                           f'{where}: field "duration" is {_describe(record["duration"])}; '
                           f'expected one of "short", "medium", "long".')
    if record["video_quality"] not in VIDEO_QUALITIES:
        raise _LineProblem("video_quality", "bad value",
                           f'{where}: field "video_quality" is {_describe(record["video_quality"])}; '
                           f'expected "High" or "Low".')
    file_name = record["file_name"]
    normalized = posixpath.normpath(file_name.replace("\\", "/"))
    if (not file_name or file_name.startswith(("/", "\\")) or Path(file_name).is_absolute()
            or (len(file_name) > 1 and file_name[1] == ":")):
        raise _LineProblem("file_name", "unsafe path",
                           f'{where}: field "file_name" is {_describe(file_name)}; expected a path '
                           f'relative to the metadata folder, such as "videos/vid_0082.mp4".')
    if normalized == ".." or normalized.startswith("../"):
        raise _LineProblem("file_name", "unsafe path",
                           f'{where}: field "file_name" is {_describe(file_name)}, which leaves the '
                           f'metadata folder; expected a path inside it, such as "videos/vid_0082.mp4".')
    for name in SCORE_FIELDS:
        value = obj[name]
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST_FLOAT:
            raise _LineProblem(name, "non-finite score",
                               f'{where}: field "{name}" is an integer of {len(str(abs(value)))} digits, beyond '
                               f'float64; expected a finite number.')
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _LineProblem(name, "non-finite score",
                               f'{where}: field "{name}" is {_describe(value)}; expected a finite number.')
        record[name] = float(value)
    return record


def _is_unicode(text: str) -> bool:
    """False for text holding an unpaired surrogate (JSON allows the escape "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _LineProblem(Exception):
    def __init__(self, field_name, reason, message):
        super().__init__(message)
        self.field_name = field_name
        self.reason = reason
        self.message = message


def scan_metadata(path: str | Path, strict: bool = True, limit: int | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Read a RecruitView metadata.jsonl; see `load_metadata`. Returns (records, report).

    With strict=True the first bad line raises `MetadataError`; otherwise bad lines are
    listed in the report and skipped. limit: read only the first `limit` non-blank lines.
    A missing file raises FileNotFoundError; a file with no record at all (empty, only blank
    lines, or every line bad) raises MetadataError.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: metadata file not found; expected a RecruitView "
                                f"metadata.jsonl (one JSON object per line).")
    folder = path.resolve().parent
    report = LoadReport(path=path)
    records, first_line_of_id = [], {}
    with path.open("rb") as lines:
        for line_number, raw in enumerate(lines, start=1):
            if line_number == 1 and raw.startswith(codecs.BOM_UTF8):  # written by some Windows editors
                raw = raw[len(codecs.BOM_UTF8):]
            if not raw.strip():
                continue
            if limit is not None and report.lines_read >= limit:
                break
            report.lines_read += 1
            where = f"{path}, line {line_number}"
            try:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise _LineProblem(None, "not UTF-8",
                                       f"{where}: not UTF-8 text (byte 0x{raw[error.start]:02x} at position "
                                       f"{error.start}); expected a file saved as UTF-8.") from None
                try:
                    # json.loads accepts NaN and Infinity; the score check names them.
                    obj = json.loads(text.strip())
                except json.JSONDecodeError as error:
                    raise _LineProblem(None, "malformed JSON",
                                       f"{where}: malformed JSON ({error.msg} at column {error.colno}); "
                                       f"expected one JSON object per line.") from None
                except RecursionError:
                    raise _LineProblem(None, "malformed JSON",
                                       f"{where}: malformed JSON (nested deeper than Python reads); expected "
                                       f"one JSON object per line.") from None
                except ValueError:  # not a JSONDecodeError: Python refuses integers of over 4300 digits
                    raise _LineProblem(None, "malformed JSON",
                                       f"{where}: malformed JSON (an integer of more than "
                                       f"{sys.get_int_max_str_digits()} digits); expected one JSON object "
                                       f"per line.") from None
                record = _check_record(obj, where)
                if record["id"] in first_line_of_id:
                    raise _LineProblem("id", "duplicate id",
                                       f'{where}: field "id" is {_describe(record["id"])}, already used '
                                       f'on line {first_line_of_id[record["id"]]}; expected unique ids.')
            except _LineProblem as problem:
                if strict:
                    raise MetadataError(problem.message, path, line_number, problem.field_name) from None
                report.dropped.append(BadLine(line_number, problem.field_name, problem.reason,
                                              problem.message))
                continue
            first_line_of_id[record["id"]] = line_number
            record["video_path"] = str(folder / posixpath.normpath(record["file_name"].replace("\\", "/")))
            records.append(record)
    report.records_kept = len(records)
    if report.lines_read == 0:
        raise MetadataError(f"{path}: the file is empty; expected one JSON object per line.", path)
    if not records:
        raise MetadataError(f"{path}: no valid record; all {report.lines_read} lines were dropped "
                            f"(first problem: {report.dropped[0].message})", path)
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    for name in SCORE_FIELDS:
        frame[name] = frame[name].astype("float64")
    return frame, report


def load_metadata(path: str | Path, strict: bool = True) -> pd.DataFrame:
    """Read a RecruitView metadata.jsonl into a DataFrame, one row per clip.

    Columns: the DESIGN.md fields with their names (ids as str; question_id and user_no as the
    canonical integer string, so " 7", "7" and "07" are one participant "7"; the twelve scores
    as float64; `transcript` and `gemini_summary` as "" when absent) plus
    `video_path`, the absolute path of `file_name` resolved against the metadata's folder.
    strict=True raises `MetadataError` at the first bad line; strict=False skips bad lines
    (use `scan_metadata` to also get the report of what was dropped).
    """
    return scan_metadata(path, strict=strict)[0]
