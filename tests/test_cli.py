import csv
import subprocess
import sys
from pathlib import Path

from expressiveness import __version__


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "expressiveness.cli", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_console_script_is_installed_and_reports_its_version():
    script = Path(sys.executable).with_name("expressiveness")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"expressiveness {__version__}"


def test_every_subcommand_has_help():
    for command in ("demo-data", "extract"):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "usage: expressiveness" in result.stdout


def test_missing_metadata_is_one_line_and_exit_1(tmp_path):
    result = run_cli("extract", "--metadata", str(tmp_path / "none.jsonl"), "--cache", str(tmp_path / "c"))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"expressiveness extract: error: {tmp_path / 'none.jsonl'}: metadata file not "
                                     f"found; expected a RecruitView metadata.jsonl (one JSON object per line).")


def test_extract_on_the_demo_data_set(demo_dir, tmp_path):
    result = run_cli("extract", "--metadata", str(demo_dir / "metadata.jsonl"), "--cache", str(tmp_path / "c"),
                     "--frames-per-clip", "4", "--workers", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Videos: 18 ok, 1 no_face, 0 unreadable, 0 missing (0 already in the cache). ")
    with open(tmp_path / "c" / "manifest.csv", newline="") as handle:
        faces_kept = sum(int(row["faces_kept"]) for row in csv.DictReader(handle))
    assert 60 <= faces_kept <= 72  # 4 frames of 18 clips with a face, minus frames after the face left
    assert f"Faces kept: {faces_kept}." in result.stdout


def test_extract_fails_when_no_video_can_be_processed(tmp_path):
    from conftest import make_record, write_jsonl

    metadata = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1)])
    result = run_cli("extract", "--metadata", str(metadata), "--cache", str(tmp_path / "c"), "--no-progress")
    assert result.returncode == 1
    assert result.stdout.startswith("Videos: 0 ok, 0 no_face, 0 unreadable, 1 missing")
    assert "no video could be processed" in result.stderr
