"""Property-based tests of the metadata.jsonl reader (expressiveness/data/metadata.py).

Generated lines, from valid RecruitView records (with every spelling of user_no and
question_id the format allows) through records with one defect to arbitrary bytes, must give
either the record with exact values or a `MetadataError` naming the file, the line and the
field; no other exception may escape. Runs are derandomized and keep no example database, so a
failure replays with the same example on every machine.
"""

import json
import math
import posixpath
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, configuration, example, given, settings
from hypothesis import strategies as st

from expressiveness.config import DURATIONS, SCORE_FIELDS, VIDEO_QUALITIES
from expressiveness.data.metadata import (COLUMNS, INTEGER_STRING_FIELDS, OPTIONAL_TEXT_FIELDS, REQUIRED_FIELDS,
                                          TEXT_FIELDS, scan_metadata)
from expressiveness.errors import MetadataError

from conftest import examples, make_record

SETTINGS = settings(max_examples=examples(150), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Hypothesis keeps its caches (Unicode tables, constants of the package's source, written while
# pytest collects) and failure patches in .hypothesis/ of the working directory: not in the work tree.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "expressiveness-hypothesis")


RAW = "\x00raw\x00"  # a JSON string value replaced by a raw token (NaN, 1e400, ...) after json.dumps
ASCII_SPACE = st.text(" \t", max_size=2)
TEXT = st.text(max_size=30)  # any Unicode text, without unpaired surrogates


def json_line(record: dict, raw: str | None = None, ascii_only: bool = True) -> str:
    """One JSON line; the value RAW (if any) becomes the raw token `raw`."""
    line = json.dumps(record, allow_nan=True, ensure_ascii=ascii_only)
    return line.replace(json.dumps(RAW), raw) if raw is not None else line


@st.composite
def integer_spellings(draw):
    """(value in the file, canonical string): "7", " 07 ", 7 are all participant "7"."""
    number = draw(st.integers(0, 10**30))
    spelled = draw(st.sampled_from(["plain", "padded", "spaced", "json"]))
    if spelled == "json":
        return number, str(number)
    text = str(number).zfill(draw(st.integers(1, 40))) if spelled == "padded" else str(number)
    if spelled == "spaced":
        text = draw(ASCII_SPACE) + text + draw(ASCII_SPACE)
    return text, str(number)


SEGMENT = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_. -]{0,7}", fullmatch=True)  # never "." or ".."
SCORE = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**300, 10**300))


@st.composite
def valid_records(draw):
    """(record as written, expected values of its row)."""
    record, expected = {}, {}
    identifier = draw(st.one_of(st.text(min_size=1, max_size=12).filter(lambda text: text.strip()),
                                st.integers(0, 10**12)))
    record["id"], expected["id"] = identifier, str(identifier)
    file_name = "/".join(draw(st.lists(SEGMENT, min_size=1, max_size=3)))
    record["file_name"] = expected["file_name"] = file_name
    record["duration"] = expected["duration"] = draw(st.sampled_from(DURATIONS))
    record["video_quality"] = expected["video_quality"] = draw(st.sampled_from(VIDEO_QUALITIES))
    record["question"] = expected["question"] = draw(TEXT)
    for name in INTEGER_STRING_FIELDS:
        record[name], expected[name] = draw(integer_spellings())
    for name in SCORE_FIELDS:
        record[name] = draw(SCORE)
        expected[name] = float(record[name])
    for name in OPTIONAL_TEXT_FIELDS:
        if draw(st.booleans()):
            record[name] = expected[name] = draw(TEXT)
        else:
            expected[name] = ""
    return record, expected


