"""The face engine's bad and unusual inputs through the batch (issue 23): a one-frame video, a 4K
video, two faces (the largest is the candidate; the table counts both) and a good clip, in one
folder, with the real engine; and a face model that is not a face bundle."""

import cv2
import numpy as np
import pandas as pd
import pytest

from expressiveness.face import BLENDSHAPE_COLUMNS
from expressiveness.pipeline.run import analyze_paths


def write_video(path, frames, fps=30.0):
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def unusual_folder(demo_dir, face_frame, tmp_path_factory):
    folder = tmp_path_factory.mktemp("unusual")
    write_video(folder / "one_frame.mp4", [face_frame])
    uhd = np.zeros((2160, 3840, 3), np.uint8)  # 4K UHD; the frame scaled 4.5x, its aspect kept
    uhd[:, 480:3360] = cv2.resize(face_frame, (2880, 2160), interpolation=cv2.INTER_CUBIC)
    write_video(folder / "uhd.mp4", [uhd] * 3)
    small = cv2.resize(face_frame, (480, 360), interpolation=cv2.INTER_AREA)
    two = np.zeros((480, 1120, 3), np.uint8)
    two[:, :640], two[:360, 640:] = face_frame, small  # the same person, once at three quarters the size
    write_video(folder / "two_faces.mp4", [two] * 5)
    (folder / "good.mp4").symlink_to(demo_dir / "videos" / "vid_0002.mp4")
    out = tmp_path_factory.mktemp("unusual_out")
    report = analyze_paths([folder], None, out, workers=1, progress=False)
    return report, out


def test_every_unusual_video_is_analysed_with_faces(unusual_folder):
    report, out = unusual_folder
    assert report.failures == [] and len(report.analyzed) == 4
    for name, rows in (("one_frame", 1), ("uhd", 3), ("two_faces", 5)):
        table = pd.read_csv(out / f"{name}_frames.csv")
        assert len(table) == rows and (table["success"] == 1).all(), name
        scores = table[list(BLENDSHAPE_COLUMNS)]
        assert scores.notna().all().all() and ((scores >= 0) & (scores <= 1)).all().all(), name


def test_with_two_faces_the_largest_is_the_candidate_and_both_are_counted(unusual_folder):
    _, out = unusual_folder
    table = pd.read_csv(out / "two_faces_frames.csv")
    assert (table["faces"] == 2).all()
    assert (table["face_x"] < 640).all() and (table["face_width"] > 150).all()  # the large face, on the left
    assert table["expressivity"].notna().all()  # its landmarks, not the small face's


def test_a_4k_frame_gives_the_box_of_the_same_face_scaled(unusual_folder, face_frame):
    _, out = unusual_folder
    uhd = pd.read_csv(out / "uhd_frames.csv").iloc[0]
    one = pd.read_csv(out / "one_frame_frames.csv").iloc[0]
    assert uhd["face_width"] == pytest.approx(4.5 * one["face_width"], rel=0.05)
    assert uhd["face_x"] == pytest.approx(480 + 4.5 * one["face_x"], rel=0.05)
    assert uhd["head_roll_deg"] == pytest.approx(one["head_roll_deg"], abs=2)
