import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from expressiveness.pipeline.extract import extract_dataset
from expressiveness.data.cache import ExtractSettings, read_crops
from expressiveness.errors import CacheError

from conftest import make_record, write_jsonl

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


def test_a_cache_of_another_face_engine_is_refused(demo_dir, tmp_path):
    """Crops found by mediapipe.solutions (before 1.2: no face_engine, a detector "model") are not reused."""
    metadata = _mixed_metadata(demo_dir, tmp_path / "data")
    extract_dataset(metadata, tmp_path / "cache", FAST, workers=1, progress=False)
    settings_path = tmp_path / "cache" / "settings.json"
    settings = json.loads(settings_path.read_text())
    assert settings["face_engine"]["engine"] == "mediapipe-tasks" and len(settings["face_engine"]["face_model_sha256"]) == 64
    old = {key: value for key, value in settings.items() if key != "face_engine"} | {"model": "full"}
    settings_path.write_text(json.dumps(old))
    with pytest.raises(CacheError) as caught:
        extract_dataset(metadata, tmp_path / "cache", FAST, workers=1, progress=False)
    assert str(caught.value) == (
        f"{tmp_path / 'cache'} holds crops made with other settings (face_engine none recorded (a cache from before "
        f"mediapipe 1.2) -> mediapipe-tasks {settings['face_engine']['face_model_sha256'][:12]}, model 'full' -> None); "
        f"use another cache folder (--cache) or pass --overwrite to rebuild it.")


def test_extraction_path_imports_no_tensorflow(demo_dir, tmp_path):
    script = ("import sys\nfrom expressiveness.pipeline.extract import extract_dataset\nfrom expressiveness.data.cache import ExtractSettings\n"
              f"extract_dataset({str(demo_dir / 'metadata.jsonl')!r}, {str(tmp_path / 'c')!r}, "
              "ExtractSettings(frames_per_clip=2), workers=1, progress=False)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_replaced_video_or_a_new_file_name_is_extracted_again(demo_dir, tmp_path):
    videos = tmp_path / "data" / "videos"
    videos.mkdir(parents=True)
    for name, clip in (("a.mp4", 1), ("b.mp4", 2), ("b2.mp4", 2), ("c.mp4", 13)):
        shutil.copy(demo_dir / "videos" / f"vid_{clip:04d}.mp4", videos / name)
    records = [make_record(1, file_name="videos/a.mp4"), make_record(2, file_name="videos/b.mp4"),
               make_record(3, file_name="videos/c.mp4")]
    metadata = write_jsonl(tmp_path / "data" / "metadata.jsonl", records)
    cache = tmp_path / "cache"
    extract_dataset(metadata, cache, FAST, workers=1, progress=False)
    first = read_crops(cache / "crops" / "0001.npz")

    shutil.copy(demo_dir / "videos" / "vid_0005.mp4", videos / "a.mp4")  # same name, another recording
    records[1]["file_name"] = "videos/b2.mp4"  # same bytes under another name: the metadata changed
    write_jsonl(metadata, records)
    again = extract_dataset(metadata, cache, FAST, workers=1, progress=False)
    assert again.skipped == 1 and again.counts == {"ok": 3}
    redone = read_crops(cache / "crops" / "0001.npz")
    assert redone["source_path"].item() == str((videos / "a.mp4").resolve())
    assert redone["source_size_bytes"].item() == (videos / "a.mp4").stat().st_size
    assert not np.array_equal(redone["crops"], first["crops"])
    assert read_crops(cache / "crops" / "0002.npz")["file_name"].item() == "videos/b2.mp4"

    (videos / "a.mp4").unlink()  # crops of a video that is gone must not stay in the cache
    extract_dataset(metadata, cache, FAST, workers=1, progress=False)
    assert _manifest(cache)["0001"]["status"] == "missing" and not (cache / "crops" / "0001.npz").exists()


def test_temporaries_of_a_run_that_is_still_writing_are_left_alone(demo_dir, tmp_path):
    from expressiveness._io import temporary_name

    metadata = _mixed_metadata(demo_dir, tmp_path / "data")
    crops = tmp_path / "cache" / "crops"
    crops.mkdir(parents=True)
    ours = temporary_name(crops / "0001.npz")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # another run, writing
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    alive = ours.with_name(ours.name.replace(f".{os.getpid()}.", f".{running.pid}."))
    dead = ours.with_name(ours.name.replace(f".{os.getpid()}.", f".{finished.stdout.strip()}."))
    alive.write_bytes(b"half a crop file")
    dead.write_bytes(b"left by a run that was killed")
    try:
        extract_dataset(metadata, tmp_path / "cache", FAST, workers=1, progress=False)
    finally:
        running.kill()
        running.wait()
    assert alive.read_bytes() == b"half a crop file" and not dead.exists()


@pytest.mark.parametrize("settings, message", [
    (dict(frames_per_clip=0), "frames_per_clip is 0; expected a whole number > 0."),
    (dict(frames_per_clip=2.5), "frames_per_clip is 2.5; expected a whole number > 0."),
    (dict(every=True), "every is True; expected a whole number > 0."),
    (dict(rate_fps=float("nan")), "rate_fps is nan; expected a number > 0."),
    (dict(margin="0.1"), "margin is '0.1'; expected a fraction >= 0, such as 0.15."),
])
def test_bad_settings_are_refused_before_the_cache_is_touched(tmp_path, settings, message):
    with pytest.raises(ValueError) as caught:
        extract_dataset(tmp_path / "metadata.jsonl", tmp_path / "cache", ExtractSettings(**settings), progress=False)
    assert str(caught.value) == message and not (tmp_path / "cache").exists()


def test_extract_with_zero_frames_per_clip_leaves_no_settings(demo_dir, tmp_path, capsys):
    from conftest import run_main

    cache = tmp_path / "cache"
    result = run_main(capsys, "extract", "--metadata", demo_dir / "metadata.jsonl", "--cache", cache,
                      "--frames-per-clip", "0")
    assert result.returncode == 2 and not cache.exists()


def test_a_video_that_stops_early_is_flagged_in_the_manifest(demo_dir, tmp_path):
    from test_batch import truncated_clip

    (tmp_path / "data" / "videos").mkdir(parents=True)
    truncated_clip(demo_dir / "videos" / "vid_0001.mp4", tmp_path / "data" / "videos" / "cut.mp4")
    metadata = write_jsonl(tmp_path / "data" / "metadata.jsonl", [make_record(1, file_name="videos/cut.mp4")])
    summary = extract_dataset(metadata, tmp_path / "cache", FAST, workers=1, progress=False)
    row = _manifest(tmp_path / "cache")["0001"]
    assert (row["status"], row["frames_sampled"]) == ("ok", "3")  # of 6: frames 3, 10, 16 decode, 23 does not
    assert row["error"] == "decoding stopped at frame 17 of 40: the file may be truncated"
    assert summary.truncated == 1 and " 1 stopped decoding before their declared end" in summary.text()
