import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from conftest import main_output, run_main
from expressiveness.config import SCORE_FIELDS
from expressiveness.agreement.correlation import bootstrap_spearman, correlate, spearman
from expressiveness.agreement.answers import speech_columns
from expressiveness.agreement.partial import partial_correlation
from expressiveness.agreement.validate import (DEMO_NOTE, DEMO_OTHER_SCORES_NOTE, Validation, answer_row,
                                               chosen_blendshapes, markdown_table, rating_targets, table_frame,
                                               validation_table)
from expressiveness.pipeline.clips import clip_table
from expressiveness.agreement.within import NO_VARIATION, TOO_FEW_PEOPLE, within_correlation, within_person


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
    clips = hand_made_clips().rename(columns={"facial_expression": "confidence_score"})
    text = markdown_table([answer_row(clips, "answer", "confidence_score", samples=100)], note="demo",
                          references={"whole_video": 11, "running": 1})
    # Three neighbouring pairs swapped: 1 - 6 * (3 * 2) / (12 * (144 - 1)) = 0.979; participant means in order.
    assert text.startswith("# Facial measures against `confidence_score`\n")
    assert "**demo**" in text and "Reference face: whole_video 11 clips, running 1 clip." in text
    row = next(line for line in text.splitlines() if line.startswith("| answer | 12 |"))
    assert row.startswith("| answer | 12 | +0.98 |") and "| 4 | +1.00 |" in row and row.endswith("| 4 / 12 | no |")
    assert "Exploratory" not in text  # nothing was chosen after looking


def people_with_uneven_clips():
    """A: 3 clips, B: 2, C: 1 (left out of the within figure), D: 3 of which one has no answer."""
    return pd.DataFrame({"user_no": ["A", "A", "A", "B", "B", "C", "D", "D", "D"],
                         "answer": [1, 2, 3, 5, 9, 100, 0, 0.5, np.nan],
                         "facial_expression": [10, 12, 11, 0, 4, 100, 1, 2, 3]})


def test_within_participants_by_hand():
    clips = people_with_uneven_clips()
    centred = within_person(clips, "answer", "facial_expression")
    # A: answers 1, 2, 3 (mean 2), ratings 10, 12, 11 (mean 11); B: 5, 9 and 0, 4; D: 0, 0.5 and 1, 2 (its
    # third clip has no answer, so its mean rating is 1.5, not 2); C has one clip.
    assert list(centred.index) == [0, 1, 2, 3, 4, 6, 7]
    assert centred["answer"].tolist() == [-1, 0, 1, -2, 2, -0.25, 0.25]
    assert centred["facial_expression"].tolist() == [-1, 1, 0, -2, 2, -0.5, 0.5]
    # Ranks of the answers B1 A1 D1 A2 D2 A3 B2 = 1..7; of the ratings A2 and A3 swap (6 and 4):
    # rho = 1 - 6 * (2^2 + 2^2) / (7 * (49 - 1)) = 6/7.
    row = within_correlation(clips, "answer", "facial_expression", samples=200)
    assert row["within_spearman"] == round(6 / 7, 4) == 0.8571
    assert (row["within_participants"], row["within_clips"], row["within_note"]) == (3, 7, "")
    low, high = row["within_spearman_ci95"]
    assert low <= 0.8571 <= high <= 1.0
    # Not the plain correlation over clips, which C's outlying clip pulls up.
    assert round(spearman(clips["answer"], clips["facial_expression"]), 4) != 0.8571


