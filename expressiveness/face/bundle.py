"""The face model bundle: MediaPipe's official `face_landmarker.task`, where it is and whether
it is the right file.

The bundle ships inside this package (models/, with its Apache-2.0 notice), so nothing is
downloaded at run time. A user can point to their own copy with `--face-model PATH` or the
environment variable EXPRESSIVENESS_FACE_MODEL (the command line sets the variable, so worker
processes follow it). A bundle is a zip of the detector, landmark and blendshape models; any
other file (missing, a folder, empty, truncated, text, another task's bundle, a zip with the
right names but other content) is refused with one sentence naming the file and what was expected.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from expressiveness.errors import FaceModelError

BUNDLE_NAME = "face_landmarker.task"
OFFICIAL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
OFFICIAL_SIZE_BYTES = 3_758_596
DETECTOR_MEMBER = "face_detector.tflite"
REQUIRED_MEMBERS = (DETECTOR_MEMBER, "face_landmarks_detector.tflite", "face_blendshapes.tflite",
                    "geometry_pipeline_metadata_landmarks.binarypb")  # MediaPipe's landmarker needs all four
TFLITE_IDENTIFIER = b"TFL3"  # bytes 4-8 of every TensorFlow Lite model (its flatbuffer's file identifier)
FACE_MODEL_ENV = "EXPRESSIVENESS_FACE_MODEL"
PACKAGED_BUNDLE = Path(__file__).parent / "models" / BUNDLE_NAME
_RESTORE = ("reinstall the toolkit (pip install --force-reinstall expressiveness, or `make setup` in a checkout), "
            "or point --face-model (or EXPRESSIVENESS_FACE_MODEL) to a copy")


@dataclass(frozen=True)
class FaceBundle:
    """A checked bundle: its path, its bytes, their SHA-256 and whether it is the official file."""

    path: Path
    data: bytes
    sha256: str

    @property
    def official(self) -> bool:
        return self.sha256 == OFFICIAL_SHA256

    @property
    def status(self) -> str:
        """One phrase for self-checks and bug reports."""
        if self.official:
            return f"official {BUNDLE_NAME} (sha256 {self.sha256[:12]}..., matches)"
        return f"{self.path.name}: a face landmarker bundle, not the official one (sha256 {self.sha256[:12]}...)"

    def member(self, name: str) -> bytes:
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return archive.read(name)


def bundle_path(path: str | Path | None = None) -> Path:
    """The bundle to use: `path` when given, else $EXPRESSIVENESS_FACE_MODEL, else the packaged one."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(FACE_MODEL_ENV) or PACKAGED_BUNDLE)


def load_bundle(path: str | Path | None = None) -> FaceBundle:
    """Read and check the bundle (see bundle_path). The packaged bundle must match the official
    SHA-256; a user's own copy must be a face landmarker bundle (a zip holding REQUIRED_MEMBERS).
    Raises FaceModelError with one sentence naming the file and what was expected."""
    chosen = bundle_path(path)
    return _load(str(chosen.absolute()), *_stamp(chosen))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FaceModelError(f"{path}: face model bundle not found; expected MediaPipe's {BUNDLE_NAME} "
                             f"({OFFICIAL_SIZE_BYTES:,} bytes). {_RESTORE[0].upper()}{_RESTORE[1:]}.") from None
    except OSError as error:
        raise FaceModelError(f"{path}: cannot read the face model bundle ({error.strerror}).") from None
    if path.is_dir():
        raise FaceModelError(f"{path}: is a folder; expected the face model bundle file {BUNDLE_NAME}.")
    return info.st_size, info.st_mtime_ns


@lru_cache(maxsize=4)
def _load(path_text: str, size_bytes: int, modified_ns: int) -> FaceBundle:
    path = Path(path_text)
    if size_bytes == 0:
        raise FaceModelError(f"{path}: the face model bundle is empty (0 bytes); expected MediaPipe's {BUNDLE_NAME} "
                             f"({OFFICIAL_SIZE_BYTES:,} bytes). {_RESTORE[0].upper()}{_RESTORE[1:]}.")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    packaged = path.resolve() == PACKAGED_BUNDLE.resolve()
    if packaged and sha256 != OFFICIAL_SHA256:
        raise FaceModelError(f"{path}: the packaged face model bundle is damaged ({len(data):,} bytes, sha256 "
                             f"{sha256[:12]}...); expected {OFFICIAL_SIZE_BYTES:,} bytes with sha256 "
                             f"{OFFICIAL_SHA256[:12]}.... {_RESTORE[0].upper()}{_RESTORE[1:]}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FaceModelError(f"{path}: not a MediaPipe model bundle (not a zip archive, or truncated at "
                             f"{len(data):,} bytes); expected {BUNDLE_NAME}, a zip holding "
                             f"{', '.join(REQUIRED_MEMBERS)}.") from None
    with archive:
        missing = [name for name in REQUIRED_MEMBERS if name not in archive.namelist()]
        if missing:
            raise FaceModelError(f"{path}: a model bundle without {', '.join(missing)} (another task's bundle?); "
                                 f"expected a face landmarker bundle ({BUNDLE_NAME}) holding {', '.join(REQUIRED_MEMBERS)}.")
        unreadable = [name for name in REQUIRED_MEMBERS if not _member_readable(archive, name)]
    if unreadable:
        raise FaceModelError(f"{path}: a bundle with the face landmarker's file names, but {', '.join(unreadable)} "
                             f"{'is' if len(unreadable) == 1 else 'are'} damaged or not MediaPipe's (no TensorFlow "
                             f"Lite model, or a failed checksum); expected MediaPipe's {BUNDLE_NAME} "
                             f"({OFFICIAL_SIZE_BYTES:,} bytes).")
    return FaceBundle(path, data, sha256)


def _member_readable(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether a member decompresses with its checksum, and a .tflite one is a TensorFlow Lite model."""
    try:
        content = archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return False
    return not name.endswith(".tflite") or content[4:8] == TFLITE_IDENTIFIER


def engine_identity(path: str | Path | None = None) -> dict:
    """What the face results depend on (JSON types): the engine, the mediapipe version and the
    bundle's SHA-256. Recorded in model cards, crop caches and analysis provenance."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        mediapipe_version = version("mediapipe")
    except PackageNotFoundError:
        mediapipe_version = None
    return {"engine": "mediapipe-tasks", "mediapipe": mediapipe_version,
            "face_model_sha256": load_bundle(path).sha256}
