import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from expressiveness.batch import extract_dataset
from expressiveness.cache import ExtractSettings, read_crops
from expressiveness.errors import CacheError

from conftest import write_jsonl

# Few frames per clip keep these tests fast; the logic does not depend on the number.
FAST = ExtractSettings(frames_per_clip=6)


def _mixed_metadata(demo_dir, folder):
    """Demo records pointing at good clips, a no-face clip and three broken files."""
    (folder / "videos").mkdir(parents=True)
    records = [json.loads(line) for line in (demo_dir / "metadata.jsonl").read_text().splitlines()]
    chosen = {record["id"]: record for record in records if record["id"] in ("0001", "0013", "0019")}
    for record in chosen.values():
        (folder / record["file_name"]).symlink_to(demo_dir / record["file_name"])
    broken = []
    for number, name in ((90, "gone.mp4"), (91, "empty.mp4"), (92, "notes.mp4")):
        broken.append(dict(chosen["0001"], id=f"00{number}", file_name=f"videos/{name}"))
    (folder / "videos" / "empty.mp4").write_bytes(b"")
    (folder / "videos" / "notes.mp4").write_text("not a video\n" * 100)
    return write_jsonl(folder / "metadata.jsonl", list(chosen.values()) + broken)


def _manifest(cache):
    with open(cache / "manifest.csv", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _without_seconds(rows):
    return {video_id: {column: value for column, value in row.items() if column != "seconds"}
            for video_id, row in rows.items()}


def test_mixed_data_set_gets_an_honest_manifest_and_a_rerun_does_nothing(demo_dir, tmp_path):
    metadata = _mixed_metadata(demo_dir, tmp_path / "data")
    cache = tmp_path / "cache"
    summary = extract_dataset(metadata, cache, FAST, workers=2, progress=False)
    manifest = _manifest(cache)
    assert {video_id: row["status"] for video_id, row in manifest.items()} == {
        "0001": "ok", "0013": "ok", "0019": "no_face", "0090": "missing", "0091": "unreadable", "0092": "unreadable"}
    assert summary.counts == {"ok": 2, "no_face": 1, "missing": 1, "unreadable": 2}
    assert manifest["0091"]["error"].endswith("the file is empty (0 bytes); expected a video such as an MP4.")
    assert manifest["0090"]["error"].endswith("gone.mp4: video file not found.")
    assert manifest["0001"]["frames_sampled"] == "6" and manifest["0001"]["faces_kept"] == "6"
    crops = read_crops(cache / "crops" / "0001.npz")
    assert crops["crops"].shape == (6, 48, 48) and crops["crops"].dtype == np.uint8
    assert crops["frame_index"].tolist() == [3, 10, 16, 23, 30, 36]
    assert crops["box"].shape == (6, 4) and (crops["score"] > 0.5).all()
    assert crops["aligned"].item() is False and crops["face_selection"].item() == "largest"
    assert read_crops(cache / "crops" / "0019.npz")["crops"].shape == (0, 48, 48)
    assert not (cache / "crops" / "0090.npz").exists()

    stamps = {path.name: path.stat().st_mtime_ns for path in (cache / "crops").glob("*.npz")}
    again = extract_dataset(metadata, cache, FAST, workers=1, progress=False)
    assert again.skipped == 3 and again.frames_decoded == 0
    assert {path.name: path.stat().st_mtime_ns for path in (cache / "crops").glob("*.npz")} == stamps
    # Same rows in the same order; missing and unreadable videos were retried, so only their timing differs.
    assert _without_seconds(_manifest(cache)) == _without_seconds(manifest)
    assert list(_manifest(cache)) == list(manifest)


def test_other_settings_on_an_existing_cache_are_refused(demo_dir, tmp_path):
    metadata = _mixed_metadata(demo_dir, tmp_path / "data")
    extract_dataset(metadata, tmp_path / "cache", FAST, workers=1, progress=False)
    with pytest.raises(CacheError) as caught:
        extract_dataset(metadata, tmp_path / "cache", ExtractSettings(frames_per_clip=7), workers=1, progress=False)
    assert str(caught.value) == (f"{tmp_path / 'cache'} holds crops made with other settings (frames_per_clip 6 -> 7); "
                                 f"use another cache folder (--cache) or pass --overwrite to rebuild it.")


def test_killed_run_resumes_to_the_same_cache(demo_dir, tmp_path):
    """kill -9 in the middle of a run, rerun, and compare with an uninterrupted run."""
    metadata = demo_dir / "metadata.jsonl"
    settings = ExtractSettings(frames_per_clip=8)
    reference = tmp_path / "reference"
    extract_dataset(metadata, reference, settings, workers=2, progress=False)

    interrupted = tmp_path / "interrupted"
    script = ("from expressiveness.batch import extract_dataset\nfrom expressiveness.cache import ExtractSettings\n"
              f"extract_dataset({str(metadata)!r}, {str(interrupted)!r}, ExtractSettings(frames_per_clip=8), "
              "workers=1, progress=False)\n")
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((interrupted / "crops").glob("*.npz"))) < 3:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(list((interrupted / "crops").glob("*.npz")))
    assert 3 <= done_before < 19, "the run was not interrupted in the middle"

    summary = extract_dataset(metadata, interrupted, settings, workers=1, progress=False)
    assert summary.skipped == done_before
    assert not list((interrupted / "crops").glob(".*"))  # no temporary file is left
    names = sorted(path.name for path in (reference / "crops").glob("*.npz"))
    assert names == sorted(path.name for path in (interrupted / "crops").glob("*.npz")) and len(names) == 19
    for name in names:
        expected, actual = read_crops(reference / "crops" / name), read_crops(interrupted / "crops" / name)
        for key in ("crops", "frame_index", "timestamp_s", "box", "score", "status", "faces_kept"):
            np.testing.assert_array_equal(actual[key], expected[key], err_msg=f"{name}: {key}")
    assert _without_seconds(_manifest(interrupted)) == _without_seconds(_manifest(reference))


def test_extraction_path_imports_no_tensorflow(demo_dir, tmp_path):
    script = ("import sys\nfrom expressiveness.batch import extract_dataset\nfrom expressiveness.cache import ExtractSettings\n"
              f"extract_dataset({str(demo_dir / 'metadata.jsonl')!r}, {str(tmp_path / 'c')!r}, "
              "ExtractSettings(frames_per_clip=2), workers=1, progress=False)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
