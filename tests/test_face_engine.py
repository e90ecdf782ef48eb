"""The Tasks face engine on real demo footage: landmarks, blendshapes, the head-pose matrix, the
detector's subject, timestamps, fresh tracking per video, and the matrix's pose against the
landmark estimate."""

import numpy as np
import pytest

from expressiveness.face import (BLENDSHAPE_NAMES, LANDMARK_COUNT, FaceBox, FaceDetector, FaceLandmarker, head_pose,
                                 rotation_angles)
from conftest import landmark_rotation, rotation_matrix
from expressiveness.measures.geometry import inter_ocular_distance
from expressiveness.video import iter_frames


@pytest.fixture(scope="module")
def image_landmarker():
    with FaceLandmarker(tracking="image", max_faces=2) as landmarker:
        yield landmarker


def test_landmarks_blendshapes_and_matrix_of_a_real_face(image_landmarker, face_frame):
    face = image_landmarker.landmarks(face_frame)
    assert face.points.shape == (LANDMARK_COUNT, 3) == (478, 3) and face.points.dtype == np.float32
    height, width = face_frame.shape[:2]
    assert 0 <= face.points[:, 0].min() and face.points[:, 0].max() < width
    assert 0 <= face.points[:, 1].min() and face.points[:, 1].max() < height
    assert 60 < inter_ocular_distance(face.points) < 120  # the face is about 220 px wide
    nose_tip, right_cheek = 4, 234
    assert face.points[nose_tip, 2] < face.points[right_cheek, 2]  # z: the nose is closer to the camera
    assert face.blendshapes.shape == (52,) == (len(BLENDSHAPE_NAMES),)
    assert ((0 <= face.blendshapes) & (face.blendshapes <= 1)).all() and face.blendshapes.max() > 0.2
    assert face.transform.shape == (4, 4)
    np.testing.assert_allclose(face.transform[3], [0, 0, 0, 1], atol=1e-6)
    assert -60 < face.transform[2, 3] < -10  # the face is some 10-60 cm in front of the camera


def test_landmarks_match_the_detectors_subject(image_landmarker, face_frame):
    two_faces = face_frame.copy()
    two_faces[:, :320] = face_frame[:, ::-1][:, :320]  # a mirrored copy of the face on the left
    with FaceDetector() as detector:
        boxes = detector.detect(two_faces)
    assert len(boxes) == 2 and len(image_landmarker.detect(two_faces)) == 2
    for box in boxes:
        assert abs(image_landmarker.landmarks(two_faces, box).points[:, 0].mean() - box.center[0]) < 30
    elsewhere = FaceBox(0, 0, 60, 60, 0.9, ((0.0, 0.0),) * 6)
    assert image_landmarker.landmarks(two_faces, elsewhere) is None


def test_a_reading_converts_once_and_picks_the_subject_like_landmarks(image_landmarker, face_frame):
    """read() returns MediaPipe's answer unconverted (the frame engine converts it in another
    thread); its faces equal detect()'s, are converted once, and face_of picks as landmarks does."""
    two_faces = face_frame.copy()
    two_faces[:, :320] = face_frame[:, ::-1][:, :320]
    with FaceDetector() as detector:
        boxes = detector.detect(two_faces)
    reading = image_landmarker.read(two_faces)
    faces = reading.faces()
    assert reading.faces() is faces and len(faces) == 2  # converted once, then kept
    for face, expected in zip(faces, image_landmarker.detect(two_faces)):
        np.testing.assert_array_equal(face.points, expected.points)
        np.testing.assert_array_equal(face.blendshapes, expected.blendshapes)
    for box in boxes:
        np.testing.assert_array_equal(reading.face_of(box).points, image_landmarker.landmarks(two_faces, box).points)
    assert reading.face_of(FaceBox(0, 0, 60, 60, 0.9, ((0.0, 0.0),) * 6)) is None


def test_image_mode_reads_each_frame_on_its_own_across_resets(demo_dir):
    """In image mode reset() keeps MediaPipe's graph (a new one costs peak memory): a frame's
    landmarks are the same read first, after other videos' frames, and after a reset."""
    clip = [frame.image for frame in iter_frames(demo_dir / "videos" / "vid_0005.mp4")][:4]
    other = [frame.image for frame in iter_frames(demo_dir / "videos" / "vid_0013.mp4")][:6]
    with FaceLandmarker(tracking="image") as landmarker:
        first = [landmarker.landmarks(image) for image in clip]
        for image in other:
            landmarker.landmarks(image)
        landmarker.reset()
        again = [landmarker.landmarks(image) for image in clip]
    for one, two in zip(first, again):
        np.testing.assert_array_equal(one.points, two.points)
        np.testing.assert_array_equal(one.blendshapes, two.blendshapes)


