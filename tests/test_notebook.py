"""The training notebook runs top to bottom ("Run all") in quick mode on the demo data set, as
`make demo` runs it: it trains its own model, models/demo_cnn, in the crop cache every tool uses.
The run is marked slow (`make test-slow`, `make test-all`)."""

import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

from expressiveness.levels.model import load_model

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "Facial_Expression_Expressiveness_Recognition.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in notebook.cells if cell.cell_type == "code")


def readme_python_block(containing: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if containing in block)


@pytest.mark.slow  # 1-2 minutes on 2 cores: extraction, 8 epochs of training, evaluation, measures models
def test_notebook_runs_headless_in_quick_mode(demo_dir, tmp_path, monkeypatch):
    from nbclient import NotebookClient  # here: only this slow test needs the Jupyter client

    (tmp_path / "FYP").mkdir()
    (tmp_path / "FYP" / "RecruitView_Data").symlink_to(demo_dir)
    models = tmp_path / "models"
    models.mkdir()
    # The user's own model, which the demo must never touch, and an earlier demo model.
    (models / "expressiveness_cnn.keras").write_bytes(b"the user's 50-epoch model")
    (models / "demo_cnn.keras").write_bytes(b"an earlier demo model")
    monkeypatch.setenv("EXPRESSIVENESS_QUICK", "1")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises if a cell fails
    assert (models / "expressiveness_cnn.keras").read_bytes() == b"the user's 50-epoch model"
    assert not (models / "expressiveness_cnn.json").exists()
    for name in ("demo_cnn.keras", "demo_cnn.tflite", "demo_cnn.json", "demo_cnn_history.csv",
                 "demo_cnn_curves.png", "demo_cnn_confusion.png", "demo_cnn_evaluation.json"):
        assert (models / name).stat().st_size > 0, name
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert "models/demo_cnn.keras exists: replacing it and its evaluation, curves and confusion matrix." in printed
    model, card = load_model(models / "demo_cnn.keras")
    assert card["training"]["epochs"] == 8 and card["data"]["cache_dir"] == "cache"
    # The cache every command uses by default, with the default extraction settings.
    assert (tmp_path / "cache" / "manifest.csv").exists() and not (tmp_path / "cache_quick").exists()
    assert card["data"]["extraction"]["frames_per_clip"] == 32
    images = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert len(images) >= 4  # levels, crop grid, curves, confusion matrix
    evaluation = json.loads((models / "demo_cnn_evaluation.json").read_text())
    assert evaluation["test_set"]["crops"] == card["metrics"]["test_frame"]["crops"]
    # Section 6: the measures model on the CNN's split, and both side by side.
    measures = json.loads((models / "demo_measures.json").read_text())
    assert measures["kind"] == "measures" and (models / "demo_measures.linear.json").stat().st_size > 0
    for name, split in card["splits"].items():
        assert measures["splits"][name]["participants"] == split["participants"], name
    comparison = json.loads((tmp_path / "reports" / "comparison" / "comparison.json").read_text())
    assert [row["name"] for row in comparison["models"]] == ["demo_cnn", "demo_measures", "majority baseline",
                                                             "stratified random baseline"]
    assert "circular" in printed

    # README's participant_split(clips) is the split the model was trained and evaluated on.
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(readme_python_block("participant_split(clips)"), namespace)
    clips = namespace["clips"]
    for name, split in card["splits"].items():
        assert sorted(clips.loc[clips["split"] == name, "user_no"].unique(), key=int) == split["participants"], name
        assert set(split["clips"]) <= set(clips.loc[clips["split"] == name, "id"])
