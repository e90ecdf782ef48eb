"""pipeline/run.py: one run writes exactly what the per-video building blocks make.

The run does all of a video's work in its task (table, summary with the measures model's answer,
timeline, annotated video, HTML report) and the index from the summaries in memory. Here the same
outputs are made by hand from the building blocks (per_video.analyze_video, write_table, the
measures model's answer_summary, save_timeline, and the report pages as `write_reports`
re-renders a folder from disk), so that a change in either path shows: the tables byte for
byte, the summaries equal but for their timing, the pages equal but for when they were written.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from expressiveness.config import LABELS
from expressiveness.measures.model import MeasuresModel, answer_summary, fit_estimators, save_measures_model
from expressiveness.pipeline.results_folder import write_summary_table
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.run import AnalysisRun, Outputs, analyze_one

TIMING = ("seconds", "frames_per_second")
WRITTEN = re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # "Report written" and the index's date


@pytest.fixture(scope="module")
def measures_model(tmp_path_factory):
    """A linear measures model on three facial measures, fitted in milliseconds on made-up clips."""
    features = ["expressivity_mean", "head_motion_deg_s_mean", "blinks_per_minute"]
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"id": [f"{k:04d}" for k in range(60)], "user_no": [str(k // 5) for k in range(60)],
                          features[0]: rng.normal(3, 0.3, 60), features[1]: rng.normal(12, 1, 60),
                          features[2]: rng.normal(20, 5, 60)})
    table["facial_expression"] = 2 * table[features[0]] - 0.5 * table[features[1]] + 0.3
    regressor, classifier, _ = fit_estimators(table, features, (-0.303, 0.294), "linear", seed=0)
    from expressiveness.measures.model import CARD_VERSION

    card = {"card_version": CARD_VERSION, "kind": "measures", "name": "tiny_measures", "estimator": "linear",
            "features": features, "thresholds": [-0.303, 0.294], "labels": list(LABELS)}
    card_path = tmp_path_factory.mktemp("measures") / "tiny_measures.json"
    model = MeasuresModel(card, regressor, classifier)
    save_measures_model(model, card_path)
    return model, card_path


def _by_hand(clips, model_path, options, measures, out):
    """The run's outputs made from the building blocks, one after the other, then the pages
    re-rendered from the folder (results_folder.write_reports)."""
    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.per_video import analyze_video, write_table
    from expressiveness.card import read_card
    from expressiveness.pipeline.results_folder import write_reports
    from expressiveness.report.plots_overlay import draw_result
    from expressiveness.report.plots_timeline import save_timeline

    out.mkdir()
    analyzer = build_analyzer(str(model_path), options.with_card(read_card(model_path)))
    summaries = []
    try:
        for clip in clips:
            name = clip.stem
            analysis = analyze_video(clip, analyzer, draw_result, out / f"{name}_annotated.mp4")
            analysis.summary["video"], analysis.summary["name"] = str(clip), name
            write_table(analysis.table, out / f"{name}_frames.csv")
            summary = answer_summary(measures, analysis.summary)
            save_timeline(analysis.table, summary, out / f"{name}_timeline.png")
            summaries.append(summary)
    finally:
        analyzer.close()
    return summaries, write_reports


def test_a_run_writes_what_the_building_blocks_make(demo_dir, trained_model, measures_model, tmp_path):
    clips = [demo_dir / "videos" / f"vid_{n:04d}.mp4" for n in (1, 17)]
    options = AnalysisOptions(every=3)
    model, card_path = measures_model
    run = AnalysisRun(tmp_path / "run", trained_model.model_path, options, card_path,
                      Outputs(timeline=True, annotated=True, html=True))
    assert all(note.startswith(f"Note: {trained_model.model_path}") for note in run.notes)
    report = run.analyze(clips, progress=False)
    assert [summary["name"] for summary in report.analyzed] == ["vid_0001", "vid_0017"] and not report.failures
    assert report.measures_model.startswith("tiny_measures (trained on ")

    summaries, write_reports = _by_hand(clips, trained_model.model_path, options, model, tmp_path / "hand")
    ran = {name: json.loads((tmp_path / "run" / f"{name}_summary.json").read_text())
           for name in ("vid_0001", "vid_0017")}
    for summary in summaries:  # the summaries are equal but for how long they took
        made = json.loads(json.dumps(summary))
        assert {key: value for key, value in made.items() if key not in TIMING} == \
            {key: value for key, value in ran[summary["name"]].items() if key not in TIMING}
        assert list(made) == list(ran[summary["name"]])  # in the same order, the answer last
        summary.update({key: ran[summary["name"]][key] for key in TIMING})
        (tmp_path / "hand" / f"{summary['name']}_summary.json").write_text(json.dumps(summary, indent=2))
    assert ran["vid_0001"]["measures_model"] == "tiny_measures" and ran["vid_0001"]["predicted_level"] in LABELS
    write_summary_table(tmp_path / "hand", summaries)
    write_reports(tmp_path / "hand")

    for name in ("vid_0001_frames.csv", "vid_0017_frames.csv", "vid_0001_frames.parquet", "summary.csv",
                 "vid_0001_timeline.png", "vid_0017_timeline.png"):
        if (tmp_path / "hand" / name).exists() or name.endswith(".csv"):
            assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "hand" / name).read_bytes(), name
    for name in ("vid_0001_annotated.mp4", "vid_0017_annotated.mp4"):
        assert (tmp_path / "run" / name).stat().st_size > 0
    for name in ("vid_0001_report.html", "vid_0017_report.html", "index.html"):
        ran_page, hand_page = ((folder / name).read_bytes() for folder in (tmp_path / "run", tmp_path / "hand"))
        assert WRITTEN.sub(b"TIME", ran_page) == WRITTEN.sub(b"TIME", hand_page), name
    assert [path.name for path in report.pages] == ["vid_0001_report.html", "vid_0017_report.html", "index.html"]


def test_a_worker_gets_the_runs_settings_not_its_engines(trained_model, measures_model, tmp_path):
    """What a task receives crosses to a spawned process: the settings pickle, small."""
    import pickle

    run = AnalysisRun(tmp_path, trained_model.model_path, AnalysisOptions(every=3), measures_model[1],
                      Outputs(timeline=True, html=True))
    settings = pickle.loads(pickle.dumps(run.settings(tmp_path)))
    assert settings.options == run.options and settings.measures_model == str(measures_model[1].resolve())
    assert len(pickle.dumps(settings)) < 2000
    assert analyze_one.__module__ == "expressiveness.pipeline.video_task"  # importable by a spawned worker


def test_the_measures_model_is_checked_before_any_video(trained_model, measures_model, tmp_path):
    from expressiveness.errors import ExpressivenessError

    with pytest.raises(ExpressivenessError, match="needs the facial measures; drop --no-measures"):
        AnalysisRun(tmp_path, trained_model.model_path, AnalysisOptions(measures=False), measures_model[1])


def test_read_summary_brings_older_summaries_to_todays_form(tmp_path):
    """Summaries from before names and provenance were recorded read with both; a file that is not
    the summary of its NAME is one sentence naming it."""
    from expressiveness.pipeline.results_folder import read_summary

    old = tmp_path / "clip_summary.json"
    old.write_text(json.dumps({"video": "clip.mp4", "frames_analyzed": 3}))
    assert read_summary(old) == {"video": "clip.mp4", "frames_analyzed": 3, "name": "clip", "provenance": {}}
    other = tmp_path / "b_summary.json"
    other.write_text(json.dumps({"name": "a", "provenance": {"every": 1}}))
    with pytest.raises(ValueError, match=r"^b_summary.json is not the summary of b$"):
        read_summary(other)
    (tmp_path / "c_summary.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"^c_summary.json is not the summary of c$"):
        read_summary(tmp_path / "c_summary.json")
    (tmp_path / "d_summary.json").write_bytes(b"{\xff")
    with pytest.raises(ValueError, match=r"^d_summary.json cannot be read as JSON$"):
        read_summary(tmp_path / "d_summary.json")
