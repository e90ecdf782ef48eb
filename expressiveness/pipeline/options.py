"""How videos are analysed: the options every analysis takes (AnalysisOptions), and what its
results depend on (analysis_provenance), known from the options and the model's files alone,
before any engine starts: a batch decides from it which earlier results it may reuse."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from expressiveness.config import DEFAULT_FACE_TRACKING, SUBJECT_RULES
from expressiveness.errors import BaselineError
from expressiveness.face.options import FaceOptions
from expressiveness.card import read_card
from expressiveness.pipeline.scorers import level_provenance, measure_provenance


@dataclass(frozen=True)
class AnalysisOptions:
    """How videos are analysed. every: analyse every k-th frame (>= 1). smoothing: EMA weight
    of the newest frame in (0, 1], or None for raw per-frame probabilities (the default for
    tables). min_confidence (the face detector's threshold, in [0, 1]) and face_selection
    (the interviewee among several faces): None takes the model card's crop settings, so that
    inference crops faces as the training crops were cut (see with_card), or the extraction
    defaults without a model; crop margin and alignment always come from the card. backend:
    the Predictor's inference engine. measures: also the facial measures (MeasureScorer).
    face_tracking: how the face landmarker sees frames: "image" (the default for files: each
    frame on its own, so a frame's landmarks do not depend on the frames before it or their
    timing) or "video" (tracking with MediaPipe's causal temporal filter: the live camera).
    baseline (start_s, end_s) or baseline_video (a path): where the facial measures' reference face
    and blendshape neutral come from, instead of the whole video (a neutral stretch of the same
    video, or a neutral clip of the same person). audio: also the video's own sound: its voice
    activity per frame (`speech`, `speaking`) and every summary measure split into speaking and
    listening (pipeline/speech.py); False (--no-audio) skips all of it. subject: who is measured
    when several persons are in view: "auto", "largest", "center", "speaker" or a person id
    (pipeline/subject.py)."""

    every: int = 1
    smoothing: float | None = None
    min_confidence: float | None = None
    face_selection: str | None = None
    backend: str = "tflite"
    measures: bool = True
    face_tracking: str = DEFAULT_FACE_TRACKING
    baseline: tuple[float, float] | None = None
    baseline_video: str | None = None
    audio: bool = True
    subject: str | int = "auto"

    def __post_init__(self):
        object.__setattr__(self, "subject", check_subject(self.subject))
        if self.baseline is not None and self.baseline_video is not None:
            raise BaselineError("a baseline segment and a baseline video were both given; expected one of them "
                             "(--baseline START:END or --baseline-video PATH).")
        if (self.baseline is not None or self.baseline_video is not None) and not self.measures:
            raise BaselineError("a baseline was given without the facial measures; expected --baseline or "
                             "--baseline-video only with the measures on (no --no-measures).")
        if self.baseline is not None:
            object.__setattr__(self, "baseline", tuple(float(value) for value in self.baseline))
            start, end = self.baseline
            if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
                raise BaselineError(f"the baseline is {start:g}:{end:g}; expected START:END in seconds with "
                                 f"0 <= START < END, such as 0:10.")
        if isinstance(self.every, bool) or not (isinstance(self.every, int) and self.every >= 1):
            raise ValueError(f"every is {self.every!r}; expected a whole number >= 1.")
        if self.smoothing is not None and not 0 < self.smoothing <= 1:
            raise ValueError(f"smoothing is {self.smoothing!r}; expected a number in (0, 1], or None.")
        # the face settings' checks are FaceOptions'; None: from the model's card (with_card)
        FaceOptions(tracking=self.face_tracking, **({} if self.min_confidence is None else
                                                    {"min_confidence": self.min_confidence}),
                    **({} if self.face_selection is None else {"selection": self.face_selection}))

    def with_card(self, card: dict) -> "AnalysisOptions":
        """These options with every detector setting left as None taken from a model card's
        crop settings (card["crop"]: min_confidence, face_selection), or from the
        extraction defaults for a card that does not record them."""
        trained = FaceOptions.from_card(card)
        return replace(self,
                       min_confidence=self.min_confidence if self.min_confidence is not None
                       else trained.min_confidence,
                       face_selection=self.face_selection or trained.selection)

    @property
    def face(self) -> FaceOptions:
        """The face settings of these options, once with_card has filled them in."""
        return FaceOptions(self.min_confidence, self.face_selection, self.face_tracking)


def check_subject(value) -> str | int:
    """The subject option's value: one of SUBJECT_RULES, or a person id >= 0 (an int, or its digits)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if value in SUBJECT_RULES:
        return value
    raise ValueError(f"subject is {value!r}; expected {', '.join(SUBJECT_RULES)} or a person id >= 0 "
                     f"(an id from a summary's subject.persons).")


def detection_provenance(every: int, min_confidence: float, face_selection: str) -> dict:
    from expressiveness.face import engine_identity

    return {"every": every, "min_confidence": min_confidence,
            "face_selection": face_selection, "face_engine": engine_identity()}


def analysis_provenance(model_path: str | Path | None, options: AnalysisOptions | None = None,
                        card: dict | None = None) -> dict:
    """What build_analyzer(model_path, options).provenance() gives, from the model's files
    alone (no TensorFlow, no engines): how a batch decides, before starting any worker, which
    earlier results it may reuse. card: the model's card when already read. Raises
    FileNotFoundError or ModelFileError for an unusable model or card."""
    if card is None:
        card = read_card(model_path, model_must_exist=True) if model_path is not None else {}
    options = (options or AnalysisOptions()).with_card(card)
    provenance = {**detection_provenance(options.every, options.min_confidence, options.face_selection),
                  "subject": options.subject, "measures": options.measures}
    if model_path is not None:
        provenance.update(level_provenance(model_path, options.backend, options.smoothing, card))
    if options.measures:
        provenance.update(measure_provenance(options.face_tracking))
    return {**provenance, **baseline_provenance(options), **audio_provenance(options)}


def audio_provenance(options: AnalysisOptions) -> dict:
    """What the speech columns and the split depend on: audio on or off, and when on the
    voice-activity detector's version, the thresholds that make `speaking` and a side's minimum."""
    if not options.audio:
        return {"audio": False}
    from expressiveness.audio.align import HANGOVER_S, MIN_SPEECH_S, RELEASE_THRESHOLD, SPEECH_THRESHOLD
    from expressiveness.measures.speaking import MIN_SIDE_USABLE_S
    from expressiveness.pipeline.speech import vad_identity

    return {"audio": True, "vad": vad_identity(),
            "speech": {"threshold": SPEECH_THRESHOLD, "release_threshold": RELEASE_THRESHOLD, "hangover_s": HANGOVER_S,
                       "min_speech_s": MIN_SPEECH_S, "min_side_usable_s": MIN_SIDE_USABLE_S}}


def baseline_provenance(options: AnalysisOptions) -> dict:
    """The measures' baseline, when one is given: its seconds, or the baseline video's identity
    (source_info; FileNotFoundError when it is missing)."""
    from expressiveness._io import source_info

    if not options.measures:
        return {}
    if options.baseline is not None:
        return {"baseline": list(options.baseline)}
    if options.baseline_video is not None:
        return {"baseline_video": source_info(options.baseline_video)}
    return {}
