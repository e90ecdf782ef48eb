"""README's "Using the real RecruitView data" steps, run as written after the demo, on other
footage under the demo's clip ids (issue 18, item 4): extraction makes every clip's crops from
the user's video and reuses none of the demo's. `.ci/readme_commands.py examples` runs the same
block in full (train and evaluate too) on the whole demo set in CI."""

import csv
import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from expressiveness import extract_dataset, read_crops
from expressiveness.data.cache import cache_file_name

ROOT = Path(__file__).resolve().parents[1]
WITH_FACE, WITHOUT_FACE, FACE_LEAVES = "0001", "0019", "0016"  # demo clips: a talking face, an animated title


def _runner():
    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _data_set(demo_dir: Path, folder: Path, videos: dict[str, str]) -> Path:
    """A data set of the demo's records for videos' ids; videos: id -> id of the demo clip whose
    file it gets."""
    records = [json.loads(line) for line in (demo_dir / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    records = {record["id"]: record for record in records}
    (folder / "videos").mkdir(parents=True)
    for video_id, footage in videos.items():
        shutil.copyfile(demo_dir / records[footage]["file_name"], folder / records[video_id]["file_name"])
    lines = [json.dumps(records[video_id]) for video_id in videos]
    (folder / "metadata.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _manifest(cache: Path) -> dict[str, dict]:
    with open(cache / "manifest.csv", newline="", encoding="utf-8") as file:
        return {row["id"]: row for row in csv.DictReader(file)}


def test_readme_own_data_steps_extract_the_users_footage_and_reuse_no_demo_crop(demo_dir, tmp_path):
    runner = _runner()
    block = next(text for language, _, text in runner.code_blocks("README.md")
                 if language == "bash" and runner.USER_DATA in text)
    commands = runner.shell_commands(block)
    extract = next(number for number, command in enumerate(commands) if command.startswith("expressiveness extract"))

    # The project as `make demo` leaves it: demo clips and their crops in cache/.
    project = tmp_path / "project"
    demo = {clip: clip for clip in (WITH_FACE, FACE_LEAVES, WITHOUT_FACE)}
    _data_set(demo_dir, project / "FYP" / "RecruitView_Data", demo)
    extract_dataset(project / "FYP" / "RecruitView_Data" / "metadata.jsonl", project / "cache", workers=1,
                    progress=False)
    before = _manifest(project / "cache")
    assert (before[WITH_FACE]["status"], before[WITHOUT_FACE]["status"]) == ("ok", "no_face")
    # The user's data set: the same ids, other footage (clip 0001 is now the one without a face).
    mine = _data_set(demo_dir, tmp_path / "mine" / "RecruitView_Data",
                     {WITH_FACE: WITHOUT_FACE, FACE_LEAVES: FACE_LEAVES, WITHOUT_FACE: WITH_FACE})

    # The README's steps up to extraction, as written; the test's interpreter is the environment.
    for command in commands[:extract + 1]:
        if command.startswith("source "):
            continue
        command = command.replace(runner.USER_DATA, str(mine))
        if command.startswith("expressiveness "):
            command = f"{shlex.quote(sys.executable)} -m expressiveness.cli {command.split(' ', 1)[1]}"
        result = subprocess.run(command, shell=True, cwd=project, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"`{command}` failed: {result.stderr}"

    assert "(0 already in the cache)" in result.stdout
    after = _manifest(project / "cache")
    assert (after[WITH_FACE]["status"], after[WITH_FACE]["faces_kept"]) == ("no_face", "0")
    assert after[WITHOUT_FACE]["status"] == "ok" and int(after[WITHOUT_FACE]["faces_kept"]) > 0
    for video_id, row in after.items():
        source = project / "FYP" / "RecruitView_Data" / row["file_name"]
        crops = read_crops(project / "cache" / "crops" / cache_file_name(video_id))
        assert (str(crops["source_path"]), int(crops["source_size_bytes"]), int(crops["source_modified_ns"])) == (
            str(source.resolve()), source.stat().st_size, source.stat().st_mtime_ns)
        assert len(crops["crops"]) == int(row["faces_kept"])
