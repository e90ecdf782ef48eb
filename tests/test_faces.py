import math

import cv2
import numpy as np
import pytest

from expressiveness.face import FaceBox, FaceDetector, crop_face, select_face


@pytest.fixture(scope="module")
def detector():
    with FaceDetector() as face_detector:
        yield face_detector


def test_face_frame_gives_one_box_inside_the_frame(detector, face_frame):
    faces = detector.detect(face_frame)
    assert len(faces) == 1
    face = faces[0]
    height, width = face_frame.shape[:2]
    assert 0 <= face.x < face.x + face.width <= width and 0 <= face.y < face.y + face.height <= height
    assert face.score > 0.5 and face.width > 40
    assert len(face.keypoints) == 6
    right_eye, left_eye = face.keypoints[:2]
    assert face.x < right_eye[0] < left_eye[0] < face.x + face.width  # person's right eye on image left


def test_blank_frame_gives_empty_list(detector):
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_rgb_gray_and_bgra_inputs_find_the_same_face(face_frame):
    with FaceDetector(color_order="rgb") as rgb_detector:
        from_rgb = rgb_detector.detect(cv2.cvtColor(face_frame, cv2.COLOR_BGR2RGB))
    with FaceDetector() as bgr_detector:
        from_bgr = bgr_detector.detect(face_frame)
        from_bgra = bgr_detector.detect(cv2.cvtColor(face_frame, cv2.COLOR_BGR2BGRA))
        from_gray = bgr_detector.detect(cv2.cvtColor(face_frame, cv2.COLOR_BGR2GRAY))
    assert from_rgb[0].as_array().tolist() == from_bgr[0].as_array().tolist() == from_bgra[0].as_array().tolist()
    assert abs(from_gray[0].x - from_bgr[0].x) < 10


@pytest.mark.parametrize("bad", [np.zeros((480, 640, 2), np.uint8), np.zeros((480, 640, 3), np.float32),
                                 np.zeros(10, np.uint8)])
def test_wrong_frame_raises_with_expected_shape(detector, bad):
    with pytest.raises(ValueError) as caught:
        detector.detect(bad)
    assert str(caught.value) == (f"frame has shape {bad.shape} and dtype {bad.dtype}; expected a uint8 image of "
                                 f"shape (height, width, 3) BGR, (height, width, 4), or (height, width).")


def test_option_checks():
    with pytest.raises(ValueError, match=r"min_confidence is 1.5; expected a number in \[0.0, 1.0\]."):
        FaceDetector(min_confidence=1.5)
    with pytest.raises(TypeError):  # the bundle has one detector: there is no model to choose
        FaceDetector(model="short")


def test_crop_is_48x48_uint8_and_centred_on_the_face(detector, face_frame):
    face = detector.detect(face_frame)[0]
    crop = crop_face(face_frame, face)
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    assert crop.std() > 10  # a face, not a flat patch
    # The same crop found by the detector again: the face fills the crop.
    again = detector.detect(cv2.resize(crop, (192, 192)))
    assert again and again[0].width > 192 * 0.5


def test_face_at_the_frame_edge_still_gives_a_valid_crop(detector, face_frame):
    face = detector.detect(face_frame)[0]
    # Cut the frame through the middle of the face so the face touches the left border.
    shifted = np.ascontiguousarray(face_frame[:, face.x + face.width // 3:])
    edge_faces = detector.detect(shifted)
    assert edge_faces and edge_faces[0].x == 0
    face = edge_faces[0]
    crop = crop_face(shifted, face)
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    # The square of side 1.3 x the longer box side around the box centre, the columns left (and
    # right) of the frame filled with copies of its first (and last) column.
    side = round(max(face.width, face.height) * 1.3)
    x0, y0 = round(face.x + face.width / 2 - side / 2), round(face.y + face.height / 2 - side / 2)
    assert x0 < 0 <= y0 and y0 + side <= shifted.shape[0]
    gray = cv2.cvtColor(shifted, cv2.COLOR_BGR2GRAY)[y0:y0 + side, :x0 + side]
    right_pad = max(0, x0 + side - shifted.shape[1])
    expected = cv2.resize(np.pad(gray, ((0, 0), (-x0, right_pad)), mode="edge"), (48, 48),
                          interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crop, expected)


def _eye_angle_deg(face: FaceBox) -> float:
    (right_x, right_y), (left_x, left_y) = face.keypoints[:2]
    return math.degrees(math.atan2(left_y - right_y, left_x - right_x))


@pytest.mark.parametrize("tilt_deg", [-25, 25])
def test_alignment_levels_the_eyes_of_a_tilted_head(detector, face_frame, tilt_deg):
    face = detector.detect(face_frame)[0]
    rotation = cv2.getRotationMatrix2D(face.center, tilt_deg, 1.0)
    tilted_frame = cv2.warpAffine(face_frame, rotation, (face_frame.shape[1], face_frame.shape[0]),
                                  borderMode=cv2.BORDER_REPLICATE)
    tilted = detector.detect(tilted_frame)[0]
    angles = {}
    for align in (False, True):
        crop = crop_face(tilted_frame, tilted, align=align)
        found = detector.detect(cv2.resize(crop, (192, 192), interpolation=cv2.INTER_CUBIC))
        assert found, f"no face found again in the crop with align={align}"
        angles[align] = _eye_angle_deg(found[0])
    assert abs(angles[False]) > 15
    assert abs(angles[True]) < 8


def test_select_face():
    small = FaceBox(0, 0, 10, 10, 0.99, ((0, 0),) * 6)
    big_off_centre = FaceBox(0, 0, 50, 50, 0.6, ((0, 0),) * 6)
    central = FaceBox(280, 200, 30, 30, 0.7, ((0, 0),) * 6)
    faces = [small, big_off_centre, central]
    assert select_face(faces, (480, 640, 3)) is big_off_centre
    assert select_face(faces, (480, 640, 3), "most_confident") is small
    assert select_face(faces, (480, 640, 3), "most_central") is central
    assert select_face([], (480, 640, 3)) is None
    with pytest.raises(ValueError, match="face selection is 'tallest'; expected one of largest"):
        select_face(faces, (480, 640, 3), "tallest")
