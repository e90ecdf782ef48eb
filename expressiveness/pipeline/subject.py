"""The subject of a video, chosen once, before its frames are scored, with the evidence (issue 36).

`prepare_subject(path, info, analyzer)` runs after the reference sample (per_video.py) and gives
the FrameAnalyzer its `persons` (SubjectFrames): which face of each frame is the subject, and
its person id (face/persons.py) for the `person` column.

- **One person in view** (the usual interview): fewer than MEANINGFUL_SHARE of the reference
  sample's frames hold two faces. No extra pass: a PersonTracker runs beside the main pass, the
  subject of each frame is chosen as before (select_face, `largest` or `center`), and the
  summary records the persons seen. The cost is the tracker's alone (benchmarks/bench_persons.py).
- **Several persons may be in view** (or a person asked by number): a pre-pass over the frames
  the analysis will read runs the detector and the tracker (every person's id in every frame,
  kept as boxes: 20 bytes a face) and, for `auto` and `speaker` when the video has sound, the
  face landmarker about PRE_PASS_FPS times a second for each person's mouth opening (the inner
  lips' gap).
  The subject is chosen from the persons in view; the reference is then learnt again on the
  subject's face, the landmarker reads that face alone (face/region.py: one face's cost however
  many are in view), and in the main pass each frame's subject is that person's face, or none
  where the person is out of view (a row without a face: never another person's face).

Rules (`--subject`): `largest` the person in view with the largest median box; `center` the one
whose median box is nearest the picture's centre; `speaker` the person whose mouth opening
follows the sound's loudness best (Pearson correlation, `synchrony`, over the pre-pass frames
with speech by voice activity: while one person talks, voice activity stays flat, the loudness
moves with the syllables and so does the speaker's jaw); N the person with that id; `auto`
speaker when two or more persons are in view and the sound holds at least MIN_SPEECH_S of speech,
else largest. A rule that cannot apply falls back to largest, and the summary says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from expressiveness.face import FaceBox, box_iou, select_face
from expressiveness.face.persons import MEANINGFUL_SHARE, PersonsSummary, PersonTracker

SELECTION_OF_RULE = {"largest": "largest", "center": "most_central"}  # select_face's name for a per-frame rule
PRE_PASS_FPS = 8.0  # landmarker readings per second for the speaker rule; loudness is averaged over each 1/8 s
MIN_SPEECH_S = 1.0  # the speaker rule needs at least this much speech (voice activity) in the video
MIN_SYNCHRONY_READINGS = 8  # a person's synchrony needs this many readings with speech (else all readings)
SAME_FACE_IOU = 0.5  # a face of the main pass is the pre-pass's face when their boxes overlap this much


class SubjectFrames:
    """Which face of a frame is the subject, for FrameAnalyzer. person None: each frame's face by
    `selection` (select_face), a tracker numbering the persons beside it; else that person's face
    from `known` ({frame index: (pack_faces of its faces, ids int32 (n,))}, the pre-pass, whose
    faces the main pass takes instead of detecting them again: `faces`), None where the person is
    not in the frame. `main_pass` False: frames of the reference sample (any order); True: the
    video's frames in order, each asked by subject_index (look), then person_of (score)."""

    def __init__(self, selection: str, person: int | None = None, known: dict | None = None,
                 choice: dict | None = None, persons: PersonsSummary | None = None):
        self.selection, self.person, self.known = selection, person, known or {}
        self.tracker = PersonTracker() if person is None else None
        self.choice = dict(choice or {})  # the summary's subject part, without persons
        self.persons = persons  # the pre-pass's summary (None: the tracker's, after the main pass)
        self.main_pass = False
        self.reference_from_this_video = True
        self._picked: dict[int, tuple[int | None, int | None]] = {}

    def subject_index(self, frame, faces: list[FaceBox]) -> int | None:
        if not self.main_pass:
            if self.person is not None and self.reference_from_this_video and frame.index in self.known:
                return self._fixed(frame.index, faces)[0]
            return faces.index(select_face(faces, frame.image.shape, self.selection)) if faces else None
        picked = self._picked.get(frame.index)
        if picked is None:
            picked = self._picked[frame.index] = self._pick(frame, faces)
        return picked[0]

    def _pick(self, frame, faces: list[FaceBox]) -> tuple[int | None, int | None]:
        if self.tracker is None:
            return self._fixed(frame.index, faces)
        ids = self.tracker.update(frame.index, frame.timestamp_s, faces, frame.image)
        if not faces:
            return None, None
        index = faces.index(select_face(faces, frame.image.shape, self.selection))
        return index, ids[index]

    def _fixed(self, frame_index: int, faces: list[FaceBox]) -> tuple[int | None, int | None]:
        packed, ids = self.known.get(frame_index, (np.zeros((0, 5)), np.zeros(0, np.int32)))
        boxes = packed[:, :4]
        where = np.flatnonzero(ids == self.person)
        if not faces or where.size == 0:
            return None, None
        x, y, width, height = (int(value) for value in boxes[where[0]])
        overlaps = [box_iou(face.corners, (x, y, x + width, y + height)) for face in faces]
        best = int(np.argmax(overlaps))
        return (best, self.person) if overlaps[best] >= SAME_FACE_IOU else (None, None)

    def faces(self, frame_index: int) -> list[FaceBox] | None:
        """The pre-pass's faces of a frame of this video (the detector's, as it found them), None
        when the pre-pass did not see it (or there was none)."""
        if self.person is None or frame_index not in self.known:
            return None
        if not (self.main_pass or self.reference_from_this_video):  # a baseline video's frame of that index
            return None
        return unpack_faces(self.known[frame_index][0])

    def person_of(self, frame_index: int) -> int | None:
        """The subject's person id in a frame of the main pass (then forgotten); None without it."""
        return self._picked.pop(frame_index, (None, None))[1]

    def summary(self, table) -> dict:
        """The summary's `subject`: the rule asked and used, the person measured, every person seen."""
        persons = self.persons if self.persons is not None else self.tracker.summary()
        choice = dict(self.choice)
        if choice.get("person") is None and "person" in table and table["person"].notna().any():
            choice["person"] = int(table["person"].dropna().astype(int).mode().iloc[0])  # measured most often
        synchrony = choice.pop("synchrony", {})
        listed = [{"id": person.person, "seconds_in_view": person.seconds_in_view, "share": person.share_of_frames,
                   "median_box": list(person.median_box), "thumbnail_s": round(person.thumbnail_s, 3),
                   "thumbnail_frame": person.thumbnail_frame,
                   "in_view": person.in_view, "synchrony": synchrony.get(person.person)} for person in persons.persons]
        return {**choice, "persons": listed, "status": persons.status,
                "note": note(persons, choice.get("person"), choice["used"], choice.get("fallback"))}