# Values that make a record bad in one field.
WRONG_TYPES = [None, True, 1.5, [], {}, [1]]
BAD_INTEGER_SPELLINGS = ["", " ", "+7", "-7", "7.0", "seven", "\u0667", "\uff17", "1_000", "0x7", "1 2", -7, 7.5]
UNSAFE_FILE_NAMES = ["", "/abs.mp4", "\\x.mp4", "C:x.mp4", "..", "../x.mp4", "a/../../x.mp4", "a\\..\\..\\x"]
BAD_SCORES = [(None, "NaN"), (None, "Infinity"), (None, "-Infinity"), (None, "1e400"), (None, "-1e999"),
              (None, "9" * 400), (None, "-" + "9" * 309), ("1.0", None), (None, "null"),
              (True, None), ([1.0], None)]


@st.composite
def defects(draw):
    """(field, value, raw token or None) that make a record bad in that field alone."""
    kind = draw(st.sampled_from(["missing", "wrong type", "enum", "empty id", "integer", "file name", "score",
                                 "surrogate"]))
    if kind == "missing":
        return draw(st.sampled_from(REQUIRED_FIELDS)), ..., None
    if kind == "wrong type":
        name = draw(st.sampled_from(TEXT_FIELDS + OPTIONAL_TEXT_FIELDS))
        wrong = WRONG_TYPES + ([] if name in ("id",) + INTEGER_STRING_FIELDS else [3])
        return name, draw(st.sampled_from(wrong)), None
    if kind == "enum":
        name = draw(st.sampled_from(["duration", "video_quality"]))
        allowed = DURATIONS if name == "duration" else VIDEO_QUALITIES
        return name, draw(TEXT.filter(lambda text: text not in allowed)), None
    if kind == "empty id":
        return "id", draw(st.text(" \t\n\u3000", max_size=3)), None
    if kind == "integer":
        return draw(st.sampled_from(INTEGER_STRING_FIELDS)), draw(st.sampled_from(BAD_INTEGER_SPELLINGS)), None
    if kind == "file name":
        return "file_name", draw(st.sampled_from(UNSAFE_FILE_NAMES)), None
    if kind == "surrogate":  # valid JSON, not Unicode: no UTF-8 writer takes it (manifest, records.csv)
        name = draw(st.sampled_from(["id", "question", "file_name", "transcript"]))
        return name, draw(TEXT) + draw(st.sampled_from(["\ud800", "\udfff", "\udc80"])), None
    value, raw = draw(st.sampled_from(BAD_SCORES))
    return draw(st.sampled_from(SCORE_FIELDS)), (RAW if raw is not None else value), raw


# Whole lines that are not a record: (bytes of the line).
BAD_LINES = [b"{", b"[1, 2]", b'"text"', b"7", b"null", b"\xff\xfe{}", b"{\"id\": \"\xc3\x28\"}",
             b"[" * 100_000 + b"]" * 100_000, b'{"a": ' + b"1" * 5000 + b"}", b"\xef\xbb\xbf{}"]


@st.composite
def files(draw, line):
    """(file bytes, line number of `line`): `line` among blank lines, CRLF or LF endings, maybe a BOM."""
    before = draw(st.lists(ASCII_SPACE, max_size=3))
    after = draw(st.lists(ASCII_SPACE, max_size=2))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    content = ending.join([blank.encode() for blank in before] + [line] + [blank.encode() for blank in after])
    if draw(st.booleans()):
        content = b"\xef\xbb\xbf" + content  # on line 1, blank or the record itself
    return content + draw(st.sampled_from([b"", ending])), len(before) + 1


def read(tmp_path, content: bytes, strict: bool = True):
    path = tmp_path / "metadata.jsonl"
    path.write_bytes(content)
    return path, scan_metadata(path, strict=strict)


def assert_names_the_line(error: MetadataError, path, line: int, field_name):
    """The error is the project's, on that line and field, and its message says where."""
    assert (error.path, error.line, error.field_name) == (path, line, field_name)
    assert str(error).startswith(f"{path}, line {line}: ")
    assert "\n" not in str(error)