def test_blank_frame_has_no_landmarks(image_landmarker):
    blank = np.zeros((480, 640, 3), dtype=np.uint8)
    assert image_landmarker.detect(blank) == [] and image_landmarker.landmarks(blank) is None


def test_mirrored_face_flips_yaw_and_roll_not_pitch(image_landmarker, face_frame):
    yaw, pitch, roll = head_pose(image_landmarker.landmarks(face_frame).transform)
    mirrored_yaw, mirrored_pitch, mirrored_roll = head_pose(
        image_landmarker.landmarks(face_frame[:, ::-1].copy()).transform)
    assert abs(yaw) > 5 and abs(roll) > 2  # the face is turned and tilted, so the sign test means something
    assert mirrored_yaw == pytest.approx(-yaw, abs=3)
    assert mirrored_roll == pytest.approx(-roll, abs=3)
    assert mirrored_pitch == pytest.approx(pitch, abs=3)


@pytest.mark.parametrize("angles", [(0, 0, 0), (30, 0, 0), (0, -20, 0), (0, 0, 25), (-35, 15, -10), (60, -40, 70)])
def test_rotation_angles_invert_rotation_matrix(angles):
    np.testing.assert_allclose(rotation_angles(rotation_matrix(*angles)), angles, atol=1e-9)


def test_matrix_pose_agrees_with_the_landmark_estimate_on_real_talk(demo_dir):
    """Measured on demo clips 1-12 (472 frames): correlation 0.996-0.997 per angle; median
    difference 3.7 degrees of yaw (the matrix models perspective: the face sits right of the
    image centre), 1.1 of pitch, 0.6 of roll."""
    from_matrix, from_landmarks = [], []
    with FaceLandmarker(tracking="image") as landmarker:
        for number in range(1, 13):
            for frame in iter_frames(demo_dir / "videos" / f"vid_{number:04d}.mp4"):
                face = landmarker.landmarks(frame.image)
                from_matrix.append(head_pose(face.transform))
                from_landmarks.append(rotation_angles(landmark_rotation(face.points)))
    from_matrix, from_landmarks = np.array(from_matrix), np.array(from_landmarks)
    for axis, largest_median_gap in zip(range(3), (6.0, 3.0, 2.0)):
        assert np.corrcoef(from_matrix[:, axis], from_landmarks[:, axis])[0, 1] > 0.98
        assert np.median(np.abs(from_matrix[:, axis] - from_landmarks[:, axis])) < largest_median_gap


def tracked(landmarker, frames, timestamps):
    return [landmarker.landmarks(image, None, timestamp_s) for image, timestamp_s in zip(frames, timestamps)]


def test_video_mode_takes_repeated_and_backward_timestamps(face_frame):
    with FaceLandmarker(tracking="video") as landmarker:
        faces = tracked(landmarker, [face_frame] * 6, [0.0, 0.033, 0.033, 0.010, float("nan"), 0.2])
    assert all(face is not None for face in faces)


def test_reset_gives_a_fresh_tracking_state(demo_dir):
    clip = [frame.image for frame in iter_frames(demo_dir / "videos" / "vid_0005.mp4")][:10]
    other = [frame.image for frame in iter_frames(demo_dir / "videos" / "vid_0013.mp4")][:10]
    times = [index / 30 for index in range(10)]
    with FaceLandmarker(tracking="video") as landmarker:
        fresh = tracked(landmarker, clip, times)
        landmarker.reset()
        tracked(landmarker, other, times)
        landmarker.reset()
        after_another = tracked(landmarker, clip, times)
    for first, second in zip(fresh, after_another):
        np.testing.assert_array_equal(first.points, second.points)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match=r"^max_faces is 0; expected a whole number >= 1\.$"):
        FaceLandmarker(max_faces=0)
    with pytest.raises(ValueError, match=r"^min_confidence is 1\.5; expected a number in \[0\.0, 1\.0\]\.$"):
        FaceLandmarker(min_confidence=1.5)
    with pytest.raises(ValueError, match=r'^tracking is \'live\'; expected "video" or "image"\.$'):
        FaceLandmarker(tracking="live")
    with pytest.raises(ValueError, match=r'^color_order is \'BGR\'; expected "bgr" or "rgb"\.$'):
        FaceLandmarker(color_order="BGR")
    landmarker = FaceLandmarker()
    landmarker.close()
    with pytest.raises(ValueError, match=r"^this FaceLandmarker is closed; create a new one\.$"):
        landmarker.detect(np.zeros((10, 10, 3), dtype=np.uint8))
