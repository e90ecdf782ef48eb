"""metadata.jsonl validation with exact values: every category of bad line (field, reason and
message, in strict and non-strict mode), paths, the read limit and the table's columns."""

import json

import pytest

from expressiveness.data.metadata import COLUMNS, MetadataError, load_metadata, scan_metadata

from conftest import make_record, write_jsonl

RELATIVE = 'expected a path relative to the metadata folder, such as "videos/vid_0082.mp4".'
INSIDE = 'which leaves the metadata folder; expected a path inside it, such as "videos/vid_0082.mp4".'

# (line, field, reason, message after "PATH, line N: ")
BAD = [
    ("{oops", None, "malformed JSON",
     "malformed JSON (Expecting property name enclosed in double quotes at column 2); expected one JSON object "
     "per line."),
    ("[1, 2]", None, "not an object", "expected a JSON object, got list [1, 2]."),
    (make_record(4, facial_expression=...), "facial_expression", "missing field",
     'required field "facial_expression" is missing.'),
    (make_record(5, question=5), "question", "wrong type", 'field "question" is 5; expected a string.'),
    (make_record(6, id=" "), "id", "bad value", 'field "id" is empty; expected an id such as "0082".'),
    (make_record(7, question_id="three"), "question_id", "bad value",
     'field "question_id" is "three"; expected a string holding an integer, such as "12".'),
    (make_record(8, duration="huge"), "duration", "bad value",
     'field "duration" is "huge"; expected one of "short", "medium", "long".'),
    (make_record(9, video_quality="HD"), "video_quality", "bad value",
     'field "video_quality" is "HD"; expected "High" or "Low".'),
    (make_record(10, file_name="/etc/x.mp4"), "file_name", "unsafe path", f'field "file_name" is "/etc/x.mp4"; {RELATIVE}'),
    (make_record(11, file_name="../x.mp4"), "file_name", "unsafe path", f'field "file_name" is "../x.mp4", {INSIDE}'),
    (make_record(12, openness=float("nan")), "openness", "non-finite score",
     'field "openness" is nan; expected a finite number.'),
    (make_record(1, question="again"), "id", "duplicate id",
     'field "id" is "0001", already used on line 1; expected unique ids.'),
]


def test_non_strict_reading_reports_each_bad_line_with_field_reason_and_message(tmp_path):
    lines = [make_record(1)] + [bad for bad, *_ in BAD] + [make_record(14)]
    path = write_jsonl(tmp_path / "metadata.jsonl", lines)
    frame, report = scan_metadata(path, strict=False)
    assert list(frame["id"]) == ["0001", "0014"]
    assert [(bad.line, bad.field_name, bad.reason, bad.message) for bad in report.dropped] == [
        (number, field, reason, f"{path}, line {number}: {message}")
        for number, (_, field, reason, message) in enumerate(BAD, start=2)]
    assert (report.lines_read, report.records_kept, report.path) == (14, 2, path)
    assert report.summary() == (f"{path}: 2 records kept, 12 of 14 lines dropped (4 bad value, 2 unsafe path, "
                                f"1 malformed JSON, 1 not an object, 1 missing field, 1 wrong type, 1 non-finite "
                                f"score, 1 duplicate id).")


@pytest.mark.parametrize("bad, field, reason, message", BAD)
def test_strict_reading_stops_at_the_bad_line_with_file_line_and_field(tmp_path, bad, field, reason, message):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1), "", bad])
    for read in (load_metadata, scan_metadata):  # strict is the default of both
        with pytest.raises(MetadataError) as caught:
            read(path)
        assert str(caught.value) == f"{path}, line 3: {message}"
        assert (caught.value.path, caught.value.line, caught.value.field_name) == (path, 3, field)


def test_a_clean_file_reports_nothing_dropped(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1), make_record(2)])
    _, report = scan_metadata(path, strict=False)
    assert report.dropped == [] and report.summary() == f"{path}: 2 records read, none dropped."


def test_columns_and_their_order(tmp_path):
    frame = load_metadata(write_jsonl(tmp_path / "metadata.jsonl", [make_record(1)]))
    assert list(frame.columns) == list(COLUMNS) == [
        "id", "file_name", "duration", "question_id", "question", "video_quality", "user_no", "openness",
        "conscientiousness", "extraversion", "agreeableness", "neuroticism", "overall_personality",
        "interview_score", "answer_score", "speaking_skills", "confidence_score", "facial_expression",
        "overall_performance", "transcript", "gemini_summary", "video_path"]


