import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from expressiveness.correlation import bootstrap_spearman, correlate, spearman
from expressiveness.validation import markdown_table


def hand_made_clips():
    """12 clips of 4 people; `answer` rises with the score except for three swapped neighbours."""
    score = np.array([-2.0, -1.5, -1.0, -0.5, 0.0, 0.2, 0.4, 0.6, 1.0, 1.5, 2.0, 3.0])
    answer = np.array([0.1, 0.3, 0.2, 0.5, 0.6, 0.7, 0.9, 0.8, 1.2, 1.1, 1.6, 2.0])
    return pd.DataFrame({"answer": answer, "facial_expression": score, "user_no": ["1", "1", "1", "2", "2", "2",
                                                                                   "3", "3", "3", "4", "4", "4"]})


def test_clip_and_participant_correlations_equal_scipys():
    clips = hand_made_clips()
    row = correlate(clips, "answer", samples=200)
    assert row["clip_spearman"] == round(float(spearmanr(clips["answer"], clips["facial_expression"]).statistic), 4)
    means = clips.groupby("user_no")[["answer", "facial_expression"]].mean()
    assert row["participant_spearman"] == pytest.approx(spearmanr(means["answer"], means["facial_expression"]).statistic)
    assert (row["clips"], row["participants"]) == (12, 4)
    low, high = row["clip_spearman_ci95"]
    assert low <= row["clip_spearman"] <= high <= 1.0


def test_missing_answers_are_left_out_and_counted():
    clips = hand_made_clips()
    clips.loc[[0, 5], "answer"] = np.nan
    row = correlate(clips, "answer", samples=100)
    kept = clips.dropna()
    assert row["clips"] == 10
    assert row["clip_spearman"] == round(float(spearmanr(kept["answer"], kept["facial_expression"]).statistic), 4)


def test_spearman_is_undefined_where_it_should_be():
    assert spearman([1, 2], [2, 1]) is None
    assert spearman([1, 1, 1, 1], [1, 2, 3, 4]) is None
    assert spearman([1, 2, np.nan, 4], [1, 2, 3, 4]) == 1.0  # the pair with a gap is left out


def test_the_bootstrap_resamples_participants_not_clips():
    clips = hand_made_clips()
    first = bootstrap_spearman(clips["answer"], clips["facial_expression"], clips["user_no"], samples=300, seed=1)
    assert first == bootstrap_spearman(clips["answer"], clips["facial_expression"], clips["user_no"], samples=300,
                                       seed=1)  # seeded
    # With every clip its own group the interval is narrower than with 4 groups of 3 clips.
    by_clip = bootstrap_spearman(clips["answer"], clips["facial_expression"], np.arange(12), samples=300, seed=1)
    assert by_clip[1] - by_clip[0] < first[1] - first[0]
    assert bootstrap_spearman([1, 2, 3], [1, 2, 3], ["a", "a", "b"]) is None  # fewer than 3 participants


def test_the_markdown_table_shows_each_row():
    clips = hand_made_clips()
    text = markdown_table([correlate(clips, "answer", samples=100)], note="demo")
    # Three neighbouring pairs swapped: 1 - 6 * (3 * 2) / (12 * (144 - 1)) = 0.979; participant means in order.
    assert "**demo**" in text and "| answer | 12 | +0.98 |" in text and text.rstrip().endswith("| 4 | +1.00 |")


def test_validate_on_the_demo_data_set(demo_dir, tmp_path, monkeypatch, capsys):
    from conftest import run_main

    monkeypatch.chdir(tmp_path)
    result = run_main(capsys, "validate", "--metadata", demo_dir / "metadata.jsonl", "--out", tmp_path / "v",
                      "--every", "3", "--workers", "2", "--bootstrap", "200", "--no-progress")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert "circular" in report["note"] and "circular" in result.stdout
    clips = pd.read_csv(tmp_path / "v" / "clips.csv")
    assert len(clips) == 19 and clips["expressivity_mean"].notna().sum() == 18  # one demo clip has no face
    rows = {row["answer"]: row for row in report["answers"]}
    assert rows["expressivity_mean"]["clips"] == 18 and rows["expressivity_mean"]["participants"] == 7
    kept = clips.dropna(subset=["head_motion_deg_s_mean"])
    assert rows["head_motion_deg_s_mean"]["clip_spearman"] == round(
        float(spearmanr(kept["head_motion_deg_s_mean"], kept["facial_expression"]).statistic), 4)
    assert "expected_level" not in rows  # no model given
    assert (tmp_path / "v" / "validation.png").stat().st_size > 0
    assert (tmp_path / "v" / "validation.md").read_text().startswith("# Facial measures against")
