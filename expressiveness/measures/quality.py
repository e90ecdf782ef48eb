"""Frame quality: whether a frame's face can be measured, and if not, the first reason why.

A frame is usable when the interviewee's face is found, wholly inside the image, turned less
than MAX_TURN_DEG and large enough. Frames that are not usable stay in the per-frame table
(with `usable` 0 and their `quality`), but are left out of the reference face, the per-video
summaries, the measures model's features and the moments: a face cut by the border or turned
away deforms the mesh, which would otherwise read as expression.

Reasons, checked in this order (QUALITY_REASONS):
- no_face: the detector found no face;
- edge: the detector's box touches the image border, or a face-mesh point lies outside the
  image (the face is cut by the border; MediaPipe then guesses the missing part);
- turned: |yaw| or |pitch| above MAX_TURN_DEG (half the face hidden from the camera);
- small: the inter-ocular distance (between the eye centres) under MIN_IOD_PX pixels (a face
  about 50 px wide, where the mesh is mostly guessed);
- low_presence: the detector found the interviewee, whole in the image, but the landmarker did
  not confirm a face there (its face presence score was under its threshold, 0.5).
"""

from __future__ import annotations

import numpy as np

QUALITY_REASONS = ("ok", "no_face", "edge", "turned", "small", "low_presence")
QUALITY_COLUMNS = ("usable", "quality")
MAX_TURN_DEG = 45.0
MIN_IOD_PX = 20.0
MESH_POINTS = 468  # the face mesh; the 10 iris points after them are inside the eyes anyway


def frame_quality(image_shape, box, points: np.ndarray | None, yaw_deg: float, pitch_deg: float,
                  iod_px: float) -> str:
    """The quality of one frame (QUALITY_REASONS). image_shape: (height, width, ...); box: the
    detector's (x, y, width, height) of the interviewee, None without a face; points: the
    landmarks (478, 3) in pixels, None when the landmarker found none; the rest from them."""
    if box is None:
        return "no_face"
    height, width = image_shape[:2]
    x, y, box_width, box_height = box
    if x <= 0 or y <= 0 or x + box_width >= width or y + box_height >= height:
        return "edge"
    if points is None:
        return "low_presence"
    mesh = points[:MESH_POINTS, :2]
    if mesh.min() < 0 or mesh[:, 0].max() >= width or mesh[:, 1].max() >= height:
        return "edge"
    if not (abs(yaw_deg) <= MAX_TURN_DEG and abs(pitch_deg) <= MAX_TURN_DEG):
        return "turned"
    if not iod_px >= MIN_IOD_PX:
        return "small"
    return "ok"


def quality_row(reason: str) -> dict:
    """The per-frame table's quality columns for a reason."""
    return {"usable": int(reason == "ok"), "quality": reason}


def usable_mask(table) -> np.ndarray:
    """Per row of a per-frame table, whether its frame is usable (bool array); every row of a
    table without the `usable` column (made before frame quality existed, or without measures)."""
    if "usable" not in table.columns:
        return np.ones(len(table), dtype=bool)
    return table["usable"].fillna(0).astype("int64").to_numpy() == 1


def usable_rows(table):
    """The rows of a per-frame table whose frames are usable (usable_mask)."""
    return table[usable_mask(table)]


def quality_summary(table) -> dict:
    """usable_share (share of analysed frames that are usable; None for an empty table) and
    unusable_frames ({reason: frames} for each reason that occurs)."""
    if "quality" not in table.columns:
        return {}
    counts = table["quality"].value_counts()
    return {"usable_share": round(float(counts.get("ok", 0)) / len(table), 4) if len(table) else None,
            "unusable_frames": {reason: int(counts[reason]) for reason in QUALITY_REASONS[1:] if reason in counts}}
