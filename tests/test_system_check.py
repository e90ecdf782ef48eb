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
