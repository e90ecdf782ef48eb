import csv
import subprocess
import sys
from pathlib import Path

import pytest

from expressiveness import __version__


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "expressiveness.cli", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_console_script_is_installed_and_reports_its_version():
    script = Path(sys.executable).with_name("expressiveness")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"expressiveness {__version__}"


def _registered_subcommands() -> dict:
    import argparse

    from expressiveness.cli import build_parser

    parser = build_parser()
    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction)).choices


def test_every_registered_subcommand_has_help(capsys):
    from expressiveness.cli import main

    commands = _registered_subcommands()
    assert {"demo-data", "extract", "train", "evaluate", "analyze", "live", "check", "stats", "report"} <= set(commands)
    for command, subparser in commands.items():
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0, command
        shown = capsys.readouterr().out
        assert shown.startswith(f"usage: expressiveness {command}"), command
        assert shown == subparser.format_help(), command
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    overview = capsys.readouterr().out
    assert all(f"    {command}" in overview for command in commands), overview


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


def test_train_and_evaluate_commands(separable_data, tmp_path):
    metadata, cache = separable_data
    models = tmp_path / "models"
    common = ["--metadata", str(metadata), "--cache", str(cache)]
    trained = run_cli("train", *common, "--models", str(models), "--name", "cli", "--epochs", "2", "--quiet")
    assert trained.returncode == 0, trained.stderr
    assert "Trained 2 epochs" in trained.stdout and (models / "cli_curves.png").stat().st_size > 0
    again = run_cli("train", *common, "--models", str(models), "--name", "cli", "--epochs", "1", "--quiet")
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        f"expressiveness train: error: {models / 'cli.keras'} exists; pass overwrite=True (--overwrite) to replace "
        f"it, or choose another name (--name).")
    evaluated = run_cli("evaluate", *common, "--model", str(models / "cli.keras"))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "majority_baseline" in evaluated.stdout and "Splits are by participant" in evaluated.stdout
    for name in ("cli_evaluation.json", "cli_confusion.png", "cli_history.csv", "cli.json"):
        assert (models / name).stat().st_size > 0, name
    bad = run_cli("train", *common, "--thresholds", "low,high")
    assert bad.returncode == 2 and "expected default, tertiles, or two numbers LOW,HIGH" in bad.stderr


def test_analyze_with_two_worker_processes(demo_dir, trained_model, tmp_path):
    clips = [str(demo_dir / "videos" / f"vid_{n:04d}.mp4") for n in (1, 13, 19)]
    result = run_cli("analyze", *clips, "--out", str(tmp_path / "out"), "--workers", "2", "--no-progress",
                     "--model", str(trained_model.model_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Videos: 3 analysed (0 already done), 0 failed.")
    with open(tmp_path / "out" / "summary.csv", newline="") as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"vid_0001", "vid_0013", "vid_0019"}
    assert float(rows["vid_0019"]["face_share"]) < 0.2 and float(rows["vid_0001"]["face_share"]) == 1.0
