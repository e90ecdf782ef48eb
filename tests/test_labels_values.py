"""Levels, cut points, participant splits and class weights with hand-computed values
(metadata.py level functions and participant_split; dataset.py labels and weights)."""

import math

import numpy as np
import pandas as pd
import pytest

from expressiveness.config import LABELS
from expressiveness.levels.dataset import balanced_class_weights, load_cached_crops, prepare_data
from expressiveness.data.levels import (
    expected_level,
    expressiveness_level,
    expressiveness_levels,
    level_index,
    participant_split,
    tertile_thresholds,
)

from conftest import make_record, write_crop_cache, write_jsonl

RESERVED, BALANCED, EXPRESSIVE = LABELS


@pytest.mark.parametrize("score, thresholds, level", [
    (-1e-9, (0.0, 1.0), RESERVED), (0.0, (0.0, 1.0), BALANCED), (1.0, (0.0, 1.0), BALANCED),
    (1.0 + 1e-9, (0.0, 1.0), EXPRESSIVE), (0.5, (0.5, 0.5), BALANCED), (0.49, (0.5, 0.5), RESERVED),
    (0.51, (0.5, 0.5), EXPRESSIVE), (-2, [-1, 1], RESERVED), (np.float32(2.5), (-1, 1), EXPRESSIVE),
    (np.int64(0), (-1, 1), BALANCED),
])
def test_level_of_one_score_with_given_cut_points(score, thresholds, level):
    assert expressiveness_level(score, thresholds) == level


def test_default_cut_points_are_minus_0_303_and_0_294():
    scores = [-0.30300001, -0.303, 0.294, 0.29400001]
    assert [expressiveness_level(score) for score in scores] == [RESERVED, BALANCED, BALANCED, EXPRESSIVE]
    assert level_index(scores).tolist() == [0, 1, 1, 2]


def test_a_boolean_is_not_a_score():
    with pytest.raises(ValueError) as caught:
        expressiveness_level(True)
    assert str(caught.value) == "score is True; expected a finite number."
    with pytest.raises(ValueError) as caught:
        expressiveness_level(-math.inf)
    assert str(caught.value) == "score is -inf; expected a finite number."


def test_level_index_of_many_scores():
    scores = [-7.5, -0.304, -0.303, 0.0, 0.294, 0.295, 9.3]
    indices = level_index(scores)
    assert indices.tolist() == [0, 0, 1, 1, 1, 2, 2] and indices.dtype == np.int64
    assert level_index(np.array([[-1.0, 0.0], [1.0, 0.5]]), (0.0, 0.5)).tolist() == [[0, 1], [2, 1]]
    # A column of Python numbers (object dtype, as pandas keeps mixed input) is read as floats.
    assert level_index(pd.Series([-1, 0.0, 2], dtype=object)).tolist() == [0, 1, 2]
    with pytest.raises(ValueError) as caught:
        level_index([0.0, math.inf, math.nan])
    assert str(caught.value) == "scores contain inf; expected finite numbers."


def test_levels_series_keeps_the_index_and_the_label_order():
    scores = pd.Series([0.9, -0.9, 0.0], index=[10, 20, 30])
    levels = expressiveness_levels(scores)
    assert levels.index.tolist() == [10, 20, 30] and levels.name == "level"
    assert levels.tolist() == [EXPRESSIVE, RESERVED, BALANCED]
    assert list(levels.cat.categories) == list(LABELS)
    from_list = expressiveness_levels([-1.0, 0.4, 1.0], (-0.5, 0.5))  # 0.4 is Expressive by default
    assert from_list.index.tolist() == [0, 1, 2] and from_list.tolist() == [RESERVED, BALANCED, EXPRESSIVE]


