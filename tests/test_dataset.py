import numpy as np
import pytest

from expressiveness.levels.dataset import DatasetError, make_pipeline, prepare_data
from expressiveness.data.levels import tertile_thresholds

from conftest import make_record, separable_crops, write_crop_cache, write_jsonl


def test_crops_are_labelled_by_clip_and_split_by_participant(separable_data):
    metadata, cache = separable_data
    data = prepare_data(metadata, cache)
    people = [set(data.splits[name].participants) for name in ("train", "validation", "test")]
    assert not (people[0] & people[1] or people[0] & people[2] or people[1] & people[2])
    assert sum(len(p) for p in people) == 15
    assert sum(len(split.labels) for split in data.splits.values()) == 45 * 16
    for split in data.splits.values():
        assert split.crops.shape[1:] == (48, 48, 1) and split.crops.dtype == np.uint8
        # separable_crops: label 1 has bright rows, label 2 bright columns.
        rows_brighter = split.crops[..., 0].mean(axis=2).std(axis=1) > split.crops[..., 0].mean(axis=1).std(axis=1)
        assert (rows_brighter[split.labels == 1]).all() and not (rows_brighter[split.labels == 2]).any()
    counts = np.bincount(data.splits["train"].labels, minlength=3)
    # Every participant here has one clip of each level, so the balanced weights are all 1;
    # test_labels_values.py checks them on unequal counts.
    assert counts.tolist() == [len(data.splits["train"].participants) * 16] * 3
    assert data.class_weights == pytest.approx({0: 1.0, 1: 1.0, 2: 1.0})
    assert data.thresholds == (-0.303, 0.294) and data.threshold_source == "default"


def test_tertiles_come_from_the_training_split_only(tmp_path):
    rng = np.random.default_rng(0)
    records, crops = [], {}
    for number in range(1, 31):
        score = float(rng.normal(0, 1.2))
        records.append(make_record(number, user_no=str(number), facial_expression=round(score, 3)))
        crops[f"{number:04d}"] = separable_crops(0, 2, rng)
    metadata = write_jsonl(tmp_path / "metadata.jsonl", records)
    cache = write_crop_cache(tmp_path / "cache", crops)
    data = prepare_data(metadata, cache, thresholds="tertiles")
    train_ids = set(data.splits["train"].clips["id"])
    train_scores = [r["facial_expression"] for r in records if r["id"] in train_ids]
    assert data.thresholds == pytest.approx(tertile_thresholds(train_scores))
    assert data.threshold_source == "tertiles of the training split"


def test_empty_cache_is_a_clear_error(separable_data, tmp_path):
    metadata, _ = separable_data
    (tmp_path / "cache" / "crops").mkdir(parents=True)
    with pytest.raises(DatasetError) as caught:
        prepare_data(metadata, tmp_path / "cache")
    assert str(caught.value) == (f"{tmp_path / 'cache'}: the crop cache has no face crop for any of the 45 clips of "
                                 f"{metadata}; run `expressiveness extract` first or check its manifest.csv.")
    with pytest.raises(DatasetError, match="no crop cache here"):
        prepare_data(metadata, tmp_path / "nothing")


def test_training_split_without_a_level_is_a_clear_error(tmp_path):
    rng = np.random.default_rng(0)
    records = [make_record(n, user_no=str(n), facial_expression=-1.0 if n % 2 else 1.0) for n in range(1, 11)]
    metadata = write_jsonl(tmp_path / "metadata.jsonl", records)
    cache = write_crop_cache(tmp_path / "cache", {f"{n:04d}": separable_crops(0, 2, rng) for n in range(1, 11)})
    with pytest.raises(DatasetError, match=r"^the train split \(6 participants, 6 clips\) has no crop of Balanced "
                                           r"Expression with cut points -0.303 / 0.294"):
        prepare_data(metadata, cache)


