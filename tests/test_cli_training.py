import csv

from conftest import run_main


def test_extract_on_the_demo_data_set(demo_extraction):
    # The shared run (conftest): `extract --frames-per-clip 4 --workers 2` on the demo data set.
    cache, result = demo_extraction
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Videos: 18 ok, 1 no_face, 0 unreadable, 0 missing (0 already in the cache). ")
    with open(cache / "manifest.csv", newline="") as handle:
        faces_kept = sum(int(row["faces_kept"]) for row in csv.DictReader(handle))
    assert 60 <= faces_kept <= 72  # 4 frames of 18 clips with a face, minus frames after the face left
    assert f"Faces kept: {faces_kept}." in result.stdout


def test_extract_fails_when_no_video_can_be_processed(tmp_path, capsys):
    from conftest import make_record, write_jsonl

    metadata = write_jsonl(tmp_path / "metadata.jsonl", [make_record(1)])
    result = run_main(capsys, "extract", "--metadata", metadata, "--cache", tmp_path / "c", "--no-progress")
    assert result.returncode == 1
    assert result.stdout.startswith("Videos: 0 ok, 0 no_face, 0 unreadable, 1 missing")
    assert "no video could be processed" in result.stderr


def test_train_and_evaluate_commands(small_separable_data, tmp_path, capsys):
    metadata, cache = small_separable_data
    models = tmp_path / "models"
    common = ["--metadata", metadata, "--cache", cache]
    trained = run_main(capsys, "train", *common, "--models", models, "--name", "cli", "--epochs", "2", "--quiet")
    assert trained.returncode == 0, trained.stderr
    assert "Trained 2 epochs" in trained.stdout and (models / "cli_curves.png").stat().st_size > 0
    again = run_main(capsys, "train", *common, "--models", models, "--name", "cli", "--epochs", "1", "--quiet")
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        f"expressiveness train: error: {models / 'cli.keras'} exists; pass --overwrite to replace "
        f"it, or choose another name (--name).")
    evaluated = run_main(capsys, "evaluate", *common, "--model", models / "cli.keras")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "majority_baseline" in evaluated.stdout and "Splits are by participant" in evaluated.stdout
    for name in ("cli_evaluation.json", "cli_confusion.png", "cli_history.csv", "cli.json"):
        assert (models / name).stat().st_size > 0, name
    bad = run_main(capsys, "train", *common, "--thresholds", "low,high")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1] == (
        "expressiveness train: error: argument --thresholds: 'low,high' is not default, tertiles, or two numbers "
        "LOW,HIGH such as -0.303,0.294")