@pytest.mark.parametrize("thresholds, message", [
    ("ab", "thresholds is 'ab'; expected two numbers (low, high)."),
    ((1.0,), "thresholds is (1.0,); expected two numbers (low, high)."),
    ((1.0, 2.0, 3.0), "thresholds is (1.0, 2.0, 3.0); expected two numbers (low, high)."),
    (None, "thresholds is None; expected two numbers (low, high)."),
    ((1.0, 0.0), "thresholds is (1.0, 0.0); expected two finite numbers with low <= high."),
    ((math.nan, 1.0), "thresholds is (nan, 1.0); expected two finite numbers with low <= high."),
    ((0.0, math.inf), "thresholds is (0.0, inf); expected two finite numbers with low <= high."),
])
def test_bad_cut_points_are_refused(thresholds, message):
    for function in (lambda: expressiveness_level(0.0, thresholds), lambda: level_index([0.0], thresholds)):
        with pytest.raises(ValueError) as caught:
            function()
        assert str(caught.value) == message


def test_expected_level_is_the_probability_weighted_index():
    assert expected_level([1.0, 0.0, 0.0]) == 0.0
    assert expected_level([0.0, 0.0, 1.0]) == 2.0
    np.testing.assert_allclose(expected_level([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]]), [1.3, 0.5])
    stacked = expected_level(np.full((2, 4, 3), 1 / 3))
    assert stacked.shape == (2, 4)
    np.testing.assert_allclose(stacked, 1.0)


@pytest.mark.parametrize("scores, expected", [
    ([10, 0, 30, 20, 60, 50, 40], (20.0, 40.0)),  # positions 2 and 4 of the sorted seven
    ([0, 3, 6, 9], (3.0, 6.0)),  # positions 1 and 2
    ([0, 1, 2, 3, 4], (4 / 3, 8 / 3)),  # positions 1.33 and 2.67: linear interpolation
    ([5, 5, 5], (5.0, 5.0)),
])
def test_tertile_cut_points_by_hand(scores, expected):
    low, high = tertile_thresholds(scores)
    assert (low, high) == pytest.approx(expected, abs=1e-12)
    assert type(low) is float and type(high) is float


@pytest.mark.parametrize("scores, message", [
    ([1.0, 2.0], "tertile_thresholds needs at least 3 finite scores; got 2 values (0 not finite)."),
    ([1.0, math.nan, 2.0, 3.0], "tertile_thresholds needs at least 3 finite scores; got 4 values (1 not finite)."),
])
def test_tertiles_need_three_finite_scores(scores, message):
    with pytest.raises(ValueError) as caught:
        tertile_thresholds(scores)
    assert str(caught.value) == message


@pytest.mark.parametrize("labels, expected", [
    # n / (3 * n_class): 7 / 12, 7 / 6, 7 / 3.
    ([0, 0, 0, 0, 1, 1, 2], {0: 7 / 12, 1: 7 / 6, 2: 7 / 3}),
    ([2, 1, 0], {0: 1.0, 1: 1.0, 2: 1.0}),
    ([0, 0, 1], {0: 0.5, 1: 1.0}),  # a class without examples gets no weight
    ([1, 1, 1, 1, 1, 2], {1: 0.4, 2: 2.0}),
])
def test_balanced_class_weights_by_hand(labels, expected):
    weights = balanced_class_weights(np.array(labels))
    assert weights == pytest.approx(expected, abs=1e-12) and set(weights) == set(expected)
    assert all(type(weight) is float for weight in weights.values())


def test_balanced_class_weights_equal_scikit_learns():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.random.default_rng(4).choice(3, size=500, p=[0.6, 0.3, 0.1])
    ours = balanced_class_weights(labels)
    theirs = compute_class_weight("balanced", classes=np.arange(3), y=labels)
    assert [ours[index] for index in range(3)] == pytest.approx(theirs.tolist())


# --- participant_split -------------------------------------------------------------------------

