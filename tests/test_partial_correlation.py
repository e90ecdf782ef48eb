"""The partial Spearman correlation (agreement/correlation.py) and validate's partial figures
(agreement/partial.py): by hand, against an independent formula, on data built so the raw
correlation is strong and the partial vanishes, and where it is undefined."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata, spearmanr

from expressiveness.agreement.correlation import (bootstrap_by_group, bootstrap_partial_spearman, bootstrap_spearman,
                                                  partial_spearman, spearman)


def inverse_correlation_partial(values, scores, controls) -> float:
    """The partial correlation the way pingouin and the textbooks write it: from the inverse of
    the Pearson correlation matrix of the ranks, -P[0, 1] / sqrt(P[0, 0] P[1, 1])."""
    ranks = np.column_stack([rankdata(values), rankdata(scores), rankdata(controls, axis=0)])
    precision = np.linalg.inv(np.corrcoef(ranks, rowvar=False))
    return float(-precision[0, 1] / np.sqrt(precision[0, 0] * precision[1, 1]))


def quality_driven(people: int = 60, clips_each: int = 4, seed: int = 7) -> pd.DataFrame:
    """Clips whose rating and `follows_quality` both follow the answer's quality and nothing
    else, and `follows_expression`, which follows the rating's own part (not the quality)."""
    rng = np.random.default_rng(seed)
    size = people * clips_each
    quality = rng.normal(size=size)
    own = rng.normal(scale=0.5, size=size)  # what the rating sees beyond the quality
    return pd.DataFrame({"user_no": np.repeat([str(number) for number in range(people)], clips_each),
                         "interview_score": quality, "facial_expression": quality + own,
                         "follows_quality": quality + rng.normal(scale=0.4, size=size),
                         "follows_expression": own + rng.normal(scale=0.2, size=size)})


def test_one_control_by_hand():
    # Already ranks. Spearman: x-y 1 - 6*6/210 = 29/35, x-z 1 - 6*4/210 = 31/35, y-z 1 - 6*18/210 = 17/35, so
    # (29/35 - 31/35 * 17/35) / sqrt((1 - (31/35)^2) (1 - (17/35)^2)) = (1015 - 527) / sqrt(264 * 936).
    x, y, z = [1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5], [1, 3, 2, 5, 4, 6]
    assert spearman(x, y) == pytest.approx(29 / 35) and spearman(x, z) == pytest.approx(31 / 35)
    assert partial_spearman(x, y, np.array(z)[:, None]) == pytest.approx(488 / np.sqrt(264 * 936), abs=1e-12)
    assert partial_spearman(x, y, z) == pytest.approx(0.9817, abs=1e-4)  # a 1-d control is one column
    # Only the ranks count: any increasing change of a column gives the same.
    assert partial_spearman(np.exp(x), np.array(y) ** 3, np.array(z) * 10 - 4) == pytest.approx(0.98170, abs=1e-5)


def test_two_controls_with_ties_equal_the_inverse_correlation_formula_and_lstsq_residuals():
    rng = np.random.default_rng(3)
    controls = np.column_stack([rng.integers(0, 5, 40), rng.normal(size=40)])  # the first has many ties
    values = controls[:, 0] + rng.normal(size=40)
    scores = np.round(controls[:, 1] + values + rng.normal(size=40))  # ties too
    expected = inverse_correlation_partial(values, scores, controls)
    # The residuals again, written out: regress each side's ranks on [1, control ranks].
    design = np.column_stack([np.ones(40), rankdata(controls, axis=0)])
    residual = [ranks - design @ np.linalg.lstsq(design, ranks, rcond=None)[0]
                for ranks in (rankdata(values), rankdata(scores))]
    assert np.corrcoef(*residual)[0, 1] == pytest.approx(expected, abs=1e-12)
    assert partial_spearman(values, scores, controls) == pytest.approx(expected, abs=1e-12)
    assert abs(expected - spearman(values, scores)) > 0.05  # the controls do change it
    # No controls: the plain Spearman rho.
    assert partial_spearman(values, scores, np.empty((40, 0))) == pytest.approx(spearmanr(values, scores).statistic)


