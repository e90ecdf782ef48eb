"""Frame quality (measures/quality.py): each rule on exact inputs, in the documented order."""

import numpy as np
import pandas as pd
import pytest

from expressiveness.measures.quality import MAX_TURN_DEG, MIN_IOD_PX, frame_quality, quality_summary, usable_rows

IMAGE = (480, 640, 3)
BOX = (200, 100, 200, 200)


def mesh(left=250.0, top=150.0, size=100.0):
    """478 points spread over a square face inside the image."""
    points = np.zeros((478, 3))
    points[:, 0] = np.linspace(left, left + size, 478)
    points[:, 1] = np.linspace(top, top + size, 478)
    return points


@pytest.mark.parametrize("box, points, yaw, pitch, iod, expected", [
    (None, None, 0, 0, 0, "no_face"),
    ((0, 100, 200, 200), None, 0, 0, 0, "edge"),  # the box touches the border: edge before low_presence
    ((500, 100, 140, 200), mesh(), 0, 0, 60, "edge"),  # reaches the right border (500 + 140 = 640)
    (BOX, mesh(left=-3), 0, 0, 60, "edge"),  # a mesh point outside the image
    (BOX, mesh(top=400), 0, 0, 60, "edge"),  # the chin below the bottom (400 + 100 >= 480)
    (BOX, None, 0, 0, 0, "low_presence"),
    (BOX, mesh(), MAX_TURN_DEG + 0.1, 0, 60, "turned"),
    (BOX, mesh(), 0, -MAX_TURN_DEG - 0.1, 60, "turned"),
    (BOX, mesh(), MAX_TURN_DEG, -MAX_TURN_DEG, 60, "ok"),  # 45 degrees is still facing the camera
    (BOX, mesh(), 60, 0, MIN_IOD_PX - 1, "turned"),  # turned comes before small
    (BOX, mesh(), 0, 0, MIN_IOD_PX - 0.01, "small"),
    (BOX, mesh(), 0, 0, float("nan"), "small"),
    (BOX, mesh(), 0, 0, MIN_IOD_PX, "ok"),
])
def test_each_rule_in_order(box, points, yaw, pitch, iod, expected):
    assert frame_quality(IMAGE, box, points, yaw, pitch, iod) == expected


def test_usable_rows_and_the_summary():
    table = pd.DataFrame({"usable": [1, 0, 1, None, 0], "quality": ["ok", "edge", "ok", None, "no_face"]})
    assert list(usable_rows(table).index) == [0, 2]
    assert list(usable_rows(table.drop(columns="usable")).index) == [0, 1, 2, 3, 4]  # an older table: all count
    assert quality_summary(table) == {"usable_share": 0.4, "unusable_frames": {"no_face": 1, "edge": 1}}
    assert quality_summary(table.iloc[:0]) == {"usable_share": None, "unusable_frames": {}}