def _persons(levels_per_person: list[int]) -> pd.DataFrame:
    """Two clips per person whose mean falls in the given level, although one clip alone does not:
    Reserved mean -0.5 (clips -1.6, 0.6), Balanced mean 0.0 (-1.0, 1.0), Expressive 0.5 (-0.6, 1.6)."""
    clip_scores = {0: (-1.6, 0.6), 1: (-1.0, 1.0), 2: (-0.6, 1.6)}
    rows = []
    for person, level in enumerate(levels_per_person, start=1):
        for clip, score in enumerate(clip_scores[level]):
            rows.append({"id": f"{person:03d}{clip}", "user_no": str(person), "facial_expression": score})
    return pd.DataFrame(rows, index=[100 + n for n in range(2 * len(levels_per_person))])


@pytest.mark.parametrize("participants, fractions, sizes", [
    (20, (0.7, 0.15, 0.15), (14, 3, 3)),
    (10, (0.7, 0.15, 0.15), (6, 2, 2)),  # round(1.5) = 2
    (4, (0.7, 0.15, 0.15), (2, 1, 1)),  # round(0.6) = 1
    (3, (0.7, 0.15, 0.15), (1, 1, 1)),  # round(0.45) = 0, raised to one
    (8, (0.5, 0.25, 0.25), (4, 2, 2)),
    (9, (0.4, 0.2, 0.4), (3, 2, 4)),  # round(1.8) = 2, round(3.6) = 4
])
def test_split_sizes_are_rounded_fractions_of_participants(participants, fractions, sizes):
    frame = _persons([n % 3 for n in range(participants)])
    split = participant_split(frame, fractions, seed=1)
    people = tuple(frame.loc[split == part, "user_no"].nunique() for part in ("train", "validation", "test"))
    assert people == sizes


def test_split_keeps_the_frame_index_and_each_person_whole():
    frame = _persons([0, 1, 2] * 4)
    split = participant_split(frame)
    assert split.name == "split" and split.index.tolist() == frame.index.tolist()
    assert (split.groupby(frame["user_no"]).nunique() == 1).all()
    assert set(split) == {"train", "validation", "test"}