def test_within_participants_is_undefined_with_a_reason():
    clips = people_with_uneven_clips()
    lonely = clips[clips["user_no"].isin(["A", "C"])]
    row = within_correlation(lonely, "answer", "facial_expression", samples=100)
    assert row["within_spearman"] is None and row["within_spearman_ci95"] is None
    assert (row["within_participants"], row["within_note"]) == (1, TOO_FEW_PEOPLE)
    assert TOO_FEW_PEOPLE == "fewer than 2 participants with >= 2 clips"
    same_rating = clips.assign(facial_expression=clips["user_no"].map({"A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0}))
    row = within_correlation(same_rating, "answer", "facial_expression", samples=100)
    assert row["within_spearman"] is None and row["within_note"] == NO_VARIATION


def blendshape_clips():
    """6 clips of 3 people with five single blendshapes of known correlation with the rating 1..6."""
    return pd.DataFrame({
        "user_no": ["1", "1", "2", "2", "3", "3"], "facial_expression": [1.0, 2, 3, 4, 5, 6],
        "expressivity_mean": [1.0, 3, 2, 4, 6, 5],
        "bs__neutral_mean": 0.0,  # constant: no correlation, not a candidate
        "bs_jawOpen_mean": [6.0, 5, 4, 3, 2, 1],  # -1
        "bs_browDownLeft_mean": [1.0, 2, 3, 4, 6, 5],  # 1 - 6 * 2 / (6 * 35) = 0.943
        "bs_mouthSmileLeft_mean": [2.0, 1, 3, 4, 6, 5],  # 1 - 6 * 4 / 210 = 0.886
        "bs_eyeBlinkLeft_mean": [2.0, 1, 3, 4, 6, 5],  # the same: the tie goes to the earlier blendshape
        "bs_cheekPuff_mean": [3.0, 1, 2, 6, 5, 4],  # 1 - 6 * 14 / 210 = 0.6
    })


def test_the_best_single_blendshapes_are_chosen_and_flagged():
    clips = blendshape_clips()
    assert chosen_blendshapes(clips, "facial_expression") == (
        ["bs_jawOpen_mean", "bs_browDownLeft_mean", "bs_eyeBlinkLeft_mean"], 5)
    rows = validation_table(clips, samples=100)
    assert [(row["answer"], row["chosen_after_looking"], row["chosen_from"]) for row in rows] == [
        ("expressivity_mean", False, None), ("bs_jawOpen_mean", True, 5), ("bs_browDownLeft_mean", True, 5),
        ("bs_eyeBlinkLeft_mean", True, 5)]
    assert [row["clip_spearman"] for row in rows] == [0.8857, -1.0, 0.9429, 0.8857]
    text = markdown_table(rows)
    flagged = [line for line in text.splitlines() if line.endswith("| **yes: exploratory** |")]
    assert [line.split(" | ")[0] for line in flagged] == [
        "| mean score of blendshape jawOpen (0-1) `bs_jawOpen_mean`",
        "| mean score of blendshape browDownLeft (0-1) `bs_browDownLeft_mean`",
        "| mean score of blendshape eyeBlinkLeft (0-1) `bs_eyeBlinkLeft_mean`"]
    assert ("Exploratory: the 3 single blendshapes marked *chosen after looking* are the ones of 5 whose "
            "clip-level |Spearman| with `facial_expression` is largest on these very clips.") in text
    table = table_frame(rows)
    assert table["chosen_after_looking"].tolist() == [False, True, True, True]
    exploratory = table["description"].str.endswith("(chosen after looking: exploratory)")
    assert exploratory.tolist() == [False, True, True, True]
    assert table["chosen_from"].isna().tolist() == [True, False, False, False]
    assert table["chosen_from"].dropna().tolist() == [5, 5, 5]
    assert table.loc[1, ["clip_spearman_ci95_low", "clip_spearman_ci95_high"]].tolist() == [-1.0, -1.0]


def test_every_target_gets_its_own_rows_and_choice():
    clips = blendshape_clips().assign(confidence_score=[6.0, 5, 4, 3, 2, 1])
    rows = validation_table(clips, samples=100, targets=("facial_expression", "confidence_score"))
    assert [row["target"] for row in rows] == ["facial_expression"] * 4 + ["confidence_score"] * 4
    # The reversed rating reverses every correlation, so the same three are chosen, with the opposite sign.
    assert [row["clip_spearman"] for row in rows[4:]] == [-0.8857, 1.0, -0.9429, -0.8857]


def rated_and_split_clips() -> pd.DataFrame:
    """24 clips of 8 people: facial_expression and interview_score share the answer's quality;
    expressivity_mean follows the quality, its _speaking split the rating's own part."""
    rng = np.random.default_rng(11)
    quality, own = rng.normal(size=24), rng.normal(scale=0.5, size=24)
    return pd.DataFrame({"user_no": np.repeat(list("ABCDEFGH"), 3), "interview_score": quality,
                         "facial_expression": quality + own,
                         "expressivity_mean": quality + rng.normal(scale=0.3, size=24),
                         "speaking_share": rng.uniform(size=24),
                         "expressivity_mean_speaking": own + rng.normal(scale=0.1, size=24),
                         "expressivity_mean_listening": rng.normal(size=24)})


def test_the_partial_column_and_the_split_answers_in_every_output():
    clips = rated_and_split_clips()
    rows = validation_table(clips, samples=100, chosen=0)
    assert [row["answer"] for row in rows] == ["expressivity_mean", "speaking_share", "expressivity_mean_speaking",
                                               "expressivity_mean_listening"]
    for row in rows:
        assert row["partial_controls"] == ["interview_score"]
        expected = partial_correlation(clips, row["answer"], "facial_expression", ["interview_score"], samples=100)
        assert (row["partial_spearman"], row["partial_spearman_ci95"]) == (expected["partial_spearman"],
                                                                           expected["partial_spearman_ci95"])
    # Built so: the whole-video measure follows the quality, its speaking split the expression itself.
    assert rows[0]["clip_spearman"] > 0.6 and abs(rows[0]["partial_spearman"]) < 0.3
    assert rows[2]["partial_spearman"] > 0.8
    text = markdown_table(rows)
    assert ("| answer | clips | Spearman (clips) | 95% CI (participants resampled) | Spearman (other ratings held "
            "constant) | 95% CI (partial) | participants |") in text
    assert ("Partial Spearman: per clip, with the other ratings held constant: does the measure follow facial "
            "expression, or the overall quality of the answer? The ranks of the measure and of `facial_expression` "
            "are each regressed on the ranks of `interview_score`") in text
    line = next(line for line in text.splitlines() if "`expressivity_mean_speaking`" in line)
    assert line.startswith("| mean facial expressivity (% inter-ocular distance), while speaking "
                           "`expressivity_mean_speaking` | 24 |")
    assert f"| {rows[2]['partial_spearman']:+.2f} | " in line
    assert "while not speaking (listening) `expressivity_mean_listening`" in text
    assert "| share of the usable frames with speech in the recording (0-1) `speaking_share` |" in text
    table = table_frame(rows)
    assert table["partial_controls"].tolist() == ["interview_score"] * 4
    assert table["partial_spearman"].tolist() == [row["partial_spearman"] for row in rows]
    assert table["partial_spearman_ci95_low"].tolist() == [row["partial_spearman_ci95"][0] for row in rows]
    printed = Validation(clips, rows, "", []).text()
    assert "facial_expression: (partial holds constant: interview_score)" in printed
    assert "per clip with the other ratings held constant (partial: does the measure follow the rating" in printed
    speaking = next(line for line in printed.splitlines() if line.startswith("  expressivity_mean_speaking "))
    interval = rows[2]["partial_spearman_ci95"]
    assert f"{rows[2]['partial_spearman']:+.2f} [{interval[0]:+.2f}, {interval[1]:+.2f}]" in speaking
    # Without the split and without another rating nothing breaks: the partial says why it is n/a.
    alone = clips[["user_no", "facial_expression", "expressivity_mean"]]
    rows = validation_table(alone, samples=100, chosen=0)
    assert [row["answer"] for row in rows] == ["expressivity_mean"] and rows[0]["partial_spearman"] is None
    assert "n/a (no other rating to hold constant)" in markdown_table(rows)
    assert "n/a (no controls)" in Validation(alone, rows, "", []).text()


def test_the_clip_table_passes_the_split_measures_through(tmp_path):
    summaries = {str((tmp_path / "a.mp4").resolve()): {"expressivity_mean": 1.0, "expressivity_mean_speaking": 2.0,
                                                       "expressivity_mean_listening": None, "speaking_share": 0.4,
                                                       "speaking_usable_s": 4.0, "bs_jawOpen_mean_speaking": 0.3},
                 str((tmp_path / "b.mp4").resolve()): {"expressivity_mean": 3.0}}  # analysed without sound
    columns = speech_columns(summaries.values(), ["expressivity_mean", "expressivity_p90", "bs_jawOpen_mean"])
    assert columns == ["speaking_share", "expressivity_mean_speaking", "expressivity_mean_listening",
                       "bs_jawOpen_mean_speaking", "speaking_usable_s"]
    records = pd.DataFrame({"id": ["1", "2"], "user_no": ["1", "2"], "video_path": [tmp_path / "a.mp4",
                                                                                     tmp_path / "b.mp4"]})
    table = clip_table(records, summaries, ["id"], ["expressivity_mean", *columns])
    assert table.loc[0, ["expressivity_mean_speaking", "speaking_share", "bs_jawOpen_mean_speaking"]].tolist() == [
        2.0, 0.4, 0.3]
    assert table.loc[1, columns].isna().all()  # the clip without sound has no split
    assert speech_columns([{"expressivity_mean": 1.0}], ["expressivity_mean"]) == []


def test_rating_targets():
    assert rating_targets("confidence_score") == ("confidence_score",)
    every = rating_targets("all")
    assert every[0] == "facial_expression" and sorted(every) == sorted(SCORE_FIELDS)
    with pytest.raises(ValueError) as error:
        rating_targets("facial", available=("openness", "facial_expression"))
    assert str(error.value) == "'facial' is not a rating column; expected all or one of openness, facial_expression."


def test_an_unknown_target_is_refused_before_any_work(tmp_path, capsys):
    result = run_main(capsys, "validate", "--metadata", tmp_path / "missing.jsonl", "--out", tmp_path / "v",
                      "--target", "facial")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "expressiveness validate: error: argument --target: 'facial' is not a rating column; expected all or one "
        f"of {', '.join(SCORE_FIELDS)}")
    assert not (tmp_path / "v").exists() and result.stdout == ""


def test_an_unknown_control_is_refused_before_any_work(tmp_path, capsys):
    result = run_main(capsys, "validate", "--metadata", tmp_path / "missing.jsonl", "--out", tmp_path / "v",
                      "--control", "interview_score,quality")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "expressiveness validate: error: argument --control: 'quality' is not a rating column; expected all, none "
        f"or comma-separated names of {', '.join(SCORE_FIELDS)}")
    assert not (tmp_path / "v").exists() and result.stdout == ""


@pytest.fixture(scope="module")
def demo_validation(demo_dir, tmp_path_factory):
    """`validate` on the demo data set (every 3rd frame, 200 resamples) run once: (out, result)."""
    out = tmp_path_factory.mktemp("validation") / "v"
    result = main_output("validate", "--metadata", demo_dir / "metadata.jsonl", "--out", out, "--every", "3",
                         "--workers", "2", "--bootstrap", "200", "--no-progress")
    return out, result


def test_validate_on_the_demo_data_set(demo_validation):
    out, result = demo_validation
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "validation.json").read_text())
    assert "circular" in report["note"] and "circular" in result.stdout
    assert DEMO_OTHER_SCORES_NOTE not in report["note"]  # only facial_expression was checked
    assert (report["target"], report["targets"]) == ("facial_expression", ["facial_expression"])
    clips = pd.read_csv(out / "clips.csv", dtype={"user_no": str})
    assert len(clips) == 19 and clips["expressivity_mean"].notna().sum() == 18  # one demo clip has no face
    rows = {row["answer"]: row for row in report["answers"]}
    assert rows["expressivity_mean"]["clips"] == 18 and rows["expressivity_mean"]["participants"] == 7
    kept = clips.dropna(subset=["head_motion_deg_s_mean"])
    assert rows["head_motion_deg_s_mean"]["clip_spearman"] == round(
        float(spearmanr(kept["head_motion_deg_s_mean"], kept["facial_expression"]).statistic), 4)
    assert "expected_level" not in rows  # no model given
    assert (out / "validation.png").stat().st_size > 0 and (out / "validation_within.png").stat().st_size > 0
    assert (out / "validation.md").read_text().startswith("# Facial measures against `facial_expression`")


