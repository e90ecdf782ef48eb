"""Face mesh, head pose and similarity alignment: real MediaPipe on real demo footage, exact math on
synthetic points."""

import math

import numpy as np
import pytest

from expressiveness.faces import FaceBox, FaceDetector, _import_mediapipe
from expressiveness.landmarks import (BASIS_INDICES, CANONICAL_BASIS, LANDMARK_COUNT, REGIONS, FaceMesh,
                                      check_landmarks, head_pose, head_rotation, inter_ocular_distance,
                                      rotation_angles, rotation_matrix, similarity_align, similarity_transform)


def random_rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def test_similarity_transform_undoes_a_known_transform_exactly():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(50, 3))
    rotation, scale, translation = random_rotation(rng), 1.7, np.array([3.0, -2.0, 0.5])
    target = scale * source @ rotation.T + translation
    found_scale, found_rotation, found_translation = similarity_transform(source, target)
    assert found_scale == pytest.approx(scale, abs=1e-12)
    np.testing.assert_allclose(found_rotation, rotation, atol=1e-12)
    np.testing.assert_allclose(found_translation, translation, atol=1e-12)
    np.testing.assert_allclose(similarity_align(source, target), target, atol=1e-12)
    # Fitted on a subset, with weights: the other points follow, even when the target moved them.
    moved = target.copy()
    moved[40:] += 5.0
    aligned = similarity_align(source, moved, weights=np.arange(1.0, 41.0), indices=range(40))
    np.testing.assert_allclose(aligned, target, atol=1e-12)


def test_similarity_transform_never_reflects():
    rng = np.random.default_rng(1)
    source = rng.normal(size=(30, 3))
    mirrored = source * np.array([-1.0, 1.0, 1.0])
    _, rotation, _ = similarity_transform(source, mirrored)
    assert np.linalg.det(rotation) == pytest.approx(1.0)


def test_similarity_transform_rejects_bad_shapes_and_weights():
    points = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"^source has shape \(5, 3\) and target \(4, 3\); expected two \(N, 3\) "
                                         r"arrays of the same shape with N >= 3\.$"):
        similarity_transform(points, points[:4])
    with pytest.raises(ValueError, match=r"^weights have shape \(2,\); expected 5 non-negative numbers"):
        similarity_transform(points + np.arange(15).reshape(5, 3), points, weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="^the weighted source points all coincide"):
        similarity_transform(points, points)


@pytest.mark.parametrize("angles", [(0, 0, 0), (30, 0, 0), (0, -20, 0), (0, 0, 25), (-35, 15, -10), (60, -40, 70)])
def test_rotation_angles_invert_rotation_matrix(angles):
    np.testing.assert_allclose(rotation_angles(rotation_matrix(*angles)), angles, atol=1e-9)


