"""The training notebook runs top to bottom ("Run all") in quick mode on the demo data set."""

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from expressiveness.model import load_model

NOTEBOOK = Path(__file__).resolve().parents[1] / "Facial_Expression_Expressiveness_Recognition.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in notebook.cells if cell.cell_type == "code")


def test_notebook_runs_headless_in_quick_mode(demo_dir, tmp_path, monkeypatch):
    (tmp_path / "FYP").mkdir()
    (tmp_path / "FYP" / "RecruitView_Data").symlink_to(demo_dir)
    monkeypatch.setenv("EXPRESSIVENESS_QUICK", "1")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises if a cell fails
    models = tmp_path / "models"
    for name in ("expressiveness_cnn.keras", "expressiveness_cnn.json", "expressiveness_cnn_history.csv",
                 "expressiveness_cnn_curves.png", "expressiveness_cnn_confusion.png",
                 "expressiveness_cnn_evaluation.json"):
        assert (models / name).stat().st_size > 0, name
    model, card = load_model(models / "expressiveness_cnn.keras")
    assert card["training"]["epochs"] == 8 and (tmp_path / "cache_quick" / "manifest.csv").exists()
    images = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert len(images) >= 4  # levels, crop grid, curves, confusion matrix