def spelled(**overrides) -> tuple[dict, dict]:
    """(record, expected row values) of make_record(1, **overrides) with integer strings spelled as given."""
    record = make_record(1, **overrides)
    expected = {name: record.get(name, "") for name in TEXT_FIELDS + OPTIONAL_TEXT_FIELDS}
    expected.update({name: str(record[name]).strip().lstrip("0") or "0" for name in INTEGER_STRING_FIELDS})
    expected.update({name: float(record[name]) for name in SCORE_FIELDS})
    return record, expected


@SETTINGS
@given(data=st.data(), written=valid_records())
@example(data=None, written=spelled(user_no="0" + "9" * 5000)).via("a participant number of 5000 digits")
def test_a_valid_record_is_read_with_exact_values(tmp_path, data, written):
    """Every valid record, however its integers are spelled (digits with zeros and spaces
    around them, or a JSON integer) and wherever it sits among blank lines, CRLF endings and a
    BOM, in ASCII or raw UTF-8, is read with exactly the values the format gives it: canonical
    user_no and question_id, float64 scores equal to the JSON numbers, "" for absent long texts
    and the resolved video_path."""
    record, expected = written
    if data is None:
        content = json_line(record).encode("utf-8")
    else:
        content, _ = data.draw(files(json_line(record, ascii_only=data.draw(st.booleans())).encode("utf-8")))
    path, (frame, report) = read(tmp_path, content)
    assert (report.lines_read, report.records_kept, report.dropped) == (1, 1, [])
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 1
    row = frame.iloc[0].to_dict()
    video_path = row.pop("video_path")
    assert row == expected
    assert video_path == str(tmp_path.resolve() / posixpath.normpath(expected["file_name"]))
    assert all(frame[name].dtype == "float64" for name in SCORE_FIELDS)


@SETTINGS
@given(data=st.data(), written=valid_records(), defect=defects())
@example(data=None, written=None, defect=("openness", RAW, "9" * 400)).via("a score beyond float64 as a JSON integer")
@example(data=None, written=None, defect=("id", "\ud800", None)).via("an id that cannot be written as UTF-8")
def test_a_record_with_one_defect_is_refused_naming_line_and_field(tmp_path, data, written, defect):
    """A record bad in one field alone (missing, wrong type, value out of its set, an integer
    spelled otherwise than digits, an unsafe file name, a score that is not a finite float64,
    text that is not Unicode) raises MetadataError naming the file, the record's line and that
    field, in one line; without strict, the line is dropped with the same message."""
    record = written[0] if written is not None else make_record(1)
    field_name, value, raw = defect
    if value is ...:
        del record[field_name]
    else:
        record[field_name] = value
    line = json_line(record, raw).encode("utf-8")
    content, line_number = data.draw(files(line)) if data is not None else (line, 1)
    with pytest.raises(MetadataError) as caught:
        read(tmp_path, content)
    assert_names_the_line(caught.value, tmp_path / "metadata.jsonl", line_number, field_name)
    good = json.dumps(make_record(999)).encode()
    path, (frame, report) = read(tmp_path, content.rstrip(b"\r\n") + b"\n" + good, strict=False)
    assert list(frame["id"]) == ["0999"]
    assert [(bad.line, bad.field_name, bad.message) for bad in report.dropped] == [
        (line_number, field_name, str(caught.value))]


@SETTINGS
@given(data=st.data(), line=st.sampled_from(BAD_LINES))
def test_a_line_that_is_no_record_is_refused_naming_the_line(tmp_path, data, line):
    """A line that is not a JSON object (malformed, another JSON value, bytes that are not
    UTF-8, nesting deeper than Python parses, an integer of more digits than Python converts)
    raises MetadataError naming the file and the line, with no field (but "id" for {} after
    the file's BOM: an object without its fields)."""
    content, line_number = data.draw(files(line))
    with pytest.raises(MetadataError) as caught:
        read(tmp_path, content)
    field_name = "id" if content.startswith(b"\xef\xbb\xbf{}") else None
    assert_names_the_line(caught.value, tmp_path / "metadata.jsonl", line_number, field_name)


