"""The per-frame table's rows, gathered column by column while a video is analysed.

A dict per frame costs ~7 kB with the 52 blendshape columns (250 MB for a 20-minute video at
30 frames/s, twice over while pandas builds the table); a column of numbers costs 8 bytes a
frame. Values a row does not give are missing (NaN, or None in a text column).
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import pandas as pd


_EXACT = 2**53  # whole numbers up to this size are exact in float64


class TableRows:
    """Rows of a table with fixed `columns`, appended one dict at a time (keys outside the
    columns are ignored). A column whose values are all whole numbers of at most 2**53 (the
    float64 buffer holds them exactly) becomes int64, one with text becomes object (None where
    missing: absent, None or NaN), any other float64."""

    def __init__(self, columns):
        self.columns = tuple(columns)
        self._numbers = {column: array("d") for column in self.columns}
        self._texts: dict[str, list] = {}
        self._whole = dict.fromkeys(self.columns, True)
        self._count = 0
        self.last: dict = {}  # the last row appended

    def __len__(self) -> int:
        return self._count

    def append(self, row: dict) -> None:
        for column in self.columns:
            value = row.get(column)
            if column in self._texts:
                missing = isinstance(value, (float, np.floating)) and math.isnan(value)
                self._texts[column].append(None if missing else value)
            elif isinstance(value, str):
                self._texts[column] = [None if math.isnan(number) else number for number in self._numbers.pop(column)]
                self._texts[column].append(value)
            elif value is None:
                self._numbers[column].append(math.nan)
                self._whole[column] = False
            else:
                if self._whole[column] and not (isinstance(value, (int, np.integer)) and abs(int(value)) <= _EXACT):
                    self._whole[column] = False
                self._numbers[column].append(float(value))
        self._count += 1
        self.last = row

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the columns in order."""
        data = {}
        for column in self.columns:
            if column in self._texts:
                data[column] = pd.Series(self._texts[column], dtype="object")
            else:
                values = np.frombuffer(self._numbers[column], dtype="float64") if self._count else np.zeros(0)
                data[column] = values.astype("int64") if self._whole[column] and self._count else values
        return pd.DataFrame(data, columns=list(self.columns), copy=True)  # owns its data: the buffers may grow