def canonical_face(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """468 landmarks whose Procrustes basis is MediaPipe's canonical face turned by these angles,
    scaled to pixels and placed in a 640x480 frame."""
    points = np.zeros((LANDMARK_COUNT, 3))
    points[list(BASIS_INDICES)] = 12.0 * CANONICAL_BASIS @ rotation_matrix(yaw, pitch, roll).T + [320, 240, 0]
    return points


def test_head_pose_of_the_turned_canonical_face_and_its_sign_convention():
    np.testing.assert_allclose(head_pose(canonical_face(20, -10, 5)), (20, -10, 5), atol=1e-9)
    turned = canonical_face(20, 0, 0)
    nose_tip, right_eye_corner = 4, 33
    assert turned[nose_tip, 0] > 320  # yaw > 0: the nose points to the image's right
    raised = canonical_face(0, 20, 0)
    assert raised[nose_tip, 1] < canonical_face(0, 0, 0)[nose_tip, 1]  # pitch > 0: the nose points up
    tilted = canonical_face(0, 0, 20)
    assert tilted[right_eye_corner, 1] > canonical_face(0, 0, 0)[right_eye_corner, 1]  # roll > 0: counterclockwise


def test_regions_are_the_mediapipe_connection_vertices_and_disjoint():
    connections = _import_mediapipe().solutions.face_mesh_connections

    def vertices(*sets):
        return tuple(sorted({index for edges in sets for edge in edges for index in edge}))

    assert REGIONS["brows"] == vertices(connections.FACEMESH_RIGHT_EYEBROW, connections.FACEMESH_LEFT_EYEBROW)
    assert REGIONS["eyes"] == vertices(connections.FACEMESH_RIGHT_EYE, connections.FACEMESH_LEFT_EYE)
    assert REGIONS["mouth"] == vertices(connections.FACEMESH_LIPS)
    for indices in REGIONS.values():
        assert indices and all(0 <= index < LANDMARK_COUNT for index in indices)
    assert not set(REGIONS["brows"]) & set(REGIONS["eyes"])
    assert not set(REGIONS["eyes"]) & set(REGIONS["mouth"])
    assert not set(REGIONS["brows"]) & set(REGIONS["mouth"])
    assert len(set(BASIS_INDICES)) == len(BASIS_INDICES) == 33
    assert not set(BASIS_INDICES) & (set(REGIONS["mouth"]) | set(REGIONS["brows"]))


def test_canonical_basis_is_mirror_symmetric():
    mirrored = CANONICAL_BASIS * [-1, 1, 1]
    for point in mirrored:
        assert np.abs(CANONICAL_BASIS - point).sum(axis=1).min() < 1e-9


def test_face_mesh_finds_the_face_in_pixels(face_frame):
    with FaceMesh(static_image_mode=True) as mesh:
        points = mesh.landmarks(face_frame)
    assert points.shape == (LANDMARK_COUNT, 3) and points.dtype == np.float32
    height, width = face_frame.shape[:2]
    assert 0 <= points[:, 0].min() and points[:, 0].max() < width
    assert 0 <= points[:, 1].min() and points[:, 1].max() < height
    # The face in this frame is about 220 px wide: eyes some 80-100 px apart.
    assert 60 < inter_ocular_distance(points) < 120
    nose_tip, right_cheek = 4, 234
    assert points[nose_tip, 2] < points[right_cheek, 2]  # z: the nose is closer to the camera


def test_face_mesh_matches_the_detectors_subject(face_frame):
    two_faces = face_frame.copy()
    two_faces[:, :320] = face_frame[:, ::-1][:, :320]  # a mirrored copy of the face on the left
    with FaceDetector() as detector, FaceMesh(static_image_mode=True) as mesh:
        boxes = detector.detect(two_faces)
        assert len(boxes) == 2 and len(mesh.detect(two_faces)) == 2
        for box in boxes:
            points = mesh.landmarks(two_faces, box)
            assert abs(points[:, 0].mean() - box.center[0]) < 30
        elsewhere = FaceBox(0, 0, 60, 60, 0.9, ((0.0, 0.0),) * 6)
        assert mesh.landmarks(two_faces, elsewhere) is None


def test_blank_frame_has_no_landmarks():
    blank = np.zeros((480, 640, 3), dtype=np.uint8)
    with FaceMesh(static_image_mode=True) as mesh:
        assert mesh.detect(blank) == []
        assert mesh.landmarks(blank) is None


def test_mirrored_face_flips_yaw_and_roll_not_pitch(face_frame):
    with FaceMesh(static_image_mode=True) as mesh:
        yaw, pitch, roll = head_pose(mesh.landmarks(face_frame))
        mirrored_yaw, mirrored_pitch, mirrored_roll = head_pose(mesh.landmarks(face_frame[:, ::-1].copy()))
    assert abs(yaw) > 5 and abs(roll) > 2  # the face is turned and tilted, so the sign test means something
    assert mirrored_yaw == pytest.approx(-yaw, abs=2)
    assert mirrored_roll == pytest.approx(-roll, abs=2)
    assert mirrored_pitch == pytest.approx(pitch, abs=2)


def test_head_rotation_is_a_rotation(face_frame):
    with FaceMesh(static_image_mode=True) as mesh:
        rotation = head_rotation(mesh.landmarks(face_frame))
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-9)
    assert math.isclose(np.linalg.det(rotation), 1.0, abs_tol=1e-9)


def test_bad_options_and_landmarks_are_named():
    with pytest.raises(ValueError, match=r"^max_faces is 0; expected a whole number >= 1\.$"):
        FaceMesh(max_faces=0)
    with pytest.raises(ValueError, match=r"^min_tracking_confidence is 1\.5; expected a number in \[0\.0, 1\.0\]\.$"):
        FaceMesh(min_tracking_confidence=1.5)
    with pytest.raises(ValueError, match=r'^color_order is \'BGR\'; expected "bgr" or "rgb"\.$'):
        FaceMesh(color_order="BGR")
    with pytest.raises(ValueError, match=r"^landmarks have shape \(68, 2\) and dtype float64; expected finite "
                                         r"numbers of shape \(468, 3\), as FaceMesh\.landmarks returns\.$"):
        check_landmarks(np.zeros((68, 2)))
    mesh = FaceMesh()
    mesh.close()
    with pytest.raises(ValueError, match=r"^this FaceMesh is closed; create a new one\.$"):
        mesh.detect(np.zeros((10, 10, 3), dtype=np.uint8))
