import json

import cv2
import pytest

from expressiveness.config import LABELS
from expressiveness.data.demo_data import CLIPS, DemoDataError, build_demo_dataset
from expressiveness.face import FaceDetector
from expressiveness.data.metadata import REQUIRED_FIELDS, load_metadata
from expressiveness.data.levels import expressiveness_levels, participant_split
from expressiveness.video import iter_frames, probe_video

from conftest import make_record, write_jsonl


def test_demo_metadata_parses_in_the_recruitview_format(demo_dir):
    frame = load_metadata(demo_dir / "metadata.jsonl")
    assert len(frame) == len(CLIPS) == 19
    raw = json.loads((demo_dir / "metadata.jsonl").read_text().splitlines()[0])
    assert set(REQUIRED_FIELDS) | {"transcript", "gemini_summary"} == set(raw)
    assert frame["user_no"].nunique() == 8
    # The synthetic scores give every level, and a participant split is possible.
    assert set(expressiveness_levels(frame["facial_expression"])) == set(LABELS)
    split = participant_split(frame)
    assert set(split) == {"train", "validation", "test"}
    assert "not human ratings" in (demo_dir / "README.md").read_text()


def test_the_demo_metadata_is_known_as_synthetic_wherever_it_is(demo_dir, tmp_path):
    """Issue 33: a model card records whether its labels were the demo's synthetic ones."""
    from expressiveness.data.demo_data import training_data_record
    from expressiveness.data.demo_data import is_demo_metadata

    demo = demo_dir / "metadata.jsonl"
    assert is_demo_metadata(demo)  # the builder's marker vouches for it
    lines = demo.read_text().splitlines()
    subset = write_jsonl(tmp_path / "subset" / "metadata.jsonl", lines[:5])  # copied elsewhere, no marker
    assert is_demo_metadata(subset)
    mixed = write_jsonl(tmp_path / "mixed.jsonl", lines[:5] + [json.dumps(make_record(40))])
    assert not is_demo_metadata(mixed)  # one record is not the builder's: real ratings may be in it
    assert not is_demo_metadata(write_jsonl(tmp_path / "real.jsonl", [make_record(1), make_record(2)]))
    assert not is_demo_metadata(tmp_path / "absent.jsonl")
    assert training_data_record(subset)["demo"] is True and training_data_record(mixed)["demo"] is False
    with pytest.raises(FileNotFoundError) as caught:
        training_data_record(tmp_path / "absent.jsonl")
    assert str(caught.value) == (f"{tmp_path / 'absent.jsonl'}: metadata file not found; expected the "
                                 f"metadata.jsonl the model is trained on.")


def test_demo_videos_are_real_footage_with_faces(demo_dir):
    frame = load_metadata(demo_dir / "metadata.jsonl")
    with FaceDetector() as detector:
        for record in frame.itertuples():
            info = probe_video(record.video_path)
            assert (info.width, info.height) == (640, 480) and info.frame_count >= 32
            middle = next(iter(iter_frames(record.video_path, [info.frame_count // 2]))).image
            faces = detector.detect(middle)
            if record.id == "0019":
                assert faces == [], "the no-face clip should have no face"
            elif record.id not in ("0016", "0017"):  # face leaves / enters the frame there
                assert len(faces) == 1 and faces[0].score > 0.5, f"clip {record.id} has no face mid-clip"
    capture = cv2.VideoCapture(str(demo_dir / "videos" / "vid_0016.mp4"))
    assert capture.isOpened()
    capture.release()


def test_rebuilding_is_idempotent(demo_dir):
    stamps = {path: path.stat().st_mtime_ns for path in demo_dir.rglob("*") if path.is_file()}
    text = (demo_dir / "metadata.jsonl").read_text()
    result = build_demo_dataset(demo_dir)
    assert result.built is False
    assert {path: path.stat().st_mtime_ns for path in demo_dir.rglob("*") if path.is_file()} == stamps
    assert (demo_dir / "metadata.jsonl").read_text() == text


def test_a_real_data_set_is_never_overwritten(tmp_path):
    folder = tmp_path / "RecruitView_Data"
    metadata = write_jsonl(folder / "metadata.jsonl", [make_record(1)])
    before = metadata.read_bytes()
    with pytest.raises(DemoDataError) as caught:
        build_demo_dataset(folder)
    assert str(caught.value) == (f"{metadata} exists and is not what the demo builder wrote there; not overwriting "
                                 f"a real data set. Choose another folder with --out.")
    assert metadata.read_bytes() == before and not (folder / "videos").exists()


@pytest.mark.parametrize("replaced", ["metadata.jsonl", "videos/vid_0003.mp4"])
def test_real_data_put_in_place_of_the_demo_is_never_overwritten(demo_dir, tmp_path, replaced):
    """The user swaps in RecruitView's files but the hidden marker of the demo stays behind."""
    import shutil

    folder = tmp_path / "RecruitView_Data"
    shutil.copytree(demo_dir, folder)
    (folder / "videos" / "vid_0003.mp4").unlink()  # any rebuild would write this one again
    (folder / replaced).write_bytes(b"the user's own file\n")
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    with pytest.raises(DemoDataError) as caught:
        build_demo_dataset(folder)
    assert str(caught.value) == (f"{folder / replaced} exists and is not what the demo builder wrote there; not "
                                 f"overwriting a real data set. Choose another folder with --out.")
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before
