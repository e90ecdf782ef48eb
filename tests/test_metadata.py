import json
import math

import numpy as np
import pandas as pd
import pytest

from expressiveness.config import LABELS, SCORE_FIELDS
from expressiveness.data.metadata import MetadataError, load_metadata, scan_metadata
from expressiveness.data.levels import (
    expressiveness_level,
    expressiveness_levels,
    level_index,
    participant_split,
    tertile_thresholds,
)

from conftest import make_record, write_jsonl


def test_loads_fields_with_design_types(tmp_path):
    path = write_jsonl(tmp_path / "data" / "metadata.jsonl", [make_record(1), "", make_record(2, user_no=7)])
    frame = load_metadata(path)
    assert list(frame["id"]) == ["0001", "0002"]
    assert list(frame["user_no"]) == ["1", "7"]
    assert frame["question_id"].map(type).eq(str).all()
    for name in SCORE_FIELDS:
        assert frame[name].dtype == np.float64
    assert frame.loc[0, "video_path"] == str((tmp_path / "data" / "videos" / "vid_0001.mp4").resolve())


def test_long_texts_are_optional(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1, transcript=..., gemini_summary=...)])
    frame = load_metadata(path)
    assert frame.loc[0, "transcript"] == "" and frame.loc[0, "gemini_summary"] == ""


BAD_LINES = [
    ('{"id": "0002", ', 'malformed JSON (Expecting property name enclosed in double quotes at column 15); '
                        'expected one JSON object per line.'),
    ("[1, 2]", "expected a JSON object, got list [1, 2]."),
    (make_record(2, facial_expression=...), 'required field "facial_expression" is missing.'),
    (make_record(2, extraversion="high"), 'field "extraversion" is "high"; expected a finite number.'),
    (make_record(2, extraversion=None), 'field "extraversion" is null; expected a finite number.'),
    ('{"id": "0002", "facial_expression": NaN}', 'required field "file_name" is missing.'),
    (json.dumps(make_record(2)).replace('"facial_expression": 1.0', '"facial_expression": NaN'),
     'field "facial_expression" is nan; expected a finite number.'),
    (json.dumps(make_record(2)).replace('"facial_expression": 1.0', '"facial_expression": Infinity'),
     'field "facial_expression" is inf; expected a finite number.'),
    (make_record(2, id="0001"), 'field "id" is "0001", already used on line 1; expected unique ids.'),
    (make_record(2, file_name="/etc/passwd"), 'field "file_name" is "/etc/passwd"; expected a path relative '
                                             'to the metadata folder, such as "videos/vid_0082.mp4".'),
    (make_record(2, file_name="../../etc/passwd"), 'field "file_name" is "../../etc/passwd", which leaves the '
                                                  'metadata folder; expected a path inside it, such as '
                                                  '"videos/vid_0082.mp4".'),
    (make_record(2, user_no="anna"), 'field "user_no" is "anna"; expected a string holding an integer, '
                                     'such as "12".'),
    (make_record(2, duration="huge"), 'field "duration" is "huge"; expected one of "short", "medium", "long".'),
]


@pytest.mark.parametrize("bad_line, expected", BAD_LINES)
def test_bad_line_raises_with_file_line_field_and_expectation(tmp_path, bad_line, expected):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1), bad_line])
    with pytest.raises(MetadataError) as caught:
        load_metadata(path)
    assert str(caught.value) == f"{path}, line 2: {expected}"
    assert caught.value.line == 2


def test_facial_expression_is_the_eleventh_score():
    # BAD_LINES replaces the literal 1.0 that make_record gives facial_expression.
    assert make_record(2)["facial_expression"] == pytest.approx(1.0)
    assert json.dumps(make_record(2)).count('"facial_expression": 1.0') == 1


def test_empty_and_blank_files_are_errors(tmp_path):
    for text in ("", "\n  \n"):
        path = tmp_path / "metadata.jsonl"
        path.write_text(text)
        with pytest.raises(MetadataError, match=r"the file is empty; expected one JSON object per line\.$"):
            load_metadata(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="metadata file not found"):
        load_metadata(tmp_path / "nope.jsonl")


def test_non_strict_keeps_good_lines_and_reports_dropped(tmp_path):
    lines = [make_record(1), "{oops", make_record(3, openness="x"), make_record(4), make_record(5, openness=None)]
    path = write_jsonl(tmp_path / "metadata.jsonl", lines)
    frame, report = scan_metadata(path, strict=False)
    assert list(frame["id"]) == ["0001", "0004"]
    assert [bad.line for bad in report.dropped] == [2, 3, 5]
    assert report.summary() == (f"{path}: 2 records kept, 3 of 5 lines dropped "
                                f"(2 non-finite score, 1 malformed JSON).")
    assert list(load_metadata(path, strict=False)["id"]) == ["0001", "0004"]


