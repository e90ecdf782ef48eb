"""The top-level scripts as a user runs them: exit codes and the exact messages."""

import re
import subprocess
import sys
from pathlib import Path

import cv2
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_script(name, *args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / name), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("script", ["real_time_demo.py", "test_system.py"])
def test_help(script, script_help):
    result = script_help(script)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: {script}")


def test_demo_on_a_file_headless(demo_dir, trained_model, tmp_path):
    clip = demo_dir / "videos" / "vid_0016.mp4"
    result = run_script("real_time_demo.py", "--source", clip, "--no-display", "--output", tmp_path / "out.mp4",
                        "--csv", tmp_path / "out.csv", "--model", trained_model.model_path)
    assert result.returncode == 0, result.stderr
    source, written = cv2.VideoCapture(str(clip)), cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(written.get(cv2.CAP_PROP_FRAME_COUNT)) == int(source.get(cv2.CAP_PROP_FRAME_COUNT)) == 56
    ok, frame = written.read()
    assert ok and frame.shape == (480, 640, 3)
    table = pd.read_csv(tmp_path / "out.csv")
    assert len(table) == 56 and set(table["success"]) == {0, 1}
    assert result.stdout.startswith("56 frames, a face in")


def test_demo_without_a_model_shows_the_facial_measures(demo_dir, tmp_path):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    result = run_script("real_time_demo.py", "--source", clip, "--no-display", "--csv", tmp_path / "out.csv",
                        "--max-frames", 12, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ("No model at models/expressiveness_cnn.keras: facial measures only (for the "
                                     "levels, train one with `expressiveness train`, or pass --model "
                                     "models/demo_cnn.keras after `make demo`).")
    table = pd.read_csv(tmp_path / "out.csv")
    assert len(table) == 12 and "level" not in table and table["expressivity"].notna().all()


def test_demo_without_a_model_or_measures(tmp_path):
    result = run_script("real_time_demo.py", "--no-display", "--no-measures", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "real_time_demo.py: error: no model at models/expressiveness_cnn.keras and --no-measures: nothing to analyse; "
        "train one with `expressiveness train`, pass --model PATH (after `make demo`: models/demo_cnn.keras), or drop "
        "--no-measures.")


def test_demo_with_a_missing_source(trained_model, tmp_path):
    result = run_script("real_time_demo.py", "--source", tmp_path / "gone.mp4", "--model", trained_model.model_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"real_time_demo.py: error: {tmp_path / 'gone.mp4'}: video file not found."


def test_demo_with_a_camera_that_does_not_exist(trained_model):
    result = run_script("real_time_demo.py", "--camera", "42", "--no-display", "--model", trained_model.model_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "real_time_demo.py: error: camera 42 cannot be opened (no camera at that index, no permission, or it is in "
        "use); use --source VIDEO to run on a video file instead.")


def _rows(stdout):
    return {line[:23].strip(): line[23:].split()[0] for line in stdout.splitlines()[2:] if line[23:].strip()}


def _reasons(stdout):
    return {line[:23].strip(): line[23:].split(maxsplit=1)[1] for line in stdout.splitlines()[2:]
            if len(line[23:].split(maxsplit=1)) == 2}


def test_system_check_passes_with_a_model_and_warns_about_the_camera(demo_dir, trained_model):
    # Camera 42 exists on no machine: the check must warn, whatever cameras this machine has.
    result = run_script("test_system.py", "--camera", "42", "--model", trained_model.model_path, "--data", demo_dir)
    rows, reasons = _rows(result.stdout), _reasons(result.stdout)
    assert result.returncode == 0, result.stdout
    assert rows["camera"] == "WARN"
    assert reasons["camera"] == ("camera 42 cannot be opened (no camera at that index, no permission, or it is in use); "
                                 "use --source VIDEO to run on a video file instead.")
    assert rows["model"] == "OK" and rows["face detection"] == "OK" and rows["face model bundle"] == "OK"
    assert reasons["face detection"].startswith(f"1 face(s) in {demo_dir / 'videos' / 'vid_0001.mp4'}, score 0.")
    # Speed is machine-dependent; the status must agree with the rate it reports (OK from 25 frames/s).
    speed = re.fullmatch(r"(\d+) frames/s \(detect, crop, classify\) on vid_0001\.mp4(; below real time for 30 fps "
                         r"video)?", reasons["end-to-end speed"])
    assert speed, reasons["end-to-end speed"]
    rate, slow_note = int(speed.group(1)), speed.group(2)
    if rows["end-to-end speed"] == "OK":
        assert rate >= 25 and slow_note is None
    else:
        assert rows["end-to-end speed"] == "WARN" and rate <= 25 and slow_note is not None
    warnings = 1 + (rows["end-to-end speed"] == "WARN")
    assert result.stdout.rstrip().endswith(f" OK, {warnings} WARN, 0 FAIL.")
    assert all(status == "OK" for name, status in rows.items() if name not in ("camera", "end-to-end speed")), rows


def test_system_check_fails_without_a_model(demo_dir, tmp_path):
    result = run_script("test_system.py", "--no-camera", "--model", tmp_path / "none.keras", "--data", demo_dir)
    rows = _rows(result.stdout)
    assert result.returncode == 1
    assert rows["model"] == "FAIL" and rows["camera"] == "WARN"
    assert (f"no model at {tmp_path / 'none.keras'}; train one with `expressiveness train` (`make demo` trains "
            f"models/demo_cnn.keras)") in result.stdout


def test_system_check_without_the_default_model_only_warns(demo_dir, tmp_path):
    # After `make demo` there is models/demo_cnn.keras but no default model: analysis still works.
    result = run_script("test_system.py", "--no-camera", "--data", demo_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert _rows(result.stdout)["model"] == "WARN"
    assert "no model at models/expressiveness_cnn.keras: analysis gives the facial measures only" in result.stdout
    assert re.fullmatch(r"\d+ frames/s \(detect, landmarks, facial measures; no level model\) on vid_0001\.mp4"
                        r"(; below real time for 30 fps video)?", _reasons(result.stdout)["end-to-end speed"])
