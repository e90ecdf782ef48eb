"""Analysis, the live demo and the self-check as a user runs them: no TensorFlow imported, and
nothing on stderr that the toolkit did not write (native start-up chatter is hidden)."""

import pytest
from isolated import run_python, run_python_recording_tensorflow


def _commands(demo_dir, trained_model, tmp_path):
    clip = str(demo_dir / "videos" / "vid_0001.mp4")
    model = str(trained_model.model_path)
    return {
        "analyze": ["analyze", clip, "--out", str(tmp_path / "out"), "--model", model, "--no-progress"],
        "live": ["live", "--source", clip, "--no-display", "--max-frames", "8", "--model", model],
        "check": ["check", "--no-camera", "--model", model, "--data", str(demo_dir)],
    }


@pytest.mark.parametrize("command", ["analyze", "live", "check"])
def test_inference_commands_import_no_tensorflow_and_print_no_native_chatter(command, demo_dir, trained_model,
                                                                             tmp_path):
    arguments = _commands(demo_dir, trained_model, tmp_path)[command]
    code = f"import sys\nfrom expressiveness.cli import main\nsys.exit(main({arguments!r}))\n"
    result, tensorflow_modules = run_python_recording_tensorflow(code)  # one process shows both
    assert result.returncode == 0, result.stderr
    assert tensorflow_modules == []
    # XNNPACK, absl, inference_feedback_manager, landmark_projection: all hidden; analyze says once that
    # the demo clip has no sound
    assert [line for line in result.stderr.splitlines() if not line.startswith("note: ")] == []
    assert result.stdout.strip()


def test_verbose_shows_the_native_lines(demo_dir, trained_model, tmp_path):
    arguments = _commands(demo_dir, trained_model, tmp_path)["live"] + ["--verbose"]
    result = run_python(f"import sys\nfrom expressiveness.cli import main\nsys.exit(main({arguments!r}))\n")
    assert result.returncode == 0, result.stderr
    assert "XNNPACK" in result.stderr or "inference_feedback_manager" in result.stderr