def test_integer_ids_become_strings_but_other_numbers_do_not(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1, id=82, user_no=7, question_id=3)])
    row = load_metadata(path).iloc[0]
    assert (row["id"], row["user_no"], row["question_id"]) == ("82", "7", "3")
    bad_id = write_jsonl(tmp_path / "bool.jsonl", [make_record(1, id=True)])
    with pytest.raises(MetadataError) as caught:
        load_metadata(bad_id)
    assert str(caught.value) == f'{bad_id}, line 1: field "id" is true; expected a string.'
    float_user = write_jsonl(tmp_path / "float.jsonl", [make_record(1, user_no=7.0)])
    with pytest.raises(MetadataError) as caught:
        load_metadata(float_user)
    assert str(caught.value) == f'{float_user}, line 1: field "user_no" is 7.0; expected a string.'
    with pytest.raises(MetadataError) as caught:
        load_metadata(write_jsonl(tmp_path / "transcript.jsonl", [make_record(1, transcript=3)]))
    assert caught.value.field_name == "transcript" and str(caught.value).endswith(
        'field "transcript" is 3; expected a string.')


@pytest.mark.parametrize("file_name, message", [
    ("", f'field "file_name" is ""; {RELATIVE}'),
    ("\\\\server\\x.mp4", f'field "file_name" is "\\\\\\\\server\\\\x.mp4"; {RELATIVE}'),
    ("C:\\videos\\x.mp4", f'field "file_name" is "C:\\\\videos\\\\x.mp4"; {RELATIVE}'),
    ("C:videos/x.mp4", f'field "file_name" is "C:videos/x.mp4"; {RELATIVE}'),
    ("C:", f'field "file_name" is "C:"; {RELATIVE}'),
    ("..", f'field "file_name" is "..", {INSIDE}'),
    ("videos\\..\\..\\x.mp4", f'field "file_name" is "videos\\\\..\\\\..\\\\x.mp4", {INSIDE}'),
    ("videos/../../x.mp4", f'field "file_name" is "videos/../../x.mp4", {INSIDE}'),
])
def test_unsafe_file_names(tmp_path, file_name, message):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1, file_name=file_name)])
    with pytest.raises(MetadataError) as caught:
        load_metadata(path)
    assert str(caught.value) == f"{path}, line 1: {message}"
    assert caught.value.field_name == "file_name"


@pytest.mark.parametrize("file_name, relative", [
    ("x", "x"),
    ("videos\\vid_0001.mp4", "videos/vid_0001.mp4"),
    ("./videos//vid_0001.mp4", "videos/vid_0001.mp4"),
    ("videos/../clips/a:b.mp4", "clips/a:b.mp4"),
])
def test_safe_file_names_resolve_inside_the_metadata_folder(tmp_path, file_name, relative):
    path = write_jsonl(tmp_path / "data" / "metadata.jsonl", [make_record(1, file_name=file_name)])
    row = load_metadata(path).iloc[0]
    assert row["video_path"] == str((tmp_path / "data").resolve() / relative)
    assert row["file_name"] == file_name


def test_a_long_non_object_is_shown_cut_to_60_characters(tmp_path):
    long_list = json.dumps(list(range(40)))
    path = write_jsonl(tmp_path / "metadata.jsonl", [long_list])
    with pytest.raises(MetadataError) as caught:
        load_metadata(path)
    assert str(caught.value) == f"{path}, line 1: expected a JSON object, got list {long_list[:60]}."


def test_limit_reads_that_many_non_blank_lines(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1), "", make_record(2), "  ", make_record(3),
                                                      "{bad"])
    for limit, ids in ((1, ["0001"]), (2, ["0001", "0002"]), (3, ["0001", "0002", "0003"])):
        frame, report = scan_metadata(path, limit=limit)
        assert list(frame["id"]) == ids and report.lines_read == limit
    _, report = scan_metadata(path, strict=False, limit=None)
    assert report.lines_read == 4 and [bad.line for bad in report.dropped] == [6]


def test_no_valid_record_names_the_first_problem(tmp_path):
    path = write_jsonl(tmp_path / "metadata.jsonl", ["[]", "{oops"])
    with pytest.raises(MetadataError) as caught:
        load_metadata(path, strict=False)
    assert str(caught.value) == (f"{path}: no valid record; all 2 lines were dropped (first problem: {path}, line "
                                 f"1: expected a JSON object, got list [].)")
    assert (caught.value.path, caught.value.line) == (path, None)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(MetadataError) as caught:
        load_metadata(empty)
    assert str(caught.value) == f"{empty}: the file is empty; expected one JSON object per line."
    assert (caught.value.path, caught.value.line, caught.value.field_name) == (empty, None, None)


def test_text_is_read_as_utf8(tmp_path):
    path = tmp_path / "metadata.jsonl"
    path.write_bytes((json.dumps(make_record(1, question="Qu'avez-vous appris à l'école ? 学校"),
                                 ensure_ascii=False) + "\n").encode("utf-8"))
    assert load_metadata(path).loc[0, "question"] == "Qu'avez-vous appris à l'école ? 学校"
