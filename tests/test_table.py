"""The per-frame table gathered column by column gives the table pandas makes from the row dicts."""

import math

import numpy as np
import pandas as pd

from expressiveness.pipeline.table import TableRows

COLUMNS = ("frame", "success", "face_x", "level", "expressivity", "bs_jawOpen")


def rows():
    return [
        {"frame": 0, "success": 0},  # no face: every other value missing
        {"frame": 1, "success": 1, "face_x": 12, "level": "Reserved", "expressivity": 1.5, "bs_jawOpen": 0.25,
         "not_a_column": "ignored"},
        {"frame": 2, "success": 1, "face_x": 13, "level": None, "expressivity": math.nan, "bs_jawOpen": np.float32(0.5)},
        {"frame": 3, "success": 1, "face_x": 14, "level": "Expressive", "expressivity": 2, "bs_jawOpen": 0.0},
    ]


def test_the_columns_and_values_are_those_of_the_row_dicts():
    gathered = TableRows(COLUMNS)
    for row in rows():
        gathered.append(row)
    table = gathered.frame()
    expected = pd.DataFrame(rows(), columns=list(COLUMNS))
    assert list(table.columns) == list(COLUMNS) and len(gathered) == 4 and gathered.last["frame"] == 3
    assert table["frame"].dtype == "int64" and table["success"].dtype == "int64"
    assert table["face_x"].dtype == "float64" and table["expressivity"].dtype == "float64"
    assert table["level"].tolist() == [None, "Reserved", None, "Expressive"]
    pd.testing.assert_frame_equal(table.drop(columns="level"), expected.drop(columns="level"), check_dtype=False)


def test_an_empty_table_has_the_columns():
    table = TableRows(COLUMNS).frame()
    assert list(table.columns) == list(COLUMNS) and len(table) == 0
