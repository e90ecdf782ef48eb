"""Persons: a stable `person` id for every face in a video, and a summary of who was in view.

Numpy and SciPy only (the boxes come from engine.FaceDetector). Feed `PersonTracker.update` every
analysed frame in time order, frames without a face too: it returns one person id per face.

How faces are linked, in order:
1. **Position.** Faces of this frame and the persons seen within RECENT_GAP_S are paired by
   Hungarian assignment on the centre shift in face sizes plus the log of the size ratio; a pair
   is allowed only within LINK_MAX_SHIFT face sizes and LINK_MAX_SIZE_RATIO.
2. **Appearance**, where position cannot be trusted. With the frame's image, a face's look is a
   colour histogram of its box (`face_appearance`). It is computed only (a) for a face that
   position did not link (a new face, or one coming back after a gap, possibly elsewhere),
   (b) at a picture cut (the frame's coarse thumbnail changes by more than CUT_MEAN_DIFFERENCE:
   a gallery that rearranges its tiles, sides that swap), where every face is then linked by
   appearance instead of position, and (c) once every APPEARANCE_INTERVAL_S per person, to keep
   its look current and to catch a rearrangement the cut test missed.
3. **Re-linking.** A person never ends: a face that position did not link goes to the unlinked
   person it looks most like (Hellinger distance at most APPEARANCE_MAX_DISTANCE), else, without
   an image, to one last seen within REJOIN_MAX_SHIFT face sizes of it; else it is a new person.

Why these thresholds (measured on the real clips of tests/test_persons.py, 200x240 px tiles):
- a face's look against its own first frame over a clip: Hellinger distance at most 0.19; two
  different people: at least 0.27 (the woman and the third person, both dark-haired on dark
  backgrounds; most pairs 0.45-0.55). APPEARANCE_MAX_DISTANCE sits between them. Studio photos
  of people in one light (the crowd) can be as close as 0.12: colour does not tell them apart,
  which is why position links first and appearance only where position cannot be trusted.
- the look is a colour histogram, not a small normalised grayscale thumbnail: the thumbnail
  varied more within one person (up to 0.51 in 1 - correlation, with expression and head turns)
  than it differed between the woman and the third person (0.17). It costs about 30-45 us per
  face and needs nothing downloaded.
- the cut test: the thumbnail changed by at most 23 from frame to frame in ordinary footage
  (median 4.6; 23 while the crowd's gallery pans), by 75-102 where tiles swap or rearrange; a
  person walking out of half the picture gives 43-77 and also counts as a cut, which is harmless
  (appearance then links the faces).
- MEANINGFUL_SHARE: a tenth of the analysed frames keeps out a detector's false faces and half
  faces of someone walking in (a few frames), and reports an interviewer seen for a tenth of
  the interview, which is worth saying.

Ids are 0, 1, 2... in order of first appearance; faces first seen in the same frame are
numbered left to right (then top to bottom). A detector's false face becomes a person of its
own, seen briefly: `summary()` says which persons were in view for a meaningful share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .crops import FaceBox

LINK_MAX_SHIFT = 0.5  # face sizes (sqrt of box area) a face's centre may move between analysed frames
LINK_MAX_SIZE_RATIO = 1.5  # ... and how much its size may change
RECENT_GAP_S = 1.0  # a person missing for longer is linked by appearance (or REJOIN_MAX_SHIFT), not position
REJOIN_MAX_SHIFT = 1.0  # face sizes: without an image, a face returning this close to where a person was seen
APPEARANCE_INTERVAL_S = 1.0  # how often each person's look is sampled while position links it
APPEARANCE_MAX_DISTANCE = 0.23  # Hellinger distance in [0, 1]: one person up to it (see the module docstring)
APPEARANCE_UPDATE = 0.2  # weight of a new sample in a person's look (exponential average)
CUT_MEAN_DIFFERENCE = 40.0  # mean absolute change (0-255) of the frame's thumbnail that marks a picture cut
HISTOGRAM_BINS = 4  # per colour channel: 64 joint bins
MAX_SAMPLES_PER_SIDE = 32  # a face box is read at most 32x32 pixels for its histogram
THUMBNAIL_SIZE = (24, 32)  # rows, columns of the whole frame's thumbnail for the cut test
MEANINGFUL_SHARE = 0.10  # a person in view in at least this share of analysed frames counts as in view
_FAR = 1e6  # cost of a pair outside the gates
_LINK_MAX_COST = LINK_MAX_SHIFT + math.log(LINK_MAX_SIZE_RATIO)


def face_appearance(image: np.ndarray, box: FaceBox) -> np.ndarray:
    """A face's look: the joint colour histogram (HISTOGRAM_BINS per channel) of its box, read
    on a grid of at most MAX_SAMPLES_PER_SIDE x MAX_SAMPLES_PER_SIDE pixels.

    image: uint8 (H, W, 3) or (H, W, 4) in either colour order (the same for every face of a
    video), or (H, W) or (H, W, 1) gray: then the histogram has HISTOGRAM_BINS bins of brightness. Returns float32
    (HISTOGRAM_BINS ** channels,), summing to 1.
    """
    step_y = max(1, box.height // MAX_SAMPLES_PER_SIDE)
    step_x = max(1, box.width // MAX_SAMPLES_PER_SIDE)
    pixels = image[box.y:box.y + box.height:step_y, box.x:box.x + box.width:step_x]
    if pixels.ndim == 3:  # colour: its first three channels; a single channel: gray
        pixels = pixels[..., :3] if pixels.shape[2] >= 3 else pixels[..., 0]
    levels = (pixels.astype(np.int32) * HISTOGRAM_BINS) >> 8
    if levels.ndim == 3:
        codes = (levels[..., 0] * HISTOGRAM_BINS + levels[..., 1]) * HISTOGRAM_BINS + levels[..., 2]
        bins = HISTOGRAM_BINS ** 3
    else:
        codes, bins = levels, HISTOGRAM_BINS
    counts = np.bincount(codes.ravel(), minlength=bins).astype(np.float32)
    return counts / max(counts.sum(), 1.0)


def appearance_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Hellinger distance between two looks (face_appearance): 0 the same, 1 nothing in common."""
    return math.sqrt(max(0.0, 1.0 - float(np.sqrt(first * second).sum())))


