"""The toolkit's errors: what a user can cause with bad input, as opposed to bugs.

The command line catches `ExpressivenessError` (and `OSError`: permission denied, disk full, a
file where a folder was expected) and prints its message as one line; any other exception is a
bug and keeps its traceback. Each subclass also derives from the built-in type that callers of
the library would expect (`ValueError` for bad data, `RuntimeError` for a device or a download).
"""

from __future__ import annotations

from pathlib import Path


class ExpressivenessError(Exception):
    """Base of every error the command line reports as one line."""


class MetadataError(ExpressivenessError, ValueError):
    """A metadata file or one of its lines does not follow the RecruitView format."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None,
                 field_name: str | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.field_name = field_name


class UnreadableVideoError(ExpressivenessError, ValueError):
    """A video file exists but cannot be decoded (empty, not a video, truncated, bad codec)."""


class CameraError(ExpressivenessError, RuntimeError):
    """A camera cannot be opened or gives no frames."""


class ModelFileError(ExpressivenessError, ValueError):
    """A saved model or its model card is missing, corrupt or does not match."""


class DatasetError(ExpressivenessError, ValueError):
    """Metadata and crops cannot make a training or test set (empty, a class missing, too few people)."""


class CacheError(DatasetError):
    """A crop cache was made with other settings, or is not a crop cache."""


class DemoDataError(ExpressivenessError, RuntimeError):
    """The demo data set cannot be built (download failed, or the folder holds real data)."""


class FaceModelError(ExpressivenessError, ValueError):
    """The face model bundle (face_landmarker.task) is missing, damaged or not a face bundle."""


class FaceEngineError(ExpressivenessError, RuntimeError):
    """MediaPipe is missing, or too old to have the Tasks API the face engine runs on."""


class BaselineError(ExpressivenessError, ValueError):
    """A baseline for the facial measures (--baseline, --baseline-video) that cannot serve: given
    twice or without the measures, outside the video, unreadable, or without enough usable faces."""


class SubjectError(ExpressivenessError, ValueError):
    """The subject asked for (--subject N) is not among the persons a video shows."""
