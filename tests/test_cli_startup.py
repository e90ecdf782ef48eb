"""Start-up of the command line (issue 34, item 6): `--help` of the command, of every subcommand
and of the top-level scripts imports none of the heavy libraries, so it answers at once. The
time itself is measured by benchmarks/bench_startup.py, not here."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[1]
SCRIPTS = ("real_time_demo.py", "test_system.py", "analyze_facial_data.py", "quick_analysis.py")
HEAVY = ("numpy", "pandas", "cv2", "scipy", "sklearn", "matplotlib", "mediapipe", "tensorflow", "keras",
         "ai_edge_litert", "pyarrow")

# Runs every --help in one fresh interpreter and prints the heavy packages it imported.
PROBE = """
import contextlib, io, json, runpy, sys
from expressiveness.cli import build_parser, main
_, subcommands = build_parser()
calls = [["--help"]] + [[name, "--help"] for name in subcommands]
for argv in calls:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
for script in {scripts!r}:
    sys.argv = [script, "--help"]
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit:
            pass
print(json.dumps({{"calls": len(calls), "imported": sorted(name for name in {heavy!r} if name in sys.modules)}}))
"""


def test_help_imports_no_heavy_library():
    scripts = [str(REPO_DIR / name) for name in SCRIPTS]
    completed = subprocess.run([sys.executable, "-c", PROBE.format(scripts=scripts, heavy=HEAVY)],
                               capture_output=True, text=True, cwd=REPO_DIR, timeout=120)
    assert completed.returncode == 0, completed.stderr
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    assert found["calls"] >= 12  # the command and its subcommands
    assert found["imported"] == []


def test_face_names_load_on_first_use():
    """expressiveness.face re-exports its modules' names lazily: each is the module's own object,
    and reading the bundle's names does not start the engine's imports."""
    probe = ("import json, sys\n"
             "from expressiveness.face import FACE_MODEL_ENV, engine_identity\n"
             "light = 'cv2' not in sys.modules and 'scipy' not in sys.modules\n"
             "import expressiveness.face as face\n"
             "from expressiveness.face import bundle, crops, engine, pose\n"
             "same = all(getattr(face, name) is getattr(module, name) for module in (bundle, crops, engine, pose)\n"
             "           for name in face.__all__ if hasattr(module, name))\n"
             "print(json.dumps([light, same, sorted(set(face.__all__) - set(dir(face)))]))\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_DIR,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [True, True, []]


def test_face_unknown_name_is_an_attribute_error():
    import expressiveness.face as face

    with pytest.raises(AttributeError, match="no attribute 'FaceDetecter'"):
        face.FaceDetecter  # noqa: B018