def test_pipeline_batches_one_hot_and_augments_only_training():
    crops = np.full((10, 48, 48, 1), 7, np.uint8)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    x, y = next(iter(make_pipeline(crops, labels, batch_size=4)))
    assert x.shape == (4, 48, 48, 1) and x.dtype.name == "float32" and float(x.numpy().max()) == 7.0
    np.testing.assert_array_equal(y.numpy(), np.eye(3)[labels[:4]])
    varied = np.random.default_rng(1).integers(0, 256, (10, 48, 48, 1)).astype(np.uint8)
    plain = np.concatenate([b[0].numpy() for b in make_pipeline(varied, labels, 10)])
    np.testing.assert_array_equal(plain, varied.astype("float32"))
    augmented = next(iter(make_pipeline(varied, labels, 10, training=True)))[0].numpy()
    assert not np.array_equal(np.sort(augmented.ravel()), np.sort(varied.astype("float32").ravel()))
    with pytest.raises(DatasetError, match=r"crops have shape \(10, 48, 48\); expected \(N, 48, 48, 1\)."):
        make_pipeline(crops[..., 0], labels)


def test_crop_settings_come_from_the_cache(demo_dir, tmp_path):
    from expressiveness.levels.dataset import crop_settings
    from expressiveness.pipeline.extract import extract_dataset
    from expressiveness.data.cache import ExtractSettings

    settings = ExtractSettings(frames_per_clip=2, margin=0.25, align=True, face_selection="most_confident")
    extract_dataset(demo_dir / "metadata.jsonl", tmp_path / "cache", settings, workers=1, progress=False)
    assert crop_settings(tmp_path / "cache") == {"margin": 0.25, "align": True, "size": 48,
                                                 "min_confidence": 0.5, "face_selection": "most_confident"}


def test_the_split_comes_from_every_record_even_without_crops(separable_data, tmp_path):
    # Participant 2 has no crops (say, no face in any clip): the others keep the split they have
    # in participant_split(all records), the README's snippet, instead of being re-split.
    import shutil

    from expressiveness import load_metadata, participant_split

    metadata, cache = separable_data
    shutil.copytree(cache, tmp_path / "cache", ignore=shutil.ignore_patterns("0004.npz", "0005.npz", "0006.npz"))
    data = prepare_data(metadata, tmp_path / "cache")
    records = load_metadata(metadata)
    records["split"] = participant_split(records)
    expected = {name: sorted(records.loc[records["split"] == name, "user_no"].unique(), key=int)
                for name in ("train", "validation", "test")}
    assert {name: split.participants for name, split in data.splits.items()} == expected
    assert "2" in data.splits["train"].participants and "2" not in set(data.splits["train"].clips["user_no"])
    assert data.skipped_clips == {"without a face or not yet extracted": 3}


def test_a_split_without_any_crop_is_a_clear_error(separable_data, tmp_path):
    import shutil

    metadata, cache = separable_data
    # Participants 7 and 12 form the test split; neither has crops here.
    shutil.copytree(cache, tmp_path / "cache", ignore=shutil.ignore_patterns(
        *(f"{number:04d}.npz" for person in (7, 12) for number in range(person * 3 - 2, person * 3 + 1))))
    with pytest.raises(DatasetError) as caught:
        prepare_data(metadata, tmp_path / "cache")
    assert str(caught.value) == (f"the test split (participants 7, 12) has no clip with face crops in "
                                 f"{tmp_path / 'cache'}; expected crops in every split. Extract its clips (see "
                                 f"manifest.csv), or change the split seed (--split-seed) or the fractions.")


def test_augmentation_magnitudes_come_from_the_configuration():
    varied = np.random.default_rng(1).integers(0, 256, (12, 48, 48, 1)).astype(np.uint8)
    labels = np.arange(12) % 3
    still = {"rotation_fraction": 0.0, "shift_fraction": 0.0, "zoom_fraction": 0.0, "horizontal_flip": False}
    batch = next(iter(make_pipeline(varied, labels, 12, training=True, magnitudes=still)))[0].numpy()
    key = lambda crops: crops.reshape(len(crops), -1).sum(axis=1)  # noqa: E731 (shuffled: compare as a set)
    np.testing.assert_array_equal(np.sort(key(batch)), np.sort(key(varied.astype("float32"))))
    with pytest.raises(ValueError, match=r"^augmentation has unknown keys \['rotation'\]; expected some of "):
        make_pipeline(varied, labels, 12, training=True, magnitudes={"rotation": 0.1})
