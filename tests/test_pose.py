"""face/pose.py reads head pose with numpy alone: the same angles as SciPy's Rotation (the
reference it replaced, ~0.7 s of import in every analysing process) on random rotations, scaled
and noisy matrices, and at the edges (no turn, a half turn, gimbal lock)."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from expressiveness.face.pose import _FLIP, head_pose, head_rotation, nearest_rotation, rotation_angle_deg


def _reference(matrix):
    rotation = _FLIP @ Rotation.from_matrix(matrix).as_matrix() @ _FLIP
    yaw, pitch, roll = Rotation.from_matrix(rotation).as_euler("YXZ", degrees=True)
    return rotation, (-yaw, -pitch, -roll), np.degrees(Rotation.from_matrix(matrix).magnitude())


def test_angles_equal_scipys_on_random_scaled_and_noisy_matrices():
    rng = np.random.default_rng(7)
    for case in range(600):
        matrix = Rotation.random(random_state=int(rng.integers(2**31))).as_matrix() * rng.uniform(0.5, 2.0)
        if case % 2:
            matrix = matrix + rng.normal(0, 0.03, (3, 3))
        transform = np.eye(4)
        transform[:3, :3] = matrix
        rotation, angles, magnitude = _reference(matrix)
        np.testing.assert_allclose(head_rotation(transform), rotation, atol=1e-12)
        difference = np.abs(np.subtract(head_pose(transform), angles))
        assert np.minimum(difference, 360 - difference).max() < 1e-9
        assert rotation_angle_deg(matrix) == pytest.approx(magnitude, abs=1e-9)


def test_edges_no_turn_half_turn_and_gimbal_lock():
    assert head_pose(np.eye(4)) == (0.0, 0.0, 0.0)
    assert rotation_angle_deg(np.eye(3)) == 0.0
    assert rotation_angle_deg(np.diag([1.0, -1.0, -1.0])) == pytest.approx(180.0)
    assert rotation_angle_deg(Rotation.from_euler("x", 1e-6, degrees=True).as_matrix()) == pytest.approx(1e-6, rel=1e-6)
    locked = Rotation.from_euler("YXZ", [30.0, 90.0, 0.0], degrees=True).as_matrix()
    yaw, pitch, roll = head_pose(np.block([[_FLIP @ locked @ _FLIP, np.zeros((3, 1))], [np.zeros((1, 3)), 1.0]]))
    assert (yaw, pitch, roll) == pytest.approx((-30.0, -90.0, 0.0), abs=1e-6)
    np.testing.assert_allclose(nearest_rotation(2.5 * locked), locked, atol=1e-12)