def frame_thumbnail(image: np.ndarray) -> np.ndarray:
    """The frame read every so many pixels, about THUMBNAIL_SIZE (rows, columns), one channel (the
    middle one of three: green in either colour order), as int16: the picture for the cut test.
    A strided view, so that it costs a few microseconds per frame whatever the frame's size."""
    step_y = max(1, image.shape[0] // THUMBNAIL_SIZE[0])
    step_x = max(1, image.shape[1] // THUMBNAIL_SIZE[1])
    picked = image[::step_y, ::step_x, min(1, image.shape[2] - 1)] if image.ndim == 3 else image[::step_y, ::step_x]
    return picked.astype(np.int16)


class _Person:  # one id: where it was last seen, and its look
    def __init__(self, person: int, box: FaceBox, frame_position: int, timestamp_s: float):
        self.person = person
        self.box, self.last_position, self.last_s = box, frame_position, timestamp_s
        self.look: np.ndarray | None = None  # exponential average of its sampled looks, the last at look_s
        self.look_s = -math.inf

    def sample(self, look: np.ndarray, timestamp_s: float) -> None:
        self.look = look if self.look is None else (1 - APPEARANCE_UPDATE) * self.look + APPEARANCE_UPDATE * look
        self.look_s = timestamp_s


def _size(box: FaceBox) -> float:
    return math.sqrt(max(box.area, 1))


def _shift(face: FaceBox, seen: FaceBox) -> float:
    """Centre distance between two boxes in face sizes (of the box seen before)."""
    (face_x, face_y), (seen_x, seen_y) = face.center, seen.center
    return math.hypot(face_x - seen_x, face_y - seen_y) / _size(seen)


def _position_cost(face: FaceBox, seen: FaceBox) -> float:
    size_ratio = _size(face) / _size(seen)
    shift = _shift(face, seen)
    if shift > LINK_MAX_SHIFT or not 1 / LINK_MAX_SIZE_RATIO <= size_ratio <= LINK_MAX_SIZE_RATIO:
        return _FAR
    return shift + abs(math.log(size_ratio))


def _assign(costs: np.ndarray, limit: float) -> list[tuple[int, int]]:
    """Pairs (row, column) of a minimum-cost assignment, keeping only pairs that cost <= limit."""
    if costs.size == 0:
        return []
    rows, columns = linear_sum_assignment(costs)
    return [(int(row), int(column)) for row, column in zip(rows, columns) if costs[row, column] <= limit]


class PersonTracker:
    """Stable person ids for the faces of one video (see the module's docstring for the rules).

    appearance: use the frame's image to tell people apart where position cannot (False: position
    only, even when images are given). Make one tracker per video.
    """

    def __init__(self, appearance: bool = True):
        self.appearance = bool(appearance)
        self._persons: list[_Person] = []
        self._timestamps_s: list[float] = []
        self._frame_indices: list[int] = []
        self._seen: list[tuple[int, int, float, int, int, int, int]] = []  # frame position, person, score, box
        self._thumbnail: np.ndarray | None = None
        self.appearance_samples = 0  # faces whose look was computed: the appearance cost
        self.cuts = 0  # frames taken for a picture cut

    def update(self, frame_index: int, timestamp_s: float, faces: Sequence[FaceBox],
               image: np.ndarray | None = None) -> list[int]:
        """The person id of each face of one analysed frame, in the order of `faces`.

        frame_index: the frame's index in the video, increasing from call to call. timestamp_s:
        its time in seconds, increasing. faces: the frame's FaceBoxes (an empty list for a frame
        without a face: call anyway, it counts for the shares). image: the frame the boxes are in
        pixels of, uint8 (H, W, 3) or (H, W, 4) in the same colour order all video long, or (H, W)
        gray; None: position only.
        """
        self._check(frame_index, timestamp_s, faces, image)
        position = len(self._timestamps_s)
        self._timestamps_s.append(float(timestamp_s))
        self._frame_indices.append(int(frame_index))
        use_image = image if self.appearance else None
        cut = use_image is not None and self._is_cut(use_image)
        looks: dict[int, np.ndarray] = {}

        def look(face_number: int) -> np.ndarray:
            if face_number not in looks:
                looks[face_number] = face_appearance(use_image, faces[face_number])
                self.appearance_samples += 1
            return looks[face_number]

        links: dict[int, _Person] = {}  # face number -> person
        if not cut:
            recent = [person for person in self._persons if timestamp_s - person.last_s <= RECENT_GAP_S]
            costs = np.array([[_position_cost(face, person.box) for person in recent] for face in faces]) \
                .reshape(len(faces), len(recent))
            links = {face: recent[person] for face, person in _assign(costs, _LINK_MAX_COST)}
            if use_image is not None and any(timestamp_s - person.look_s >= APPEARANCE_INTERVAL_S
                                             for person in links.values()):
                # the periodic sample: a face that looks like another person means the layout changed
                if any(person.look is not None and appearance_distance(look(face), person.look)
                       > APPEARANCE_MAX_DISTANCE for face, person in links.items()):
                    cut, links = True, {}
        if cut:
            self.cuts += 1
        unlinked = [face for face in range(len(faces)) if face not in links]
        if unlinked:
            links.update(self._relink(unlinked, set(map(id, links.values())), faces, look if use_image is not None
                                      else None))
        new_faces = sorted((face for face in range(len(faces)) if face not in links),
                           key=lambda face: (faces[face].center[0], faces[face].center[1]))
        for face in new_faces:
            links[face] = _Person(len(self._persons), faces[face], position, timestamp_s)
            self._persons.append(links[face])
        for face, person in links.items():
            box = faces[face]
            person.box, person.last_position, person.last_s = box, position, float(timestamp_s)
            if use_image is not None and (face in looks or timestamp_s - person.look_s >= APPEARANCE_INTERVAL_S):
                person.sample(look(face), timestamp_s)
            self._seen.append((position, person.person, box.score, box.x, box.y, box.width, box.height))
        return [links[face].person for face in range(len(faces))]

    def _relink(self, unlinked: list[int], taken: set[int], faces: Sequence[FaceBox], look) -> dict[int, _Person]:
        """Faces that position did not link, paired with persons not linked in this frame: by look
        when there is an image, else by where the person was last seen (REJOIN_MAX_SHIFT)."""
        free = [person for person in self._persons if id(person) not in taken]
        if look is not None and free:
            costs = np.array([[appearance_distance(look(face), person.look) if person.look is not None else _FAR
                               for person in free] for face in unlinked])
            limit = APPEARANCE_MAX_DISTANCE
        else:
            costs = np.array([[_shift(faces[face], person.box) for person in free] for face in unlinked])
            limit = REJOIN_MAX_SHIFT
        costs = costs.reshape(len(unlinked), len(free))
        return {unlinked[row]: free[column] for row, column in _assign(costs, limit)}

    def _is_cut(self, image: np.ndarray) -> bool:
        thumbnail = frame_thumbnail(image)
        before, self._thumbnail = self._thumbnail, thumbnail
        return before is not None and before.shape == thumbnail.shape \
            and float(np.abs(thumbnail - before).mean()) > CUT_MEAN_DIFFERENCE

    def _check(self, frame_index, timestamp_s, faces, image) -> None:
        if isinstance(frame_index, bool) or not isinstance(frame_index, (int, np.integer)):
            raise ValueError(f"frame_index is {frame_index!r}; expected a whole number.")
        if self._frame_indices and frame_index <= self._frame_indices[-1]:
            raise ValueError(f"frame_index is {frame_index} after frame {self._frame_indices[-1]}; expected "
                             f"frames in increasing order (one PersonTracker per video).")
        if isinstance(timestamp_s, bool) or not isinstance(timestamp_s, (int, float, np.floating)) \
                or not math.isfinite(timestamp_s):
            raise ValueError(f"timestamp_s is {timestamp_s!r}; expected a finite number of seconds.")
        if self._timestamps_s and timestamp_s <= self._timestamps_s[-1]:
            raise ValueError(f"timestamp_s is {timestamp_s} after {self._timestamps_s[-1]}; expected increasing times.")
        if not all(isinstance(face, FaceBox) for face in faces):
            kinds = sorted({type(face).__name__ for face in faces})
            raise ValueError(f"faces holds {', '.join(kinds)}; expected FaceBoxes (FaceDetector.detect).")
        if image is not None and (not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0
                                  or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4))):
            raise ValueError(f"image has shape {getattr(image, 'shape', None)} and dtype "
                             f"{getattr(image, 'dtype', type(image).__name__)}; expected a uint8 frame "
                             f"(height, width, 3), (height, width, 4) or (height, width), or None.")

    @property
    def persons_seen(self) -> int:  # ids given so far: 0 .. persons_seen - 1
        return len(self._persons)

    def summary(self) -> "PersonsSummary":
        """The persons seen in the frames given so far (see PersonsSummary)."""
        seen = np.array(self._seen, dtype=np.float64).reshape(-1, 7)
        timestamps_s = np.array(self._timestamps_s)
        durations_s = _frame_durations(timestamps_s)
        persons = []
        for person in range(len(self._persons)):
            rows = seen[seen[:, 1] == person]
            positions = rows[:, 0].astype(int)
            boxes = rows[:, 3:7]
            median = np.median(boxes, axis=0)
            centres = boxes[:, :2] + boxes[:, 2:] / 2
            median_centre = median[:2] + median[2:] / 2
            # the representative frame: box nearest the median box, the detector's surest among equals
            nearness = np.hypot(*(centres - median_centre).T) + np.abs(boxes[:, 2:] - median[2:]).sum(axis=1)
            best = int(np.lexsort((-rows[:, 2], np.round(nearness, 1)))[0])
            share = len(positions) / len(timestamps_s)
            persons.append(PersonSummary(
                person=person, frames=len(positions), seconds_in_view=round(float(durations_s[positions].sum()), 3),
                share_of_frames=round(share, 4), median_box=tuple(int(round(value)) for value in median),
                thumbnail_s=float(timestamps_s[positions[best]]), thumbnail_frame=self._frame_indices[positions[best]],
                first_s=float(timestamps_s[positions[0]]), last_s=float(timestamps_s[positions[-1]]),
                in_view=share >= MEANINGFUL_SHARE))
        return PersonsSummary(frames_analysed=len(timestamps_s), persons=tuple(persons))


