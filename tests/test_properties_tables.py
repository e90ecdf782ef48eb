"""Property-based tests of the per-frame table: gathering its rows (expressiveness/pipeline/
table.py), making the documented table of them (FrameAnalyzer.table) and writing it as CSV and
Parquet (write_table in expressiveness/pipeline/per_video.py), read back as the reports read it.

Generated tables include empty ones, frames without a face (whole columns empty) and any float
(NaN, infinities, -0.0, the smallest and largest). Runs are derandomized and keep no example
database, so a failure replays with the same example; every file is under tmp_path.
"""

import math
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, configuration, example, given, settings
from hypothesis import strategies as st

from expressiveness.config import LABELS
from expressiveness.face import BLENDSHAPE_COLUMNS
from expressiveness.measures.facial import MEASURE_COLUMNS
from expressiveness.measures.quality import QUALITY_REASONS
from expressiveness.pipeline.frame_engine import FrameAnalyzer
from expressiveness.pipeline.per_video import write_table
from expressiveness.pipeline.scorers import LEVEL_COLUMNS, PROBABILITY_COLUMNS
from expressiveness.pipeline.table import TableRows

from conftest import examples

SETTINGS = settings(max_examples=examples(100), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])

# Hypothesis keeps its caches (Unicode tables, constants of the package's source, written while
# pytest collects) and failure patches in .hypothesis/ of the working directory: not in the work tree.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "expressiveness-hypothesis")


MISSING = object()  # a row without the key
INT64 = st.integers(-2**63, 2**63 - 1)
CELLS = st.one_of(INT64, st.integers(-10, 10), st.floats(), st.none(), st.just(MISSING), st.text(max_size=5),
                  st.booleans(), INT64.map(np.int64), st.floats(width=32).map(np.float32))


def is_missing(value) -> bool:
    return value is MISSING or value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def expected_column(values):
    """(dtype, cells) the TableRows docstring promises for the values a column was given; the
    numbers of a text column, and of a float64 one, are compared as float64."""
    if any(isinstance(value, str) for value in values):
        return "object", [None if is_missing(value) else value for value in values]
    if values and all(isinstance(value, (int, np.integer)) and abs(int(value)) <= 2**53 for value in values):
        return "int64", [int(value) for value in values]
    return "float64", [math.nan if is_missing(value) else float(value) for value in values]


def same_cells(got, expected) -> bool:
    """Cell by cell: the same text, equal numbers (as float64), or the same missing marker
    (None in a text column, NaN in a number column)."""
    def same(a, b):
        if is_missing(a) or is_missing(b):
            return is_missing(a) and is_missing(b) and type(a) is type(b)
        if isinstance(a, str) or isinstance(b, str):
            return a == b
        return float(a) == float(b)
    return len(got) == len(expected) and all(same(a, b) for a, b in zip(got, expected))


@SETTINGS
@given(columns=st.lists(st.sampled_from(["frame", "level", "expressivity", "bs_jawOpen", "faces"]), unique=True,
                        min_size=1, max_size=5),
       cells=st.lists(st.lists(CELLS, min_size=5, max_size=5), max_size=8))
@example(columns=["frame"], cells=[[2**63 - 1] * 5]).via("a whole number float64 cannot hold")
@example(columns=["level"], cells=[["Reserved"] * 5, [math.nan] * 5]).via("NaN after text is missing too")
def test_gathered_rows_keep_their_values_with_the_documented_dtypes(columns, cells):
    """TableRows gives the columns in order, one row per row appended; a column of whole
    numbers (exact in float64, so within 2**53) is int64 with exactly those numbers, a column
    with text is object with None where missing (absent, None or NaN), any other float64 with
    NaN where missing; keys outside the columns are ignored; no rows gives the columns empty."""
    rows = [{column: value for column, value in zip(columns, row) if value is not MISSING} for row in cells]
    gathered = TableRows(columns)
    for row in rows:
        gathered.append({**row, "not_a_column": 1})
    table = gathered.frame()
    assert list(table.columns) == columns and len(table) == len(gathered) == len(rows)
    for index, column in enumerate(columns):
        values = [row[index] for row in cells]
        dtype, expected = expected_column(values)
        if not values:
            continue
        assert str(table[column].dtype) == dtype, (column, values)
        assert same_cells(table[column].tolist(), expected), (column, table[column].tolist(), expected)


# The per-frame table as `expressiveness analyze` makes it, with the level and measure scorers.
SCORERS = [SimpleNamespace(columns=LEVEL_COLUMNS),
           SimpleNamespace(columns=MEASURE_COLUMNS + ("usable", "quality") + BLENDSHAPE_COLUMNS)]
ANALYZER = FrameAnalyzer(SimpleNamespace(min_confidence=0.5), SCORERS)
FLOAT_COLUMNS = MEASURE_COLUMNS + BLENDSHAPE_COLUMNS
ANY_FLOAT = st.one_of(st.floats(), st.sampled_from([-0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e+308,
                                                    0.1, 1 / 3, 2 / 3]))