def test_non_strict_with_no_valid_line_is_an_error(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", ["{oops", "[]"])
    with pytest.raises(MetadataError, match=r"no valid record; all 2 lines were dropped"):
        load_metadata(path, strict=False)


@pytest.mark.parametrize("score, level", [
    (-0.30300001, LABELS[0]), (-0.303, LABELS[1]), (0.0, LABELS[1]), (0.294, LABELS[1]),
    (0.29400001, LABELS[2]), (-7.5, LABELS[0]), (9.3, LABELS[2]),
])
def test_level_boundaries(score, level):
    assert expressiveness_level(score) == level
    assert expressiveness_levels(pd.Series([score]))[0] == level


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.1", None])
def test_level_rejects_non_finite(bad):
    with pytest.raises(ValueError, match="expected a finite number"):
        expressiveness_level(bad)


def test_vectorised_levels_reject_nan():
    with pytest.raises(ValueError, match="scores contain nan; expected finite numbers."):
        level_index([0.1, math.nan])


def test_custom_thresholds_and_tertiles():
    assert expressiveness_level(0.5, thresholds=(0.0, 1.0)) == LABELS[1]
    scores = np.random.default_rng(0).normal(size=301)
    low, high = tertile_thresholds(scores)
    assert (low, high) == (pytest.approx(np.percentile(scores, 100 / 3)), pytest.approx(np.percentile(scores, 200 / 3)))
    counts = np.bincount(level_index(scores, (low, high)), minlength=3)
    assert counts.sum() == 301 and counts.min() >= 99
    with pytest.raises(ValueError, match="expected two finite numbers with low <= high"):
        expressiveness_level(0.1, thresholds=(1.0, 0.0))


def _people_frame(participants: int, clips_each: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for person in range(participants):
        base = rng.normal(0, 1.2)
        for clip in range(clips_each):
            rows.append({"id": f"{person:03d}{clip}", "user_no": str(person),
                         "facial_expression": base + rng.normal(0, 0.3)})
    return pd.DataFrame(rows)


def test_participant_split_is_disjoint_complete_and_deterministic():
    frame = _people_frame(60)
    split = participant_split(frame, seed=7)
    assert split.notna().all() and len(split) == len(frame)
    people = {part: set(frame.loc[split == part, "user_no"]) for part in ("train", "validation", "test")}
    assert not (people["train"] & people["validation"] or people["train"] & people["test"]
                or people["validation"] & people["test"])
    assert [len(people[part]) for part in ("train", "validation", "test")] == [42, 9, 9]
    assert split.equals(participant_split(frame, seed=7))
    assert not split.equals(participant_split(frame, seed=8))
    # Stratified: every level of person-mean score reaches the test part.
    person_level = level_index(frame.groupby("user_no")["facial_expression"].mean())
    test_levels = set(person_level[np.isin(sorted(frame["user_no"].unique()), sorted(people["test"]))])
    assert test_levels == {0, 1, 2}


def test_participant_split_needs_three_people():
    with pytest.raises(ValueError) as caught:
        participant_split(_people_frame(2))
    assert str(caught.value) == ("participant_split needs at least 3 participants (one per part); "
                                 "the data has 2 (user_no: '0', '1').")
    with pytest.raises(ValueError, match="expected three numbers in"):
        participant_split(_people_frame(5), fractions=(0.5, 0.5, 0.0))


def test_one_participant_however_user_no_is_padded(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1, user_no=" 7"), make_record(2, user_no="7"),
                                                     make_record(3, user_no="07", question_id="003")])
    frame = load_metadata(path)
    assert list(frame["user_no"]) == ["7", "7", "7"] and frame.loc[2, "question_id"] == "3"


def test_bytes_that_are_not_utf8_name_the_file_and_line(tmp_path):
    path = tmp_path / "metadata.jsonl"
    good = [json.dumps(make_record(number)).encode() for number in (1, 2, 4)]
    bad = json.dumps(make_record(3, question="caf\u00e9"), ensure_ascii=False).encode().replace(
        "caf\u00e9".encode(), b"caf\xe9")  # Latin-1, as an old editor saves it
    path.write_bytes(b"\n".join([good[0], good[1], bad, good[2]]) + b"\n")
    position = bad.index(b"\xe9")
    with pytest.raises(MetadataError) as caught:
        load_metadata(path)
    assert str(caught.value) == (f"{path}, line 3: not UTF-8 text (byte 0xe9 at position {position}); expected a "
                                 f"file saved as UTF-8.")
    assert caught.value.line == 3
    frame, report = scan_metadata(path, strict=False)
    assert list(frame["id"]) == ["0001", "0002", "0004"] and report.dropped[0].reason == "not UTF-8"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "metadata.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(make_record(n)).encode() + b"\r\n" for n in (1, 2)))
    assert list(load_metadata(path)["id"]) == ["0001", "0002"]