def pack_faces(faces: list[FaceBox]) -> np.ndarray:
    """float64 (n, 5 + 2 k): x, y, width, height, score, then the k keypoints' x, y: a frame's
    faces in 136 bytes each (FaceBoxes take about 700), to keep for a whole video."""
    return np.array([[face.x, face.y, face.width, face.height, face.score, *np.ravel(face.keypoints)]
                     for face in faces], np.float64).reshape(len(faces), -1) if faces else np.zeros((0, 5))


def unpack_faces(packed: np.ndarray) -> list[FaceBox]:
    """The FaceBoxes pack_faces kept, equal to the detector's."""
    return [FaceBox(int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(row[4]),
                    tuple((float(x), float(y)) for x, y in row[5:].reshape(-1, 2))) for row in packed]


def note(persons: PersonsSummary, person: int | None, used, fallback: str | None) -> str:
    """The sentence for the console and the summary."""
    said = persons.describe()
    if persons.status != "several_persons":
        return said[0].upper() + said[1:]
    how = f"person {person}" if isinstance(used, int) else f"by the rule {used}"
    why = f" ({fallback})" if fallback else ""
    return f"{said[0].upper() + said[1:-1]}; measured: person {person}, chosen {how}{why}."


def frame_by_frame(options, used: str = "largest", fallback: str | None = None) -> SubjectFrames:
    """Each frame's face by the rule (options.subject when it is largest or center, else
    options.face_selection), a tracker numbering the persons beside it: one person in view, and
    the live demo (which cannot look ahead)."""
    rule = options.subject
    selection = SELECTION_OF_RULE[rule] if rule in SELECTION_OF_RULE else options.face_selection
    persons = SubjectFrames(selection, choice={"rule": rule, "used": used, "fallback": fallback, "person": None})
    persons.main_pass = True
    return persons