@st.composite
def frame_rows(draw, frame: int):
    """One row: a frame without a face (scorer columns empty), or with one."""
    row = {"frame": frame, "timestamp": frame / draw(st.sampled_from([30.0, 29.97, 25.0, 7.0]))}
    if not draw(st.booleans()):
        return {**row, "success": 0, "confidence": 0.0, "faces": 0, "usable": 0, "quality": "no_face"}
    probabilities = draw(st.lists(st.floats(0, 1), min_size=3, max_size=3))
    best = int(np.argmax(probabilities))
    row.update({"success": 1, "confidence": draw(st.floats(0, 1)), "faces": draw(st.integers(1, 4)),
                "face_x": draw(st.integers(-50, 4000)), "face_y": draw(st.integers(-50, 4000)),
                "face_width": draw(st.integers(1, 4000)), "face_height": draw(st.integers(1, 4000)),
                **dict(zip(PROBABILITY_COLUMNS, probabilities)), "level": LABELS[best],
                "level_probability": probabilities[best],
                "quality": draw(st.sampled_from(QUALITY_REASONS[:1] + QUALITY_REASONS[2:]))})
    row["usable"] = int(row["quality"] == "ok")
    measured = draw(st.booleans())  # the mesh may miss the interviewee: measure columns empty
    row.update({column: draw(ANY_FLOAT) if measured else None for column in FLOAT_COLUMNS})
    return row


@st.composite
def frame_tables(draw):
    frames = draw(st.lists(st.integers(0, 5), max_size=6).map(lambda steps: np.cumsum([0] + steps)[1:].tolist()))
    rows = ANALYZER.new_rows()
    for frame in frames:
        rows.append(draw(frame_rows(frame)))
    return ANALYZER.table(rows)


def faceless_table(frames: int) -> pd.DataFrame:
    rows = ANALYZER.new_rows()
    for frame in range(frames):
        rows.append({"frame": frame, "timestamp": frame / 30, "success": 0, "confidence": 0.0, "faces": 0,
                     "usable": 0, "quality": "no_face"})
    return ANALYZER.table(rows)


WHOLE = ("frame", "success", "faces", "usable")
BOX = ("face_x", "face_y", "face_width", "face_height")
TEXT = ("level", "quality")


def assert_documented_table(table: pd.DataFrame):
    """The dtypes the per-frame table is made with (see FrameAnalyzer.table, TableRows)."""
    assert list(table.columns) == list(ANALYZER.columns)
    if len(table):
        assert all(table[column].dtype == "int64" for column in WHOLE)
    assert all(table[column].dtype == "Int64" for column in BOX)


@SETTINGS
@given(table=frame_tables())
@example(table=faceless_table(0)).via("an empty table")
@example(table=faceless_table(3)).via("no face: every scorer column empty")
def test_the_csv_gives_back_every_value(tmp_path, table):
    """NAME_frames.csv, read with pandas (its exact float parser: the default one can miss
    the last bit, e.g. of 1/30), has the columns in order and every value: floats bit for bit
    (NaN, infinities and -0.0 included), whole-number columns as int64, the face box as numbers
    (empty without a face), `level` "" without a face (an empty cell) and the quality reasons."""
    assert_documented_table(table)
    written = write_table(table, tmp_path / "clip_frames.csv")
    assert written[0] == tmp_path / "clip_frames.csv"
    read = pd.read_csv(written[0], float_precision="round_trip")
    assert list(read.columns) == list(table.columns) and len(read) == len(table)
    if not len(table):
        return
    for column in table.columns:
        if column in TEXT:
            assert read[column].fillna("").tolist() == table[column].tolist(), column
            continue
        if column in WHOLE:
            assert read[column].dtype == "int64", column
        original = table[column].astype("float64").to_numpy()
        back = read[column].astype("float64").to_numpy()
        assert np.array_equal(original, back, equal_nan=True), (column, original, back)
        numbers = ~np.isnan(original)
        assert np.array_equal(np.signbit(original[numbers]), np.signbit(back[numbers])), column  # -0.0 stays


@SETTINGS
@given(table=frame_tables())
@example(table=faceless_table(0)).via("an empty table")
@example(table=faceless_table(3)).via("no face: every scorer column empty")
def test_the_parquet_gives_back_the_table(tmp_path, table):
    """NAME_frames.parquet (written when pyarrow is installed) gives back the same table: the
    columns in order, every value, and every dtype (int64, float64, the nullable Int64 box,
    text), for empty tables and all-empty columns too."""
    pytest.importorskip("pyarrow")
    written = write_table(table, tmp_path / "clip_frames.csv")
    assert written == [tmp_path / "clip_frames.csv", tmp_path / "clip_frames.parquet"]
    read = pd.read_parquet(written[1])
    for column in TEXT:  # pandas may read text as its string dtype: same text, other dtype name
        assert read[column].tolist() == table[column].tolist(), column
    pd.testing.assert_frame_equal(read.drop(columns=list(TEXT)), table.drop(columns=list(TEXT)), check_exact=True)
