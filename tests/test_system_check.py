import os
import subprocess
import sys
from pathlib import Path


def test_a_mediapipe_without_the_tasks_api_is_reported_not_a_traceback(demo_dir, tmp_path):
    """Issue 23: an old mediapipe (here one that imports but has no mediapipe.tasks) is one FAIL line."""
    fake = tmp_path / "site" / "mediapipe"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "0.9.0"\n')
    package_root = Path(__file__).resolve().parents[1]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), str(package_root)]))
    result = subprocess.run([sys.executable, "-m", "expressiveness.cli", "check", "--no-camera", "--model",
                             str(tmp_path / "none.keras"), "--data", str(demo_dir)],
                            capture_output=True, text=True, env=environment)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert " FAIL " in lines["mediapipe"] and "mediapipe 0.9.0 without the Tasks API (No module named " \
        "'mediapipe.tasks'); expected mediapipe 1.2 or later" in lines["mediapipe"]
    assert lines["face"].split()[2] == "FAIL" and "FaceEngineError" in lines["face"]
    assert lines["model"].split()[1] == "FAIL"


def test_analyze_with_an_old_mediapipe_stops_with_one_sentence_before_any_work(demo_dir, tmp_path):
    """Issue 23: mediapipe 0.10.21 (the last with mp.solutions) installed: analyze says so and writes nothing."""
    site = tmp_path / "site"
    (site / "mediapipe").mkdir(parents=True)
    (site / "mediapipe" / "__init__.py").write_text('__version__ = "0.10.21"\n')
    (site / "mediapipe-0.10.21.dist-info").mkdir()
    (site / "mediapipe-0.10.21.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: mediapipe\n"
                                                                      "Version: 0.10.21\n")
    package_root = Path(__file__).resolve().parents[1]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(package_root)]))
    result = subprocess.run([sys.executable, "-m", "expressiveness.cli", "analyze",
                             str(demo_dir / "videos" / "vid_0001.mp4"), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, env=environment)
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        "expressiveness analyze: error: mediapipe 0.10.21 is installed; expected mediapipe 1.2 or later, whose Tasks "
        "API (FaceDetector, FaceLandmarker) the face engine runs on: pip install 'mediapipe>=1.2,<2'"]
    assert not (tmp_path / "out").exists()


def test_faces_in_a_video_count_usable_frames_of_the_users_clip(demo_dir, tmp_path):
    """Issue 25, item 7: `--video PATH` runs the clip through the detector, the landmarker and the
    frame-quality rules. A talking-head clip is OK with every frame usable; the demo's clip where
    the face leaves the frame counts the frames without a face; a clip without any face FAILs; a
    file that is no video is one FAIL sentence naming it."""
    from expressiveness.cli.check import check_video_faces
    from conftest import count_decodable_frames

    talking = demo_dir / "videos" / "vid_0001.mp4"
    check = check_video_faces(talking)
    frames = count_decodable_frames(talking)
    assert check.status == "OK"
    assert check.reason == f"{frames} of {frames} frames of {talking} (every 1) have a usable face, {frames} a face"

    leaving = check_video_faces(demo_dir / "videos" / "vid_0016.mp4", frames=20)
    assert "(every 2)" in leaving.reason and "no_face " in leaving.reason, leaving.reason

    faceless = check_video_faces(demo_dir / "videos" / "vid_0019.mp4")
    assert faceless.status == "FAIL" and " have a usable face, 0 a face; not usable: no_face " in faceless.reason

    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    broken = check_video_faces(text)
    assert (broken.status, broken.reason) == ("FAIL", f"{text}: OpenCV cannot open it as a video (not a video file, "
                                                      f"truncated, or an unsupported codec).")


def test_test_system_video_option_checks_the_users_clip(demo_dir, tmp_path):
    """`python test_system.py --video PATH`: one line for the clip, exit code 1 when it has no face."""
    script = Path(__file__).resolve().parents[1] / "test_system.py"
    result = subprocess.run([sys.executable, str(script), "--no-camera", "--model", str(tmp_path / "none.keras"),
                             "--data", str(demo_dir), "--video", str(demo_dir / "videos" / "vid_0019.mp4")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("faces in the video")]
    assert " FAIL " in line and "vid_0019.mp4" in line and "0 a face" in line


def test_speed_without_a_level_model_is_measured_with_the_facial_measures(demo_dir):
    """Issue 33, item 9: with no level model (the default set-up), the speed check times what `analyze`
    then does (detection, the face landmarker, the facial measures) instead of skipping."""
    import re

    from expressiveness.cli.check import REAL_TIME_FPS, check_speed

    check = check_speed(None, demo_dir)
    speed = re.fullmatch(r"(\d+) frames/s \(detect, landmarks, facial measures; no level model\) on vid_0001\.mp4"
                         r"(; below real time for 30 fps video)?", check.reason)
    assert speed, check.reason
    rate, slow_note = int(speed.group(1)), speed.group(2)
    # Machine-dependent; the status must agree with the rate. MediaPipe's landmarker alone takes
    # several ms a frame: a rate in the hundreds would mean frames went untimed or unmeasured.
    assert 0 < rate < 200
    assert (check.status, slow_note is None) == (("OK", True) if rate >= REAL_TIME_FPS else ("WARN", False))