def test_a_strong_raw_correlation_vanishes_when_the_measure_follows_the_control():
    clips = quality_driven()
    controls = clips[["interview_score"]].to_numpy()
    raw = spearman(clips["follows_quality"], clips["facial_expression"])
    held = partial_spearman(clips["follows_quality"], clips["facial_expression"], controls)
    assert raw > 0.75 and abs(held) < 0.1
    low, high = bootstrap_partial_spearman(clips["follows_quality"], clips["facial_expression"], controls,
                                           clips["user_no"], samples=200)
    assert low < 0 < high
    # The measure that follows the rating's own part keeps (and sharpens) its association.
    raw = spearman(clips["follows_expression"], clips["facial_expression"])
    held = partial_spearman(clips["follows_expression"], clips["facial_expression"], controls)
    assert raw < 0.5 < 0.8 < held


def test_the_interval_resamples_whole_participants_with_the_seed():
    clips = quality_driven(people=12, clips_each=3)
    args = (clips["follows_expression"], clips["facial_expression"], clips[["interview_score"]], clips["user_no"])
    interval = bootstrap_partial_spearman(*args, samples=100, seed=5)
    assert interval == bootstrap_partial_spearman(*args, samples=100, seed=5)
    assert interval != bootstrap_partial_spearman(*args, samples=100, seed=6)
    estimate = partial_spearman(*args[:3])
    assert interval[0] <= estimate <= interval[1]
    # With no control the resamples are exactly those of the per-clip interval.
    assert bootstrap_partial_spearman(*args[:2], np.empty((36, 0)), args[3], samples=100, seed=5) == pytest.approx(
        bootstrap_spearman(*args[:2], args[3], samples=100, seed=5), abs=1e-4)
    # Each resample holds whole participants: every person's 3 clips or none (or twice, ...).
    numbers = clips["user_no"].astype(int).to_numpy()

    def whole_people(people):
        counts = np.bincount(people.astype(int), minlength=12)
        assert np.all(counts % 3 == 0) and counts.sum() == 36
        return 0.0

    assert bootstrap_by_group(whole_people, [numbers], numbers, samples=50) == [0.0, 0.0]


def test_missing_values_leave_their_clip_out():
    clips = quality_driven(people=10, clips_each=3)
    controls = clips[["interview_score"]].to_numpy().copy()
    controls[[2, 7]] = np.nan
    values = clips["follows_expression"].to_numpy().copy()
    values[11] = np.nan
    kept = np.setdiff1d(np.arange(30), [2, 7, 11])
    assert partial_spearman(values, clips["facial_expression"], controls) == pytest.approx(
        inverse_correlation_partial(values[kept], clips["facial_expression"].to_numpy()[kept], controls[kept]))


def test_the_partial_correlation_is_undefined_where_it_should_be():
    x, y, z = [1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5], [1, 3, 2, 5, 4, 6]
    assert partial_spearman([3] * 6, y, z) is None  # a constant side
    assert partial_spearman(x, [1, 1, 1, 1, 1, 1], z) is None
    assert partial_spearman(x, y, np.column_stack([z, y, x, z])) is None  # 6 rows, 4 controls: needs 7
    assert partial_spearman(x[:5], y[:5], np.column_stack([z, [5, 1, 2, 3, 4, 0]])[:5]) is not None  # 5: enough
    assert partial_spearman(x, y, np.array(x) * 2) is None  # the control explains x entirely
    # 8 rows but 4 distinct (a resample repeats clips): 4 - rank 3 leaves the residuals 1 dimension, so they
    # would correlate +-1 by construction.
    twice = np.tile([0, 1, 2, 3], 2)
    assert partial_spearman(np.array(x)[twice], np.array(y)[twice], np.column_stack([z, [5, 1, 2, 3, 4, 0]])[twice]) is None
    assert partial_spearman(np.array(x)[twice], np.array(y)[twice], np.array(z)[twice]) is not None  # 4 - 2 = 2
    # A constant control holds nothing constant: the same as without it.
    assert partial_spearman(x, y, np.column_stack([z, [7] * 6])) == pytest.approx(partial_spearman(x, y, z))
    assert bootstrap_partial_spearman(x, y, z, ["a", "a", "a", "b", "b", "b"]) is None  # fewer than 3 participants


# validate's partial figures (agreement/partial.py)

from expressiveness.agreement.partial import (CONTROLS_OFF, EXPLAINED, NO_CONTROLS, NO_INTERVAL_PEOPLE,  # noqa: E402
                                              PARTIAL_NO_VARIATION, partial_correlation, partial_text,
                                              rating_controls)


