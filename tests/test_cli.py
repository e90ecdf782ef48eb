import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from expressiveness import __version__


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "expressiveness.cli", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_console_script_is_installed_and_reports_its_version():
    script = Path(sys.executable).with_name("expressiveness")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines[:2] == [f"expressiveness {__version__}", f"Python {platform.python_version()}"]
    import numpy

    assert f"numpy {numpy.__version__}" in lines and f"mediapipe {version('mediapipe')}" in lines
    assert lines[-1].startswith("face model: official face_landmarker.task (sha256 64184e229b26..., matches), ")


def _registered_subcommands() -> dict:
    from expressiveness.cli import build_parser

    return build_parser()[1]


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


BAD_VALUES = [  # (subcommand and its required arguments, option, value, what the user reads)
    (["analyze", "x.mp4"], "--smoothing", "2", "2 is not in (0, 1]"),
    (["analyze", "x.mp4"], "--smoothing", "0", "0 is not in (0, 1]"),
    (["analyze", "x.mp4"], "--every", "0", "0 is not a whole number >= 1"),
    (["analyze", "x.mp4"], "--workers", "0", "0 is not a whole number >= 1"),
    (["analyze", "x.mp4"], "--min-confidence", "1.5", "1.5 is not in [0, 1]"),
    (["analyze", "x.mp4"], "--every", "two", "'two' is not a whole number"),
    (["live"], "--smoothing", "-0.1", "-0.1 is not in (0, 1]"),
    (["live"], "--max-frames", "0", "0 is not a whole number >= 1"),
    (["live"], "--camera", "-1", "-1 is not a whole number >= 0"),
    (["live"], "--min-confidence", "-0.5", "-0.5 is not in [0, 1]"),
    (["check"], "--camera", "-2", "-2 is not a whole number >= 0"),
    (["extract"], "--frames-per-clip", "0", "0 is not a whole number >= 1"),
    (["extract"], "--every", "0", "0 is not a whole number >= 1"),
    (["extract"], "--rate", "0", "0 is not in (0, inf)"),
    (["extract"], "--workers", "0", "0 is not a whole number >= 1"),
    (["extract"], "--margin", "-0.1", "-0.1 is not in [0, inf)"),
    (["extract"], "--min-confidence", "2", "2 is not in [0, 1]"),
    (["extract"], "--margin", "nan", "nan is not a finite number"),
    (["train"], "--epochs", "0", "0 is not a whole number >= 1"),
    (["train"], "--batch-size", "0", "0 is not a whole number >= 1"),
    (["train"], "--learning-rate", "0", "0 is not in (0, inf)"),
    (["train"], "--patience", "0", "0 is not a whole number >= 1"),
    (["train"], "--name", "../x", "'../x' is not a plain file name such as expressiveness_cnn"),
    (["train"], "--thresholds", "0.5,-0.5", "'0.5,-0.5': expected two finite numbers with LOW <= HIGH"),
    (["stats"], "--limit", "0", "0 is not a whole number >= 1"),
    (["report"], "--faces", "-1", "-1 is not a whole number >= 0"),
    (["report"], "--workers", "0", "0 is not a whole number >= 1"),
]


@pytest.mark.parametrize("command, option, value, message", BAD_VALUES,
                         ids=[f"{c[0]} {o} {v}" for c, o, v, _ in BAD_VALUES])
def test_a_bad_option_value_is_refused_while_parsing(command, option, value, message, capsys):
    from expressiveness.cli import main

    with pytest.raises(SystemExit) as caught:
        main([*command, option, value])
    assert caught.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"expressiveness {command[0]}: error: argument {option}: {message}")


def test_a_script_names_itself_in_its_errors(capsys):
    from expressiveness.cli import main

    with pytest.raises(SystemExit):
        main(["live", "--max-frames", "0"], prog="real_time_demo.py")
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "real_time_demo.py: error: argument --max-frames: 0 is not a whole number >= 1")


def test_missing_metadata_is_one_line_and_exit_1(tmp_path):
    result = run_cli("extract", "--metadata", str(tmp_path / "none.jsonl"), "--cache", str(tmp_path / "c"))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"expressiveness extract: error: {tmp_path / 'none.jsonl'}: metadata file not "
                                     f"found; expected a RecruitView metadata.jsonl (one JSON object per line).")
