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
