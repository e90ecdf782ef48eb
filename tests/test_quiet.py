import os
import sys

import pytest

from isolated import run_python

from expressiveness.quiet import quiet_native


def engines_script(model_path, clip, verbose) -> str:
    """Start LiteRT and MediaPipe's detector and landmarker inside quiet_native, then find a face
    and its landmarks in a real frame and close the engines outside it (the engines hide their own
    first-frame and closing lines)."""
    return (f"import numpy as np\n"
            f"from expressiveness.quiet import quiet_native\n"
            f"from expressiveness.face import FaceDetector, FaceLandmarker\n"
            f"from expressiveness.levels.predict import Predictor\n"
            f"from expressiveness.video import iter_frames\n"
            f"frame = next(iter(iter_frames({str(clip)!r}, [10]))).image\n"
            f"with quiet_native({verbose!r}):\n"
            f"    predictor = Predictor({str(model_path)!r})\n"
            f"    detector, landmarker = FaceDetector(), FaceLandmarker()\n"
            f"faces = detector.detect(frame)\n"
            f"assert landmarker.landmarks(frame, faces[0], 0.0) is not None\n"
            f"detector.close(); landmarker.close()\n"
            f"print(len(faces), predictor.predict(np.zeros((1, 48, 48), np.uint8)).shape)\n")


def test_engines_start_without_native_chatter(trained_model, demo_dir):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    quiet = run_python(engines_script(trained_model.model_path, clip, False))
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "1 (1, 3)\n", "")
    # The same run, verbose: LiteRT's and MediaPipe's C++ lines are there to hide.
    loud = run_python(engines_script(trained_model.model_path, clip, True), env={"EXPRESSIVENESS_VERBOSE": "1"})
    assert loud.returncode == 0 and loud.stdout == "1 (1, 3)\n"
    assert "Created TensorFlow Lite XNNPACK delegate for CPU" in loud.stderr
    assert "LiteRT" in loud.stderr  # MediaPipe's graph


def test_environment_variable_makes_it_verbose(trained_model, demo_dir):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    loud = run_python(engines_script(trained_model.model_path, clip, None), env={"EXPRESSIVENESS_VERBOSE": "1"})
    assert "Created TensorFlow Lite XNNPACK delegate for CPU" in loud.stderr


def test_python_messages_and_errors_still_reach_the_console():
    code = ("import os, sys, warnings\n"
            "from expressiveness.quiet import quiet_native\n"
            "with quiet_native(False):\n"
            "    os.write(2, b'native line\\n')\n"
            "    print('python line', file=sys.stderr)\n"
            "    warnings.warn('python warning')\n"
            "    raise ValueError('the error the user must see')\n")
    result = run_python(code)
    assert result.returncode == 1
    assert "native line" not in result.stderr
    assert result.stderr.startswith("python line\n")
    assert "UserWarning: python warning" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "ValueError: the error the user must see"


def test_descriptor_2_and_log_levels_are_restored(tmp_path):
    before = {name: os.environ.get(name) for name in ("TF_CPP_MIN_LOG_LEVEL", "GLOG_minloglevel")}
    target_before = os.readlink("/proc/self/fd/2") if os.path.exists("/proc/self/fd/2") else None
    stderr_before = sys.stderr
    with pytest.raises(RuntimeError):
        with quiet_native(False):
            assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3" and os.environ["GLOG_minloglevel"] == "3"
            with quiet_native(False):  # nested
                pass
            raise RuntimeError("inside")
    assert {name: os.environ.get(name) for name in before} == before
    assert sys.stderr is stderr_before
    if target_before is not None:
        assert os.readlink("/proc/self/fd/2") == target_before
