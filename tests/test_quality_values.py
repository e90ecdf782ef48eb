"""Frame quality (measures/quality.py) at the exact borders of each rule: a box or mesh point on
the first or last pixel row or column, depth and iris points, and the summary's rounding.
tests/test_quality.py checks the rules' order."""

import numpy as np
import pandas as pd
import pytest

from expressiveness.measures.quality import frame_quality, quality_row, quality_summary

IMAGE = (480, 640, 3)  # height, width: pixels 0..639 across, 0..479 down
BOX = (200, 100, 200, 200)


def mesh(**points) -> np.ndarray:
    """478 points well inside the image, then the named ones (point_<index>=(x, y, z)) set."""
    landmarks = np.zeros((478, 3))
    landmarks[:, 0] = np.linspace(250.0, 350.0, 478)
    landmarks[:, 1] = np.linspace(150.0, 250.0, 478)
    for name, value in points.items():
        landmarks[int(name.removeprefix("point_"))] = value
    return landmarks


@pytest.mark.parametrize("box, expected", [
    ((1, 1, 200, 200), "ok"),  # one pixel from the top-left corner
    ((200, 0, 200, 200), "edge"),  # on the top row
    ((439, 279, 200, 200), "ok"),  # ends on column 638 and row 478
    ((200, 280, 200, 200), "edge"),  # reaches the bottom (280 + 200 = 480)
    ((440, 100, 200, 200), "edge"),  # reaches the right (440 + 200 = 640)
])
def test_the_box_on_the_border(box, expected):
    assert frame_quality(IMAGE, box, mesh(), 0.0, 0.0, 60.0) == expected


@pytest.mark.parametrize("points, expected", [
    (mesh(point_0=(0.0, 0.0, 0.0)), "ok"),  # on the first pixel
    (mesh(point_0=(-0.5, 10.0, 0.0)), "edge"),
    (mesh(point_0=(10.0, -0.5, 0.0)), "edge"),
    (mesh(point_0=(639.9, 479.9, 0.0)), "ok"),  # inside the last pixel
    (mesh(point_0=(640.0, 10.0, 0.0)), "edge"),  # right of the image, though above its height
    (mesh(point_0=(500.0, 10.0, 0.0)), "ok"),  # beyond the height, but that is x
    (mesh(point_0=(10.0, 480.0, 0.0)), "edge"),  # below the image
    (mesh(point_0=(300.0, 200.0, -900.0)), "ok"),  # depth is not a border
    (mesh(point_467=(-5.0, 700.0, 0.0)), "edge"),  # the last mesh point
    (mesh(point_468=(-5.0, 700.0, 0.0), point_477=(900.0, 900.0, 0.0)), "ok"),  # iris points are not the mesh
])
def test_mesh_points_on_the_border(points, expected):
    assert frame_quality(IMAGE, BOX, points, 0.0, 0.0, 60.0) == expected


def test_a_frame_without_a_face_or_a_mesh():
    assert frame_quality(IMAGE, None, mesh(), 0.0, 0.0, 60.0) == "no_face"
    assert frame_quality((480, 640), BOX, None, 0.0, 0.0, float("nan")) == "low_presence"  # a grey image too


def test_quality_rows_and_summary():
    assert quality_row("ok") == {"usable": 1, "quality": "ok"}
    assert quality_row("edge") == {"usable": 0, "quality": "edge"}
    assert quality_summary(pd.DataFrame({"quality": ["ok", "edge", "edge"]})) == {
        "usable_share": 0.3333, "unusable_frames": {"edge": 2}}
    assert quality_summary(pd.DataFrame({"quality": ["turned", "no_face", "small", "low_presence"]})) == {
        "usable_share": 0.0, "unusable_frames": {"no_face": 1, "turned": 1, "small": 1, "low_presence": 1}}
    assert list(quality_summary(pd.DataFrame({"quality": ["small", "edge", "small"]}))["unusable_frames"]) == [
        "edge", "small"]  # in QUALITY_REASONS order
    assert quality_summary(pd.DataFrame({"usable": [1]})) == {}