def test_rating_controls():
    ratings = ("interview_score", "answer_score", "facial_expression")
    assert rating_controls("all", "facial_expression", ratings) == ("interview_score", "answer_score")
    assert rating_controls("facial_expression, interview_score", "facial_expression", ratings) == ("interview_score",)
    assert rating_controls("none", "facial_expression", ratings) == ()
    with pytest.raises(ValueError) as error:
        rating_controls("interview_score,quality", "facial_expression", ratings)
    assert str(error.value) == ("'quality' is not a rating column; expected all, none or comma-separated names of "
                                "interview_score, answer_score, facial_expression.")


def test_partial_row_holds_the_controls_and_counts_complete_clips():
    clips = quality_driven(people=10, clips_each=3)
    clips.loc[[4, 9], "interview_score"] = np.nan  # two clips without that rating
    row = partial_correlation(clips, "follows_quality", "facial_expression", ["interview_score"], samples=100)
    kept = clips.drop(index=[4, 9])
    assert row["partial_clips"] == 28 and row["partial_controls"] == ["interview_score"] and row["partial_note"] == ""
    assert row["partial_spearman"] == round(inverse_correlation_partial(
        kept["follows_quality"], kept["facial_expression"], kept[["interview_score"]]), 4)
    assert row["partial_spearman_ci95"] == bootstrap_partial_spearman(
        kept["follows_quality"], kept["facial_expression"], kept[["interview_score"]], kept["user_no"], samples=100)
    assert row["partial_spearman_ci95"][0] <= row["partial_spearman"] <= row["partial_spearman_ci95"][1]
    assert partial_text(row) == (f"{row['partial_spearman']:+.2f} [{row['partial_spearman_ci95'][0]:+.2f}, "
                                 f"{row['partial_spearman_ci95'][1]:+.2f}]")


def test_a_constant_control_is_left_out_and_named():
    clips = quality_driven(people=10, clips_each=3).assign(answer_score=1.5)
    row = partial_correlation(clips, "follows_quality", "facial_expression", ["interview_score", "answer_score"],
                              samples=100)
    alone = partial_correlation(clips, "follows_quality", "facial_expression", ["interview_score"], samples=100)
    assert row["partial_controls"] == ["interview_score"]
    assert row["partial_note"] == "left out, as they do not vary over these clips: answer_score"
    assert (row["partial_spearman"], row["partial_spearman_ci95"]) == (alone["partial_spearman"],
                                                                       alone["partial_spearman_ci95"])
    only = partial_correlation(clips, "follows_quality", "facial_expression", ["answer_score"], samples=100)
    assert only["partial_spearman"] is None and only["partial_note"] == (
        f"{NO_CONTROLS} (left out, as they do not vary over these clips: answer_score)")
    assert partial_text(only) == "n/a (no controls)"


def test_partial_rows_say_why_they_are_undefined():
    clips = quality_driven(people=2, clips_each=2)  # 4 clips of 2 people
    row = partial_correlation(clips, "follows_quality", "facial_expression", ["interview_score", "follows_expression"])
    assert row["partial_spearman"] is None and row["partial_clips"] == 4
    assert row["partial_note"] == ("4 clips with the answer and every rating; holding 2 ratings constant needs at "
                                   "least 5")
    assert partial_text(row) == "n/a (too few clips)"
    row = partial_correlation(clips, "follows_quality", "facial_expression", ["interview_score"], samples=100)
    assert row["partial_spearman"] is not None and row["partial_spearman_ci95"] is None  # 2 participants: no interval
    assert row["partial_note"] == NO_INTERVAL_PEOPLE == "no interval: fewer than 3 participants"
    assert partial_text(row).endswith(" [n/a]")
    clips = quality_driven(people=4, clips_each=2)
    same = partial_correlation(clips.assign(follows_quality=2.0), "follows_quality", "facial_expression",
                               ["interview_score"])
    assert (same["partial_spearman"], same["partial_note"]) == (None, PARTIAL_NO_VARIATION)
    explained = partial_correlation(clips.assign(follows_quality=clips["interview_score"] * 3), "follows_quality",
                                    "facial_expression", ["interview_score"])
    assert (explained["partial_spearman"], explained["partial_note"]) == (None, EXPLAINED)
    assert partial_text(explained) == "n/a (explained)"
    assert partial_correlation(clips, "follows_quality", "facial_expression", [])["partial_note"] == NO_CONTROLS
    off = partial_correlation(clips, "follows_quality", "facial_expression", [], control="none")
    assert off["partial_note"] == CONTROLS_OFF and partial_text(off) == "n/a (off)"
