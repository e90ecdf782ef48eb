"""face/persons.py on real footage through the real FaceDetector (clips: tests/persons_footage.py).

Tiles are 200 px wide, so a face's side or tile is its centre's x // 200. W is the woman, M the
man, P the third person (a panned still). "Ids follow the people" means: within a video a person
keeps the id it got when first seen, wherever it moves (sides swapped mid-video, a gallery
rearranged), from the first frame of the change on (the changes come at 2.2 s, between two of
the tracker's periodic looks, so that its cut test is what must catch them). Ids are numbered
per video by first appearance, left to right: across two videos the same person is found by
its look (face_appearance), not by its id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from expressiveness.face import FaceBox, FaceDetector
from expressiveness.face.persons import (APPEARANCE_MAX_DISTANCE, MEANINGFUL_SHARE, PersonTracker,
                                         appearance_distance, face_appearance)
from expressiveness.video import iter_frames
from persons_footage import TILE, crowd_video, few_faces_video, tiled_video

TILE_WIDTH = TILE[0]


@dataclass
class Tracked:
    """One clip through the detector and two trackers: with appearance, and by position only."""

    times_s: list = field(default_factory=list)
    faces: list = field(default_factory=list)  # per frame: [(person, tile, FaceBox)] with appearance
    position_only: list = field(default_factory=list)  # per frame: [(person, tile)] by position only
    looks: dict = field(default_factory=dict)  # person -> mean look
    tracker: PersonTracker | None = None

    def tiles_of(self, person: int, start_s: float = 0.0, stop_s: float = np.inf, faces=None) -> set:
        rows = self.faces if faces is None else faces
        return {tile for time_s, frame in zip(self.times_s, rows) if start_s <= time_s < stop_s
                for who, tile, *_ in frame if who == person}


@pytest.fixture(scope="module")
def detector():
    with FaceDetector() as face_detector:
        yield face_detector


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    return tmp_path_factory.mktemp("persons_footage")


def track(detector, path) -> Tracked:
    tracked, tracker, by_position = Tracked(), PersonTracker(), PersonTracker(appearance=False)
    looks: dict = {}
    for frame in iter_frames(path):
        faces = detector.detect(frame.image)
        persons = tracker.update(frame.index, frame.timestamp_s, faces, frame.image)
        tiles = [int(face.center[0] // TILE_WIDTH) for face in faces]
        tracked.times_s.append(frame.timestamp_s)
        tracked.faces.append(list(zip(persons, tiles, faces)))
        tracked.position_only.append(list(zip(by_position.update(frame.index, frame.timestamp_s, faces), tiles)))
        for person, face in zip(persons, faces):
            looks.setdefault(person, []).append(face_appearance(frame.image, face))
    tracked.looks = {person: np.mean(values, axis=0) for person, values in looks.items()}
    tracked.tracker = tracker
    return tracked


@pytest.fixture(scope="module")
def side_by_side(detector, footage):
    return track(detector, tiled_video(footage, footage / "side.mp4", [(4.0, ("W", "M"))]))


def test_side_by_side_ids_never_switch_and_stay_on_their_side(side_by_side):
    assert all(len(frame) == 2 for frame in side_by_side.faces)
    assert side_by_side.tiles_of(0) == {0} and side_by_side.tiles_of(1) == {1}
    summary = side_by_side.tracker.summary()
    assert summary.status == "several_persons" and summary.in_view == (0, 1)
    for person in summary.persons:
        assert person.frames == summary.frames_analysed == 100 and person.share_of_frames == 1.0
        assert person.seconds_in_view == pytest.approx(4.0, abs=0.05)
        x, _, width, _ = person.median_box
        assert (x + width / 2) // TILE_WIDTH == person.person
        assert 0.0 <= person.thumbnail_s < 4.0 and person.thumbnail_frame == round(person.thumbnail_s * 25)
    assert summary.describe() == "2 persons in view: person 0 (4.0 s, 100%), person 1 (4.0 s, 100%)."


def test_swapped_video_numbers_left_to_right_and_the_looks_follow_the_people(detector, footage, side_by_side):
    swapped = track(detector, tiled_video(footage, footage / "swapped.mp4", [(4.0, ("M", "W"))]))
    assert swapped.tiles_of(0) == {0} and swapped.tiles_of(1) == {1}  # M, first on the left, is now person 0
    for person, other in ((0, 1), (1, 0)):
        assert appearance_distance(swapped.looks[person], side_by_side.looks[other]) < APPEARANCE_MAX_DISTANCE
        assert appearance_distance(swapped.looks[person], side_by_side.looks[person]) > APPEARANCE_MAX_DISTANCE


def test_sides_swapped_mid_video_ids_follow_the_people(detector, footage):
    swapped = track(detector, tiled_video(footage, footage / "swap_mid.mp4", [(2.2, ("W", "M")), (1.8, ("M", "W"))]))
    assert swapped.tracker.persons_seen == 2
    assert swapped.tiles_of(0, 0, 2.2) == {0} and swapped.tiles_of(0, 2.2) == {1}  # W moved to the right
    assert swapped.tiles_of(1, 0, 2.2) == {1} and swapped.tiles_of(1, 2.2) == {0}
    # position alone cannot see the swap: the ids stay with the sides (what appearance is for)
    assert swapped.tiles_of(0, 2.2, faces=swapped.position_only) == {0}


def test_a_person_who_leaves_and_returns_keeps_the_id(detector, footage):
    leaving = track(detector, tiled_video(footage, footage / "leave.mp4", [(6.0, ("W", "M_leaving"))]))
    assert leaving.tiles_of(1, 0, 2.2) == {1} and leaving.tiles_of(1, 4.5) == {1}  # before and after
    assert not any(tile == 1 for time_s, frame in zip(leaving.times_s, leaving.faces) if 2.6 <= time_s < 3.6
                   for _, tile, _ in frame)  # he was out of the picture
    assert leaving.tiles_of(0) == {0}
    assert leaving.tiles_of(1, 4.5, faces=leaving.position_only) == {1}  # position alone re-links him too
    summary = leaving.tracker.summary()
    assert summary.in_view == (0, 1) and summary.status == "several_persons"
    assert 3.0 < summary.persons[1].seconds_in_view < summary.persons[0].seconds_in_view == pytest.approx(6.0, abs=0.05)
    # a half face seen while he walks in, if the detector finds one, stays a brief person of its own
    assert all(not person.in_view for person in summary.persons[2:])


def test_gallery_whose_layout_changes_keeps_the_ids(detector, footage):
    gallery = track(detector, tiled_video(footage, footage / "gallery.mp4",
                                          [(2.2, ("W", "M", "P")), (1.8, ("P", "W", "M"))]))
    assert all(len(frame) == 3 for frame in gallery.faces) and gallery.tracker.persons_seen == 3
    assert [gallery.tiles_of(person, 0, 2.2) for person in range(3)] == [{0}, {1}, {2}]
    assert [gallery.tiles_of(person, 2.2) for person in range(3)] == [{1}, {2}, {0}]
    assert [gallery.tiles_of(person, 2.2, faces=gallery.position_only) for person in range(3)] == [{0}, {1}, {2}]


def test_crowd_of_small_faces_gets_one_id_each(detector, footage):
    crowd = track(detector, crowd_video(footage, footage / "crowd.mp4"))
    most = max(len(frame) for frame in crowd.faces)
    assert most >= 8  # ten faces of about 60-110 px; the short-range detector misses one or two
    summary = crowd.tracker.summary()
    assert crowd.tracker.persons_seen == most and len(summary.in_view) == most  # nobody renumbered
    assert all(len({person for person, *_ in frame}) == len(frame) for frame in crowd.faces)
    assert summary.describe().startswith(f"{most} persons in view: person 0 (2.0 s, 100%)")


def test_faces_in_only_a_few_frames_are_reported_as_brief(detector, footage):
    few = track(detector, few_faces_video(footage, footage / "few.mp4"))
    summary = few.tracker.summary()
    assert summary.status == "brief" and summary.in_view == ()
    assert summary.persons[0].frames == 3 and summary.persons[0].share_of_frames < MEANINGFUL_SHARE
    assert summary.describe() == (f"faces in too few frames: nobody in view for 10% of the {summary.frames_analysed} "
                                  f"analysed frames (the most, person 0, in 3).")


def test_no_face_at_all():
    tracker = PersonTracker()
    for index in range(5):
        assert tracker.update(index, index / 25, [], np.zeros((48, 64, 3), np.uint8)) == []
    summary = tracker.summary()
    assert (summary.status, summary.persons, summary.in_view) == ("no_face", (), ())
    assert summary.describe() == "no face in 5 analysed frames."
    assert PersonTracker().summary().describe() == "no face in 0 analysed frames."


FACE = FaceBox(10, 10, 20, 20, 0.9, ((0.0, 0.0),) * 6)


@pytest.mark.parametrize("call, message", [
    (lambda tracker: tracker.update(3, 0.2, []),
     "frame_index is 3 after frame 5; expected frames in increasing order (one PersonTracker per video)."),
    (lambda tracker: tracker.update(6, 0.1, []), "timestamp_s is 0.1 after 0.2; expected increasing times."),
    (lambda tracker: tracker.update(6, float("nan"), []), "timestamp_s is nan; expected a finite number of seconds."),
    (lambda tracker: tracker.update(6, 0.3, [(10, 10, 20, 20)]),
     "faces holds tuple; expected FaceBoxes (FaceDetector.detect)."),
    (lambda tracker: tracker.update(6, 0.3, [FACE], np.zeros((48, 64, 3), np.float32)),
     "image has shape (48, 64, 3) and dtype float32; expected a uint8 frame (height, width, 3), "
     "(height, width, 4) or (height, width), or None."),
])
def test_bad_input_is_refused_with_the_requirement(call, message):
    tracker = PersonTracker()
    tracker.update(5, 0.2, [FACE])
    with pytest.raises(ValueError) as raised:
        call(tracker)
    assert str(raised.value) == message