def _frame_durations(timestamps_s: np.ndarray) -> np.ndarray:
    """Seconds each analysed frame stands for: the step to the next one; the last frame gets the
    median step (a single frame: 0 s, as its length is unknown)."""
    if timestamps_s.size < 2:
        return np.zeros(timestamps_s.size)
    steps = np.diff(timestamps_s)
    return np.append(steps, np.median(steps))


@dataclass(frozen=True)
class PersonSummary:
    """One person of a video. seconds_in_view: the analysed frames' durations (the step to the
    next analysed frame) summed over the frames with this person. share_of_frames: in [0, 1] of
    the analysed frames. median_box: (x, y, width, height) in pixels, each the median over the
    person's frames. thumbnail_s, thumbnail_frame: the frame whose box is nearest the median box
    (a representative picture). in_view: share_of_frames >= MEANINGFUL_SHARE."""

    person: int
    frames: int
    seconds_in_view: float
    share_of_frames: float
    median_box: tuple[int, int, int, int]
    thumbnail_s: float
    thumbnail_frame: int
    first_s: float
    last_s: float
    in_view: bool


@dataclass(frozen=True)
class PersonsSummary:
    """Every person seen in a video, by id. status: "no_face" (no face in any analysed frame),
    "brief" (faces, but nobody in view for MEANINGFUL_SHARE of the frames), "one_person" or
    "several_persons" (that many persons in view)."""

    frames_analysed: int
    persons: tuple[PersonSummary, ...]

    @property
    def in_view(self) -> tuple[int, ...]:
        """Ids of the persons in view for a meaningful share of the analysed frames."""
        return tuple(person.person for person in self.persons if person.in_view)

    @property
    def status(self) -> str:
        if not self.persons:
            return "no_face"
        return ("brief", "one_person")[len(self.in_view)] if len(self.in_view) < 2 else "several_persons"

    def describe(self) -> str:
        """One sentence for the console and the report."""
        if self.status == "no_face":
            return f"no face in {self.frames_analysed} analysed frames."
        if self.status == "brief":
            most = max(self.persons, key=lambda person: person.frames)
            return (f"faces in too few frames: nobody in view for {MEANINGFUL_SHARE:.0%} of the "
                    f"{self.frames_analysed} analysed frames (the most, person {most.person}, in {most.frames}).")
        shown = ", ".join(f"person {person.person} ({person.seconds_in_view:.1f} s, {person.share_of_frames:.0%})"
                          for person in self.persons if person.in_view)
        others = len(self.persons) - len(self.in_view)
        tail = f"; {others} more seen briefly" if others else ""
        return f"{len(self.in_view)} {'person' if len(self.in_view) == 1 else 'persons'} in view: {shown}{tail}."
