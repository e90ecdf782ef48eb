import csv

from conftest import run_main


def test_analyze_with_two_worker_processes(demo_dir, trained_model, tmp_path, capsys):
    clips = [demo_dir / "videos" / f"vid_{n:04d}.mp4" for n in (1, 13, 19)]
    result = run_main(capsys, "analyze", *clips, "--out", tmp_path / "out", "--workers", "2", "--no-progress",
                      "--model", trained_model.model_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Videos: 3 analysed, 0 reused from an earlier run, 0 failed.")
    with open(tmp_path / "out" / "summary.csv", newline="") as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"vid_0001", "vid_0013", "vid_0019"}
    assert float(rows["vid_0019"]["face_share"]) < 0.2 and float(rows["vid_0001"]["face_share"]) == 1.0


def test_crop_options_default_to_the_model_card():
    from expressiveness.cli import build_parser

    parser, commands = build_parser()
    for command in (["analyze", "x.mp4"], ["live"]):
        args = parser.parse_args(command)
        assert (args.min_confidence, args.face) == (None, None)
    assert " ".join(commands["analyze"].format_help().split()).count(
        "(default: as the model's training crops, from its card)") == 2
    args = parser.parse_args(["analyze", "x.mp4", "--min-confidence", "0.3"])
    assert args.min_confidence == 0.3


def test_live_on_a_file_measures_like_analyze(demo_dir, tmp_path, capsys, monkeypatch):
    """Issue 33: the live demo on a file learns the whole file's reference face before it plays and
    reads every frame on its own, as analyze does, so its table has analyze's values (it learnt the
    reference while playing before: the first frames read 0, the mean 1.01 against 0.88)."""
    import numpy as np
    import pandas as pd

    clip = demo_dir / "videos" / "vid_0001.mp4"
    monkeypatch.chdir(tmp_path)  # no default model here: the facial measures alone
    live = run_main(capsys, "live", "--source", clip, "--no-display", "--csv", tmp_path / "live.csv")
    assert live.returncode == 0, live.stderr
    assert ("Facial measures against the typical face of the whole file, as `expressiveness analyze` measures it "
            "(reference: whole_video).") in live.stdout
    # the live demo does not read the sound: its table is analyze's without speech and speaking
    analyzed = run_main(capsys, "analyze", clip, "--out", tmp_path / "out", "--no-progress", "--no-figures", "--no-audio")
    assert analyzed.returncode == 0, analyzed.stderr
    played, table = pd.read_csv(tmp_path / "live.csv"), pd.read_csv(tmp_path / "out" / "vid_0001_frames.csv")
    assert set(played["reference"]) == {"whole_video"}
    assert list(played.columns) == list(table.columns) + ["reference"]
    assert played["frame"].tolist() == table["frame"].tolist() == list(range(40))
    for column in table.columns:
        if pd.api.types.is_numeric_dtype(table[column]):
            np.testing.assert_allclose(played[column], table[column], rtol=0, atol=1e-3, equal_nan=True,
                                       err_msg=column)
        else:
            assert played[column].fillna("").tolist() == table[column].fillna("").tolist(), column
    assert played["expressivity"].iloc[:3].gt(0).all()  # no warm-up at 0