def test_small_parts_are_spread_evenly_over_the_levels_of_person_means():
    # 30 people, 10 per level of their mean score; 4 test and 4 validation places (round(4.5) = 4).
    # Ordered by level, test takes places int((k + 0.5) * 30 / 4) = 3, 11, 18, 26: levels 0, 1, 1, 2;
    # validation then takes 3, 9, 16, 22 of the 26 left (9, 8, 9 per level): levels 0, 1, 1, 2.
    frame = _persons([0] * 10 + [1] * 10 + [2] * 10)
    level_of_person = {str(person): (person - 1) // 10 for person in range(1, 31)}
    for seed in (0, 1, 42):
        split = participant_split(frame, seed=seed)
        part_of_person = split.groupby(frame["user_no"]).first()
        levels = {part: sorted(level_of_person[person] for person in part_of_person.index[part_of_person == part])
                  for part in ("train", "validation", "test")}
        assert levels == {"test": [0, 1, 1, 2], "validation": [0, 1, 1, 2], "train": [0] * 8 + [1] * 6 + [2] * 8}


def test_the_seed_shuffles_people_within_a_level():
    frame = _persons([0] * 10 + [1] * 10 + [2] * 10)
    tests = {seed: sorted(frame.loc[participant_split(frame, seed=seed) == "test", "user_no"].unique())
             for seed in range(4)}
    assert len({tuple(people) for people in tests.values()}) > 1
    assert participant_split(frame, seed=3).equals(participant_split(frame, seed=3))


def test_the_cut_points_of_the_split_are_a_parameter():
    # With cut points at +-0.7 every person mean (-0.5, 0, 0.5) is Balanced: one stratum instead of
    # three, so the same seed places other people.
    frame = _persons([0] * 10 + [1] * 10 + [2] * 10)
    default = participant_split(frame, seed=5)
    wide = participant_split(frame, seed=5, thresholds=(-0.7, 0.7))
    assert not default.equals(wide)


@pytest.mark.parametrize("participants, fractions, message", [
    (5, (0.5, 0.5, 0.0), "fractions is (0.5, 0.5, 0.0); expected three numbers in (0, 1) for train, validation "
                         "and test that add up to 1."),
    (5, (0.6, 0.2, 0.1), "fractions is (0.6, 0.2, 0.1); expected three numbers in (0, 1) for train, validation "
                         "and test that add up to 1."),
    (5, (0.8, 0.2), "fractions is (0.8, 0.2); expected three numbers in (0, 1) for train, validation and test "
                    "that add up to 1."),
    (4, (0.2, 0.4, 0.4), "participant_split with fractions (0.2, 0.4, 0.4) leaves no participant for training "
                         "out of 4; add participants or change fractions."),
])
def test_bad_fractions_are_refused(participants, fractions, message):
    with pytest.raises(ValueError) as caught:
        participant_split(_persons([0] * participants), fractions)
    assert str(caught.value) == message


def test_fractions_adding_up_to_one_within_rounding_are_accepted():
    split = participant_split(_persons([0, 1, 2] * 4), (0.7, 0.2, 0.1 + 1e-9))
    assert set(split) == {"train", "validation", "test"}


# --- prepare_data: labels, cut points and weights of the training split ----------------------------

CROPS_PER_LEVEL = {0: 5, 1: 2, 2: 1}  # unequal, so balanced weights differ from 1


def _data_set(folder, scores_by_person: dict[int, list[float]], without_crops=()):
    records, crops = [], {}
    number = 0
    for person, scores in scores_by_person.items():
        for score in scores:
            number += 1
            records.append(make_record(number, user_no=str(person), facial_expression=score))
            level = int(level_index([score])[0])
            count = 0 if number in without_crops else CROPS_PER_LEVEL[level]
            crops[f"{number:04d}"] = np.full((count, 48, 48), number, np.uint8)
    return write_jsonl(folder / "metadata.jsonl", records), write_crop_cache(folder / "cache", crops), records


@pytest.fixture
def twelve_people(tmp_path):
    # Person p has clips p/4 - 1.9 and p/4 - 1.4: means from -1.4 to 1.35, all three levels.
    scores = {person: [round(person / 4 - 1.9, 3), round(person / 4 - 1.4, 3)] for person in range(1, 13)}
    return _data_set(tmp_path, scores)


def test_labels_and_weights_come_from_the_training_split(twelve_people):
    metadata, cache, records = twelve_people
    data = prepare_data(metadata, cache)
    score_of = {record["id"]: record["facial_expression"] for record in records}
    for name, split in data.splits.items():
        expected_labels = [int(level_index([score_of[video_id]])[0]) for video_id in split.video_ids]
        assert split.labels.tolist() == expected_labels, name
        # Each clip's crops are its own (filled with the clip number), in clip order.
        assert [int(crop[0, 0, 0]) for crop in split.crops] == [int(video_id) for video_id in split.video_ids]
        assert split.clips["label"].tolist() == [int(level_index([score_of[i]])[0]) for i in split.clips["id"]]
    train = data.splits["train"]
    counts = np.bincount(train.labels, minlength=3)
    assert train.class_counts() == counts.tolist()
    assert data.class_weights == pytest.approx({k: counts.sum() / (3 * counts[k]) for k in range(3)})
    assert max(data.class_weights.values()) / min(data.class_weights.values()) > 2  # the weights really differ
    all_counts = np.bincount(np.concatenate([s.labels for s in data.splits.values()]), minlength=3)
    assert data.class_weights != pytest.approx({k: all_counts.sum() / (3 * all_counts[k]) for k in range(3)})


def test_tertile_cut_points_come_from_the_training_clips_only(twelve_people):
    metadata, cache, records = twelve_people
    default = prepare_data(metadata, cache)
    data = prepare_data(metadata, cache, thresholds="tertiles")
    train_ids = set(data.splits["train"].clips["id"])
    train_scores = sorted(record["facial_expression"] for record in records if record["id"] in train_ids)
    all_scores = sorted(record["facial_expression"] for record in records)
    assert data.thresholds == tertile_thresholds(train_scores)
    assert data.thresholds != pytest.approx(tertile_thresholds(all_scores))
    assert data.threshold_source == "tertiles of the training split"
    # The split is made with the default cut points: it is the same with tertiles.
    for name in ("train", "validation", "test"):
        assert data.splits[name].participants == default.splits[name].participants
        assert data.splits[name].clips["label"].tolist() == level_index(
            data.splits[name].clips["facial_expression"], data.thresholds).tolist()


def test_given_cut_points_label_the_clips(twelve_people):
    metadata, cache, _ = twelve_people
    data = prepare_data(metadata, cache, thresholds=(-1.0, 1.0))
    assert data.thresholds == (-1.0, 1.0) and data.threshold_source == "given"
    for split in data.splits.values():
        assert split.clips["label"].tolist() == level_index(split.clips["facial_expression"], (-1.0, 1.0)).tolist()
    with pytest.raises(ValueError) as caught:
        prepare_data(metadata, cache, thresholds="median")
    assert str(caught.value) == 'thresholds is \'median\'; expected "default", "tertiles" or two numbers.'


def test_participants_are_listed_in_natural_order_and_clips_without_crops_are_counted(tmp_path):
    scores = {person: [round(person / 4 - 1.9, 3), round(person / 4 - 1.4, 3)] for person in range(1, 13)}
    metadata, cache, _ = _data_set(tmp_path, scores, without_crops=(3, 4, 24))
    data = prepare_data(metadata, cache)
    assert data.skipped_clips == {"without a face or not yet extracted": 3}
    people = [person for split in data.splits.values() for person in split.participants]
    # The split comes from every record, so person 2 (whose clips 3 and 4 have no crop) has a place
    # in exactly one part, and contributes no clip and no crop there.
    assert people.count("2") == 1
    assert all("0004" not in set(split.video_ids) for split in data.splits.values())
    for split in data.splits.values():
        assert split.participants == sorted(split.participants, key=int)
        assert "0003" not in set(split.video_ids) and "0024" not in set(split.video_ids)
    assert sum(len(split.clips) for split in data.splits.values()) == 21


def test_cached_crops_without_a_face_are_left_out(tmp_path):
    cache = write_crop_cache(tmp_path / "cache", {"0001": np.zeros((2, 48, 48), np.uint8),
                                                   "0002": np.zeros((0, 48, 48), np.uint8)})
    found = load_cached_crops(cache, ["0001", "0002", "0003"])
    assert list(found) == ["0001"] and found["0001"]["crops"].shape == (2, 48, 48)


def test_summary_line_of_a_prepared_data_set(twelve_people):
    metadata, cache, _ = twelve_people
    data = prepare_data(metadata, cache)
    assert data.summary() == (
        "Cut points -0.303 / 0.294 (default). train: 8 participants, 16 clips, 43 crops [30, 6, 7]; validation: "
        "2 participants, 4 clips, 13 crops [10, 2, 1]; test: 2 participants, 4 clips, 12 crops [10, 0, 2]. Clips "
        "without crops: 0 without a face or not yet extracted. The test split has no Balanced Expression clip.")
    # Training counts 30, 6, 7 of 43 crops: weights 43 / 90, 43 / 18, 43 / 21.
    assert data.class_weights == pytest.approx({0: 43 / 90, 1: 43 / 18, 2: 43 / 21})
    assert data.missing_classes == {"test": [BALANCED]}


def test_held_out_splits_lacking_a_level_are_listed(tmp_path):
    scores = {person: [-1.0 if person <= 4 else (0.0 if person <= 8 else 1.0)] for person in range(1, 11)}
    metadata, cache, _ = _data_set(tmp_path, scores)
    data = prepare_data(metadata, cache)
    assert [split.class_counts() for split in data.splits.values()] == [[10, 6, 1], [5, 0, 1], [5, 2, 0]]
    assert data.missing_classes == {"validation": [BALANCED], "test": [EXPRESSIVE]}
    assert data.summary().endswith(". The validation split has no Balanced Expression clip. The test split has no "
                                   "Expressive clip.")
