"""How faces are found and cut, in one place: FaceOptions (the detector's threshold, the
interviewee among several faces, how the landmarker sees frames, the crop's margin and eye
alignment), with its defaults from config.py and its checks. Extraction (data.cache.ExtractSettings),
analysis (pipeline.options.AnalysisOptions) and the model card's "crop" record use it, so that
inference cuts faces as training did. No OpenCV, no MediaPipe."""

from __future__ import annotations

import math
from dataclasses import dataclass

from expressiveness.config import (DEFAULT_CROP_MARGIN, DEFAULT_FACE_SELECTION, DEFAULT_FACE_TRACKING,
                                   DEFAULT_MIN_CONFIDENCE, FACE_SELECTIONS, FACE_TRACKINGS)

CARD_KEYS = {"min_confidence": "min_confidence", "selection": "face_selection", "margin": "margin", "align": "align"}


@dataclass(frozen=True)
class FaceOptions:
    """min_confidence: the face detector's score threshold in [0, 1]; selection: the interviewee
    among several faces (FACE_SELECTIONS); tracking: "image" (each frame on its own) or "video"
    (MediaPipe's tracking, for the live camera); margin: the fraction of the face box added on
    each side of a crop (>= 0); align: crops turned so that the eyes are level. Raises
    ValueError, naming the setting, for a value out of range."""

    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    selection: str = DEFAULT_FACE_SELECTION
    tracking: str = DEFAULT_FACE_TRACKING
    margin: float = DEFAULT_CROP_MARGIN
    align: bool = False

    def __post_init__(self):
        check_min_confidence(self.min_confidence)
        check_selection(self.selection)
        if self.tracking not in FACE_TRACKINGS:
            expected = " or ".join(f'"{mode}"' for mode in FACE_TRACKINGS)
            raise ValueError(f"face_tracking is {self.tracking!r}; expected {expected}.")
        if not _is_number(self.margin) or not self.margin >= 0:
            raise ValueError(f"margin is {self.margin!r}; expected a fraction >= 0, such as {DEFAULT_CROP_MARGIN}.")
        if not isinstance(self.align, bool):
            raise ValueError(f"align is {self.align!r}; expected True or False.")

    @classmethod
    def from_card(cls, card: dict, tracking: str = DEFAULT_FACE_TRACKING) -> "FaceOptions":
        """The options a model was trained with (its card's "crop" record), the defaults for
        what the card does not record."""
        crop = card.get("crop") or {}
        recorded = {name: crop[key] for name, key in CARD_KEYS.items() if key in crop}
        return cls(tracking=tracking, **{name: float(value) if name in ("min_confidence", "margin") else value
                                         for name, value in recorded.items()})

    def card_record(self) -> dict:
        """The card's "crop" record of these options (what inference must cut alike)."""
        return {key: getattr(self, name) for name, key in CARD_KEYS.items()}


def check_min_confidence(value) -> None:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"min_confidence is {value!r}; expected a number in [0.0, 1.0].")


def check_selection(value) -> None:
    if value not in FACE_SELECTIONS:
        raise ValueError(f"face_selection is {value!r}; expected one of {', '.join(FACE_SELECTIONS)}.")


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