@SETTINGS
@given(ids=st.lists(st.sampled_from(["0001", "0002", "1", " 0001"]), min_size=1, max_size=8))
def test_duplicate_ids_keep_the_first_and_name_it(tmp_path, ids):
    """Of records sharing an id (compared exactly), the first is kept; each later one is
    refused naming its own line and the line of the first; strict reading stops at the first
    duplicate."""
    lines = [json.dumps(make_record(1, id=identifier)) for identifier in ids]
    path, (frame, report) = read(tmp_path, "\n".join(lines).encode(), strict=False)
    first_line = {}
    for number, identifier in enumerate(ids, start=1):
        first_line.setdefault(identifier, number)
    assert list(frame["id"]) == list(first_line)
    duplicates = [(number, identifier) for number, identifier in enumerate(ids, start=1)
                  if first_line[identifier] != number]
    assert [(bad.line, bad.field_name, bad.reason) for bad in report.dropped] == [
        (number, "id", "duplicate id") for number, _ in duplicates]
    assert all(f"already used on line {first_line[identifier]};" in bad.message
               for bad, (_, identifier) in zip(report.dropped, duplicates))
    if duplicates:
        with pytest.raises(MetadataError) as caught:
            read(tmp_path, "\n".join(lines).encode())
        assert_names_the_line(caught.value, path, duplicates[0][0], "id")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
    | st.sampled_from(["\ud800", "a\udfff"]),  # unpaired surrogates, which json.dumps escapes
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8)
ANY_LINE = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda text: text.encode("utf-8")),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.builds(lambda record, extra: json.dumps({**make_record(1), **record, **extra}).encode(),
              st.fixed_dictionaries({}, optional={name: JSON_VALUES for name in REQUIRED_FIELDS}),
              st.dictionaries(st.sampled_from(REQUIRED_FIELDS + OPTIONAL_TEXT_FIELDS), JSON_VALUES, max_size=3)),
    st.sampled_from(BAD_LINES),
).map(lambda line: line.replace(b"\n", b" "))


@SETTINGS
@given(lines=st.lists(ANY_LINE, min_size=1, max_size=6))
@example(lines=[b"[" * 100_000 + b"]" * 100_000]).via("nesting deeper than the recursion limit")
def test_arbitrary_lines_give_records_or_the_projects_error(tmp_path, lines):
    """Whatever the lines, reading raises nothing but MetadataError; the strict error is on the
    first line the non-strict reading drops; every kept record follows the format (unique ids,
    canonical integer strings, finite float64 scores, UTF-8-writable text), and lines read =
    records kept + lines dropped."""
    content = b"\n".join(lines)
    path = tmp_path / "metadata.jsonl"
    path.write_bytes(content)
    try:
        frame, report = scan_metadata(path, strict=False)
    except MetadataError as error:
        assert error.line is None and str(error).startswith(f"{path}: ")  # no record at all
        frame, report = None, None
    try:
        strict_frame, _ = scan_metadata(path)
    except MetadataError as error:
        assert report is None or error.line == report.dropped[0].line
        assert "\n" not in str(error) and (error.line is None or f", line {error.line}: " in str(error))
        return
    assert report is not None and report.dropped == [] and strict_frame.equals(frame)
    assert report.lines_read == report.records_kept + len(report.dropped) == len(frame)
    assert frame["id"].is_unique
    for name in INTEGER_STRING_FIELDS:
        assert all(value.isascii() and value.isdigit() and str(int(value)) == value for value in frame[name])
    for name in SCORE_FIELDS:
        assert frame[name].dtype == "float64" and all(math.isfinite(value) for value in frame[name])
    for name in TEXT_FIELDS + OPTIONAL_TEXT_FIELDS:
        for value in frame[name]:
            value.encode("utf-8")  # UnicodeEncodeError for text that no writer of records can write
