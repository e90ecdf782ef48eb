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