def _sample_faces(path, info, analyzer) -> list[list[FaceBox]]:
    """The faces of the reference sample when it came from this whole video (kept by
    learn_reference); else of REFERENCE_SAMPLE_FRAMES frames spread over the video, detected here."""
    from expressiveness.pipeline.scorers import REFERENCE_SAMPLE_FRAMES
    from expressiveness.video import iter_frames, sample_indices

    options = analyzer.options
    if options.measures and options.baseline is None and options.baseline_video is None and analyzer._found:
        return list(analyzer._found.values())
    sample = sample_indices(info.frame_count, count=REFERENCE_SAMPLE_FRAMES)
    return [analyzer.detector.detect(frame.image) for frame in iter_frames(path, sample, info)]


def prepare_subject(path, info, analyzer, voice_activity=None) -> None:
    """Choose the video's subject (see the module's docstring) and set analyzer.persons. Call
    after analyzer.learn_reference, before the main pass. voice_activity: the video's
    VoiceActivityJob already running (per_video.py), which the speaker rule reads rather than
    start another; None with --no-audio. Raises SubjectError for a person asked by number that
    the video does not have."""
    rule = analyzer.options.subject
    sample = _sample_faces(path, info, analyzer) if info.frame_count > 0 else []
    several = bool(sample) and np.mean([len(faces) >= 2 for faces in sample]) >= MEANINGFUL_SHARE
    if not several and not isinstance(rule, int):
        used = rule if rule in SELECTION_OF_RULE else "largest"
        fallback = None if used == rule else ("auto: " if rule == "auto" else "") + "one person in view"
        analyzer.persons = frame_by_frame(analyzer.options, used, fallback)
        return
    from expressiveness.pipeline.subject_pass import choose, find_persons

    found = find_persons(path, info, analyzer, with_mouths=rule in ("auto", "speaker"), job=voice_activity)
    choice = choose(rule, found, path)
    persons = SubjectFrames("largest", choice["person"], found.known, choice, found.summary)
    _relearn(path, info, analyzer, persons)
    persons.main_pass = True


def _relearn(path, info, analyzer, persons: SubjectFrames) -> None:
    """Give the analyzer the chosen subject, its landmarker reading that face alone (face/region.py:
    the whole frame would hold the others too), and learn the reference again on the subject's
    faces (the sample was learnt on each frame's largest face)."""
    from expressiveness.pipeline.per_video import reference_frames

    analyzer.reset()
    analyzer.persons = persons
    persons.reference_from_this_video = analyzer.options.baseline_video is None
    for scorer in analyzer.scorers:
        if hasattr(scorer, "read_subject_alone"):
            scorer.read_subject_alone = True
    if analyzer.options.measures and info.frame_count > 0:
        analyzer.learn_reference(*reference_frames(path, info, analyzer.options))


@dataclass
class FoundPersons:
    """What the pre-pass found: the tracker's summary, each analysed frame's boxes and ids
    (SubjectFrames.known), each person's mouth readings [(timestamp_s, mouth_opening)], the sound
    (status, start_s, window powers of audio/loudness.py, voice activity) and the frame's size."""

    summary: PersonsSummary
    known: dict
    mouths: dict = field(default_factory=dict)
    sound: dict = field(default_factory=dict)
    frame_shape: tuple = ()