def test_the_demo_validation_adds_blendshapes_within_participants_and_the_reference(demo_validation):
    out, result = demo_validation
    report = json.loads((out / "validation.json").read_text())
    clips = pd.read_csv(out / "clips.csv", dtype={"user_no": str})
    rows = {row["answer"]: row for row in report["answers"]}
    for answer in ("blendshape_expressivity_mean", "blendshape_expressivity_p90", "blendshape_expressivity_brows_mean",
                   "blendshape_expressivity_mouth_jaw_mean"):
        assert rows[answer]["clips"] == 18 and not rows[answer]["chosen_after_looking"]
    # The within figure again from clips.csv, with pandas and scipy.
    kept = clips.dropna(subset=["expressivity_mean"])
    kept = kept[kept.groupby("user_no")["user_no"].transform("size") >= 2]
    centred = kept[["expressivity_mean", "facial_expression"]] - kept.groupby("user_no")[
        ["expressivity_mean", "facial_expression"]].transform("mean")
    row = rows["expressivity_mean"]
    assert row["within_spearman"] == round(float(spearmanr(centred["expressivity_mean"],
                                                           centred["facial_expression"]).statistic), 4)
    assert (row["within_participants"], row["within_clips"]) == (kept["user_no"].nunique(), len(kept))
    # The three chosen are the single blendshapes with the largest |rho| over clips.
    rhos = {column: spearman(clips[column], clips["facial_expression"]) for column in clips
            if column.startswith("bs_") and column.endswith("_mean") and "eyeLook" not in column
            and column != "bs__neutral_mean"}
    best = sorted((column for column in rhos if rhos[column] is not None), key=lambda column: -abs(rhos[column]))[:3]
    chosen = [row["answer"] for row in report["answers"] if row["chosen_after_looking"]]
    assert chosen == best and len(rhos) == 43  # the expression blendshapes: no gaze
    # The reference face: every clip counted once, as clips.csv has it.
    assert report["references"] == clips["reference"].value_counts().to_dict()
    assert sum(report["references"].values()) == 19 and report["references"]["whole_video"] >= 17
    assert "Reference face: whole_video" in result.stdout and "chosen after looking: exploratory" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[2] == DEMO_NOTE and result.stdout.count(DEMO_NOTE) == 1  # before the table, once
    table = pd.read_csv(out / "validation.csv")
    assert table["chosen_after_looking"].sum() == 3 and len(table) == len(report["answers"])
    assert {"within_spearman", "within_spearman_ci95_low", "within_note", "description"} <= set(table.columns)


