"""Property-based tests of where `facial_expression` scores become levels (expressiveness/data/
metadata.py: the cut points, tertiles and the participant split stratified by level).

DESIGN.md: Reserved if score < low; Balanced if low <= score <= high; Expressive if score > high,
with (low, high) = (-0.303, 0.294) by default or the tertiles of the training split. Runs are
derandomized and keep no example database, so a failure replays with the same example.
"""

import math
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, configuration, example, given, settings
from hypothesis import strategies as st

from expressiveness.config import LABELS, SPLIT_FRACTIONS, TARGET_SCORE, THRESHOLDS
from expressiveness.data.levels import (
    expressiveness_level,
    expressiveness_levels,
    level_index,
    participant_split,
    tertile_thresholds,
)
from expressiveness.errors import DatasetError

from conftest import examples

SETTINGS = settings(max_examples=examples(200), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Hypothesis keeps its caches (Unicode tables, constants of the package's source, written while
# pytest collects) and failure patches in .hypothesis/ of the working directory: not in the work tree.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "expressiveness-hypothesis")


FINITE = st.floats(allow_nan=False, allow_infinity=False)
SCORES = st.one_of(FINITE, st.integers(-10**20, 10**20),
                   st.floats(width=32, allow_nan=False, allow_infinity=False).map(np.float32))
CUT_POINTS = st.one_of(st.just(THRESHOLDS), st.lists(FINITE, min_size=2, max_size=2).map(sorted).map(tuple))


def documented_level(score: float, low: float, high: float) -> int:
    """The DESIGN.md rule, as an index in LABELS."""
    return 0 if score < low else 1 if score <= high else 2


@SETTINGS
@given(score=SCORES, cut_points=CUT_POINTS)
@example(score=-0.303, cut_points=THRESHOLDS).via("the low cut point itself is Balanced")
@example(score=0.294, cut_points=THRESHOLDS).via("the high cut point itself is Balanced")
@example(score=math.nextafter(-0.303, -math.inf), cut_points=THRESHOLDS).via("just below low is Reserved")
@example(score=math.nextafter(0.294, math.inf), cut_points=THRESHOLDS).via("just above high is Expressive")
@example(score=np.float32(0.294), cut_points=(0.294, 1.0)).via("a float32 just below low, not compared in float32")
def test_every_score_gets_exactly_the_documented_level(score, cut_points):
    """A finite score (Python or numpy, float32 too) gets one level, the one of the documented
    rule applied to its exact value, from the scalar, the index and the categorical functions
    alike."""
    low, high = cut_points
    expected = documented_level(float(score), low, high)
    assert expressiveness_level(score, cut_points) == LABELS[expected]
    assert level_index([score], cut_points).tolist() == [expected]
    levels = expressiveness_levels(pd.Series([score], index=[7]), cut_points)
    assert levels.tolist() == [LABELS[expected]] and list(levels.index) == [7]
    assert list(levels.cat.categories) == list(LABELS)


@SETTINGS
@given(scores=st.lists(FINITE, max_size=50), cut_points=CUT_POINTS)
def test_levels_rise_with_the_score(scores, cut_points):
    """Levels are monotone: a higher score never gets a lower level; the index is int64 in 0..2."""
    indices = level_index(sorted(scores), cut_points)
    assert indices.dtype == np.int64 and len(indices) == len(scores)
    assert np.all(np.diff(indices) >= 0) and np.all((0 <= indices) & (indices <= 2))


@SETTINGS
@given(cut_points=CUT_POINTS)
def test_the_cut_points_are_exact_boundaries(cut_points):
    """Each cut point is Balanced and the float just outside it is the next level down or up."""
    low, high = cut_points
    below, above = math.nextafter(low, -math.inf), math.nextafter(high, math.inf)
    scores = [below, low, high, above]
    expected = [0, 1, 1, 2]
    if not math.isfinite(above):  # high is the largest float: nothing lies above it
        del scores[3], expected[3]
    if not math.isfinite(below):
        del scores[0], expected[0]
    assert level_index(scores, cut_points).tolist() == expected
    assert [expressiveness_level(score, cut_points) for score in scores] == [LABELS[index] for index in expected]


BAD_SCORES = [math.nan, math.inf, -math.inf, np.float64("nan"), True, "0.1", None, Decimal("0.1"), [0.1], 10**400]
BAD_IN_LISTS = [math.nan, -math.inf, np.float32("inf"), None, "x", {}, 10**400]  # numpy reads "0.1" and True


@SETTINGS
@given(bad=st.sampled_from(BAD_SCORES))
@example(bad=10**400).via("an integer beyond float64")
def test_a_score_that_is_no_finite_number_is_refused(bad):
    """NaN, infinities, booleans, text, None and numbers beyond float64 are refused with a
    ValueError of one line naming the score and saying what was expected."""
    with pytest.raises(ValueError, match=r"^score is .*; expected a finite number\.$"):
        expressiveness_level(bad)


@SETTINGS
@given(bad=st.sampled_from(BAD_IN_LISTS), good=st.lists(FINITE, max_size=5), position=st.integers(0, 5))
@example(bad=10**400, good=[], position=0).via("an integer beyond float64")
@example(bad="x", good=[], position=0).via("text")
def test_a_list_with_a_score_that_is_no_finite_number_is_refused(bad, good, position):
    """Anywhere in a list, a score that is not a finite number makes the vectorised functions
    raise a ValueError of one line saying what was expected."""
    scores = good[:position] + [bad] + good[position:]
    for vectorised in (level_index, expressiveness_levels):
        with pytest.raises(ValueError, match=r"^scores .*; expected finite numbers\.$"):
            vectorised(scores)


BAD_CUT_POINTS = [(math.nan, 0.0), (0.0, math.inf), (-math.inf, 0.0), (1.0, 0.0), (0.0, 1.0, 2.0), (0.0,), None,
                  "ab", (10**400, 10**401), ("low", "high")]


@SETTINGS
@given(bad=st.sampled_from(BAD_CUT_POINTS), score=FINITE)
@example(bad=(10**400, 10**401), score=0.0).via("cut points beyond float64")
def test_bad_cut_points_are_refused(bad, score):
    """Cut points that are not two finite numbers with low <= high are refused with a
    ValueError naming them."""
    for assign in (expressiveness_level, level_index):
        with pytest.raises(ValueError, match=r"^thresholds is .*; expected two .*\.$"):
            assign(score, bad)


@SETTINGS
@given(scores=st.lists(FINITE, min_size=3, max_size=200, unique=True))
@example(scores=[-1.7e308, 1.7e308, 1.75e308]).via("interpolating near the largest float overflows")
def test_tertiles_split_distinct_scores_into_balanced_levels(scores):
    """The tertile cut points of distinct scores are finite, lie within the scores' range with
    low <= high, and give each level a third of the scores, give or take one."""
    low, high = tertile_thresholds(scores)
    assert math.isfinite(low) and math.isfinite(high) and min(scores) <= low <= high <= max(scores)
    counts = np.bincount(level_index(scores, (low, high)), minlength=3)
    assert np.all(np.abs(counts - len(scores) / 3) <= 1), counts


@SETTINGS
@given(scores=st.lists(st.one_of(FINITE, st.sampled_from([math.nan, math.inf, "x", None, 10**400])), max_size=6))
def test_tertiles_of_too_few_or_bad_scores_are_refused(scores):
    """Fewer than 3 scores, or any that is not a finite number, raise DatasetError saying so."""
    if len(scores) >= 3 and all(isinstance(score, float) and math.isfinite(score) for score in scores):
        low, high = tertile_thresholds(scores)
        assert low <= high
        return
    with pytest.raises(DatasetError, match=r"^tertile_thresholds needs at least 3 finite scores; got "):
        tertile_thresholds(scores)


FRACTIONS = [SPLIT_FRACTIONS, (0.5, 0.25, 0.25), (0.2, 0.4, 0.4), (0.34, 0.33, 0.33), (0.8, 0.1, 0.1)]


@st.composite
def data_sets(draw):
    """Records of 3 to 40 participants with 1 to 3 clips each, in any order."""
    people = draw(st.integers(3, 40))
    rows = [{"id": f"{person:03d}{clip}", "user_no": str(person),
             TARGET_SCORE: draw(st.floats(-8, 9) | st.sampled_from(THRESHOLDS))}
            for person in range(people) for clip in range(draw(st.integers(1, 3)))]
    return pd.DataFrame(draw(st.permutations(rows)))


@settings(SETTINGS, max_examples=examples(100))
@given(frame=data_sets(), fractions=st.sampled_from(FRACTIONS), seed=st.integers(0, 2**32 - 1))
def test_the_participant_split_is_disjoint_sized_and_stratified_by_level(frame, fractions, seed):
    """Every record gets one part and every participant is in one part only; the parts have
    round(fraction * participants) people, at least one each; within each level of the
    participants' mean score, test and validation places are spread in proportion (to less
    than one person); the split depends on the records, not on their order."""
    people = frame["user_no"].nunique()
    if people - max(1, round(fractions[1] * people)) - max(1, round(fractions[2] * people)) < 1:
        with pytest.raises(DatasetError, match=r"^participant_split with fractions .* leaves no participant"):
            participant_split(frame, fractions, seed)
        return
    split = participant_split(frame, fractions, seed)
    assert list(split.index) == list(frame.index) and set(split) <= {"train", "validation", "test"}
    part_of = frame.assign(split=split).groupby("user_no")["split"].unique()
    assert all(len(parts) == 1 for parts in part_of)
    part_of = part_of.str[0]
    sizes = {part: int((part_of == part).sum()) for part in ("validation", "test")}
    assert sizes == {"validation": max(1, round(fractions[1] * people)), "test": max(1, round(fractions[2] * people))}
    assert people - sizes["validation"] - sizes["test"] >= 1
    level = pd.Series(level_index(frame.groupby("user_no")[TARGET_SCORE].mean(), THRESHOLDS),
                      index=sorted(part_of.index))
    for stratum in range(3):
        members = part_of[level[level == stratum].index]
        in_test = int((members == "test").sum())
        assert abs(in_test - sizes["test"] * len(members) / people) < 1
        assert abs(int((members == "validation").sum())
                   - sizes["validation"] * (len(members) - in_test) / (people - sizes["test"])) < 1
    shuffled = frame.sample(frac=1, random_state=seed)
    assert participant_split(shuffled, fractions, seed).equals(split.loc[shuffled.index])
