"""The data set's report (`expressiveness report`, analyze_facial_data.py): its statistics
(data.statistics) as one PNG per figure, summary.json, records.csv and report.md."""

from __future__ import annotations

from pathlib import Path

from expressiveness._io import atomic_write
from expressiveness.config import SCORE_FIELDS, TARGET_SCORE
from expressiveness.data.statistics import describe_dataset, report_markdown, summary_json
from expressiveness.report import plots_dataset


def write_dataset_report(metadata_path: str | Path, out_dir: str | Path, check_videos: bool = True,
                         face_frames: int = 0, workers: int = 4, progress: bool = True) -> dict:
    """Analyse a data set and write its report into out_dir: one PNG per figure, summary.json,
    records.csv and report.md. Returns the analysis result (data.statistics.describe_dataset)."""
    result, records = describe_dataset(metadata_path, check_videos, face_frames, workers, progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    balances = {"default cut points": result["levels_default"]}
    if result["levels_tertiles"]:
        balances["tertiles"] = result["levels_tertiles"]
    for split, balance in (result["levels_by_split"] or {}).items():
        balances[f"{split} split"] = balance
    drawings = {
        "scores": lambda path: plots_dataset.plot_score_distributions(records, SCORE_FIELDS, path),
        "correlations": lambda path: plots_dataset.plot_score_correlations(records, SCORE_FIELDS, path),
        "by_question": lambda path: plots_dataset.plot_score_by_question(records, TARGET_SCORE, path),
        "by_duration_quality": lambda path: plots_dataset.plot_score_by_conditions(records, TARGET_SCORE, path),
        "levels": lambda path: plots_dataset.plot_level_balance(balances, path),
    }
    figures = {}
    for key, draw in drawings.items():
        plots_dataset.plt.close(draw(out / f"{key}.png"))
        figures[key] = f"{key}.png"
    atomic_write(out / "summary.json", summary_json(result))
    atomic_write(out / "records.csv", records.drop(columns=["transcript", "gemini_summary"]).to_csv(index=False))
    atomic_write(out / "report.md", report_markdown(result, figures))
    return result