def test_validate_every_target(demo_dir, demo_validation, tmp_path, capsys):
    first, _ = demo_validation
    shutil.copytree(first / "clips", tmp_path / "v" / "clips")  # the clips' analyses are reused
    result = run_main(capsys, "validate", "--metadata", demo_dir / "metadata.jsonl", "--out", tmp_path / "v",
                      "--every", "3", "--bootstrap", "100", "--no-progress", "--target", "all")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert report["target"] == "all" and report["targets"][0] == "facial_expression"
    assert sorted(report["targets"]) == sorted(SCORE_FIELDS)
    assert report["note"].endswith(DEMO_OTHER_SCORES_NOTE)
    assert result.stdout.count(report["note"]) == 2  # before the long table and under it
    for target in SCORE_FIELDS:
        rows = [row for row in report["answers"] if row["target"] == target]
        assert sum(row["chosen_after_looking"] for row in rows) == 3 and rows[0]["answer"] == "expressivity_mean"
        assert f"\n{target}: (partial holds constant: " in result.stdout  # every other rating held constant
    markdown = (tmp_path / "v" / "validation.md").read_text()
    assert markdown.startswith("# Facial measures against 12 rating columns") and "## `openness`" in markdown
    clips = pd.read_csv(tmp_path / "v" / "clips.csv")
    rows = {row["answer"]: row for row in report["answers"] if row["target"] == "extraversion"}
    kept = clips.dropna(subset=["head_motion_deg_s_mean"])
    assert rows["head_motion_deg_s_mean"]["clip_spearman"] == round(
        float(spearmanr(kept["head_motion_deg_s_mean"], kept["extraversion"]).statistic), 4)
