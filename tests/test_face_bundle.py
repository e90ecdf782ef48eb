"""The face model bundle: the packaged official file, a user's own copy, and every wrong file
refused with one sentence, from the library and from the command line."""

import shutil
import zipfile

import pytest

from expressiveness.errors import FaceModelError
from expressiveness.face import bundle
from expressiveness.face.bundle import OFFICIAL_SHA256, PACKAGED_BUNDLE, load_bundle

from conftest import run_main


def test_the_packaged_bundle_is_the_official_file():
    found = load_bundle()
    assert found.path == PACKAGED_BUNDLE.absolute() and found.official and found.sha256 == OFFICIAL_SHA256
    assert len(found.data) == 3_758_596 and found.member("face_detector.tflite")[4:8] == b"TFL3"
    assert (PACKAGED_BUNDLE.parent / "LICENSE-face_landmarker.txt").read_text().count("Apache License") >= 1


def test_a_copy_given_by_path_or_environment_is_used(tmp_path, monkeypatch):
    copy = shutil.copy(PACKAGED_BUNDLE, tmp_path / "mine.task")
    assert load_bundle(copy).path == copy.absolute()
    monkeypatch.setenv(bundle.FACE_MODEL_ENV, str(copy))
    assert load_bundle().path == copy.absolute() and load_bundle().official


def other_task(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hand_detector.tflite", b"TFL3")
    return path


def junk_with_the_right_names(path):
    with zipfile.ZipFile(path, "w") as archive:
        for name in bundle.REQUIRED_MEMBERS:
            archive.writestr(name, b"junk" * 10)
    return path


def overwritten_inside(path):
    """The official bundle with 100 bytes in the middle of a member overwritten (its checksum fails)."""
    data = bytearray(PACKAGED_BUNDLE.read_bytes())
    data[2_000_000:2_000_100] = b"x" * 100
    path.write_bytes(data)
    return path


def with_member_replaced(path, name, content):
    """The official bundle's files, with `name`'s content replaced: names and kinds pass load_bundle."""
    with zipfile.ZipFile(PACKAGED_BUNDLE) as official, zipfile.ZipFile(path, "w") as archive:
        for member in official.namelist():
            archive.writestr(member, content if member == name else official.read(member))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda folder: folder / "absent.task", r"absent\.task: face model bundle not found; expected MediaPipe's "
                                            r"face_landmarker\.task \(3,758,596 bytes\)\. Reinstall"),
    (lambda folder: folder, r": is a folder; expected the face model bundle file face_landmarker\.task\.$"),
    (lambda folder: folder / "empty.task" if (folder / "empty.task").write_bytes(b"") == 0 else None,
     r"empty\.task: the face model bundle is empty \(0 bytes\)"),
    (lambda folder: folder / "notes.txt" if (folder / "notes.txt").write_text("hello") else None,
     r"notes\.txt: not a MediaPipe model bundle \(not a zip archive, or truncated at 5 bytes\); expected "
     r"face_landmarker\.task, a zip holding face_detector\.tflite, "),
    (lambda folder: folder / "cut.task" if (folder / "cut.task").write_bytes(PACKAGED_BUNDLE.read_bytes()[:1_000_000])
     else None,
     r"cut\.task: not a MediaPipe model bundle \(not a zip archive, or truncated at 1,000,000 bytes\)"),
    (lambda folder: other_task(folder / "hands.task"),
     r"hands\.task: a model bundle without face_detector\.tflite, face_landmarks_detector\.tflite, "
     r"face_blendshapes\.tflite, geometry_pipeline_metadata_landmarks\.binarypb \(another task's bundle\?\); "
     r"expected a face landmarker bundle"),
    (lambda folder: junk_with_the_right_names(folder / "junk.task"),
     r"junk\.task: a bundle with the face landmarker's file names, but face_detector\.tflite, "
     r"face_landmarks_detector\.tflite, face_blendshapes\.tflite are damaged or not MediaPipe's \(no TensorFlow "
     r"Lite model, or a failed checksum\); expected MediaPipe's face_landmarker\.task \(3,758,596 bytes\)\.$"),
    (lambda folder: overwritten_inside(folder / "overwritten.task"),
     r"overwritten\.task: a bundle with the face landmarker's file names, but face_landmarks_detector\.tflite is "
     r"damaged"),
])
def test_wrong_files_get_one_sentence(tmp_path, make, message):
    with pytest.raises(FaceModelError, match=message):
        load_bundle(make(tmp_path))


@pytest.mark.parametrize("name, content", [
    ("geometry_pipeline_metadata_landmarks.binarypb", b"\xffjunk" * 10),  # MediaPipe: RET_CHECK failure
    ("face_blendshapes.tflite", b"\0\0\0\0TFL3" + b"\x07" * 200),  # MediaPipe: not a valid Flatbuffer
])
def test_mediapipe_refusing_a_bundle_is_one_sentence_naming_it(tmp_path, name, content):
    from expressiveness.face import FaceLandmarker

    damaged = with_member_replaced(tmp_path / "damaged.task", name, content)
    with pytest.raises(FaceModelError) as raised:
        FaceLandmarker(face_model=damaged)
    assert str(raised.value) == (f"{damaged.absolute()}: MediaPipe cannot load this face model bundle (its files have "
                                 f"the right names but are damaged or not the face landmarker's); expected "
                                 f"MediaPipe's face_landmarker.task (3,758,596 bytes).")


def test_a_damaged_packaged_bundle_says_how_to_restore_it(tmp_path, monkeypatch):
    damaged = tmp_path / "face_landmarker.task"
    damaged.write_bytes(PACKAGED_BUNDLE.read_bytes()[:-10])
    monkeypatch.setattr(bundle, "PACKAGED_BUNDLE", damaged)
    with pytest.raises(FaceModelError, match=r"the packaged face model bundle is damaged \(3,758,586 bytes, sha256 .*"
                                             r"expected 3,758,596 bytes with sha256 64184e229b26\.\.\.\. Reinstall"):
        load_bundle()


def test_commands_refuse_a_wrong_face_model_in_one_line(tmp_path, demo_dir, capsys, monkeypatch):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    monkeypatch.setenv(bundle.FACE_MODEL_ENV, str(PACKAGED_BUNDLE))  # undone after the test: main() sets it
    for wrong in (tmp_path, other_task(tmp_path / "hands.task"), junk_with_the_right_names(tmp_path / "junk.task")):
        result = run_main(capsys, "analyze", str(clip), "--out", str(tmp_path / "out"), "--face-model", str(wrong))
        error = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(error) == 1, result.stderr
        assert error[0].startswith(f"expressiveness analyze: error: {wrong}")
        assert not (tmp_path / "out").exists()
