"""Crop cache + metadata -> labelled, participant-split arrays and tf.data pipelines.

Every crop gets the level of its clip. The split is by participant (`participant_split`),
so no person is in two of train / validation / test, and it is computed from every record of
the data set, before clips without crops are dropped: it is the data set's one split, the same
for every model and cache, and the same as `participant_split(load_metadata(path))`. Cut
points are the fixed defaults or tertiles of the training split only. Augmentation runs on the
training pipeline only and is not part of the model; its magnitudes come from TrainConfig.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness.levels._optional import import_training_stack
from expressiveness.data.cache import crop_settings, load_cached_crops
from expressiveness.config import FACE_SIZE, LABELS, SEED, SPLIT_FRACTIONS, TARGET_SCORE, THRESHOLDS
from expressiveness.errors import DatasetError
from expressiveness.data.metadata import load_metadata
from expressiveness.data.levels import SPLITS, level_index, participant_split, tertile_thresholds
from expressiveness.levels.train_config import TrainConfig

tf, keras = import_training_stack(__name__)


@dataclass
class SplitData:
    crops: np.ndarray  # uint8 (N, 48, 48, 1)
    labels: np.ndarray  # int64 (N,), class index in LABELS order
    video_ids: np.ndarray  # str (N,), the clip of each crop
    participants: list[str]  # user_no assigned to this split (with or without crops)
    clips: pd.DataFrame  # one row per clip with crops: id, user_no, facial_expression, label

    def class_counts(self) -> list[int]:
        return np.bincount(self.labels, minlength=len(LABELS)).tolist()


@dataclass
class PreparedData:
    splits: dict[str, SplitData]
    thresholds: tuple[float, float]
    threshold_source: str  # "default", "tertiles of the training split" or "given"
    class_weights: dict[int, float]
    cache_dir: Path
    crop: dict = field(default_factory=dict)  # how the cache made its crops: margin, align, ...
    skipped_clips: dict[str, int] = field(default_factory=dict)  # reason -> clips
    missing_classes: dict[str, list[str]] = field(default_factory=dict)  # split -> levels it lacks
    extraction: dict | None = None  # the cache's settings.json (sampling and crop); None without one

    def summary(self) -> str:
        parts = "; ".join(f"{name}: {len(data.participants)} participants, {len(data.clips)} clips, "
                          f"{len(data.labels)} crops {data.class_counts()}"
                          for name, data in self.splits.items())
        skipped = ", ".join(f"{count} {reason}" for reason, count in self.skipped_clips.items()) or "none"
        lacking = "".join(f" The {name} split has no {' or '.join(levels)} clip."
                          for name, levels in self.missing_classes.items())
        return (f"Cut points {self.thresholds[0]:.3f} / {self.thresholds[1]:.3f} ({self.threshold_source}). "
                f"{parts}. Clips without crops: {skipped}.{lacking}")


def prepare_data(metadata_path: str | Path, cache_dir: str | Path, thresholds="default",
                 fractions: tuple[float, float, float] = SPLIT_FRACTIONS, seed: int = SEED) -> PreparedData:
    """Label the cached crops and split them by participant.

    The split comes from every record of the metadata (`participant_split` with `fractions`
    and `seed`); clips without crops (no face, not extracted) then contribute nothing.
    thresholds: "default" (-0.303, 0.294), "tertiles" (33.3rd / 66.7th percentiles of the
    training clips' scores), or a (low, high) pair. The split is stratified with the default
    cut points, so it does not change with the thresholds.
    Raises DatasetError for an empty cache, a split without any crop, or a training split
    lacking a level; a validation or test split lacking one is allowed and listed in
    `missing_classes`.
    """
    records = load_metadata(metadata_path)
    cache_dir = Path(cache_dir)
    if not (cache_dir / "crops").is_dir():
        raise DatasetError(f"{cache_dir}: no crop cache here; expected the folder written by "
                           f"`expressiveness extract` (with crops/ and manifest.csv).")
    cached = load_cached_crops(cache_dir, records["id"])
    if not cached:
        raise DatasetError(f"{cache_dir}: the crop cache has no face crop for any of the {len(records)} clips "
                           f"of {metadata_path}; run `expressiveness extract` first or check its manifest.csv.")
    records["split"] = participant_split(records, fractions, seed)
    members = {name: sorted(records.loc[records["split"] == name, "user_no"].unique(), key=_natural)
               for name in SPLITS}
    skipped = {"without a face or not yet extracted": int((~records["id"].isin(list(cached))).sum())}
    records = records[records["id"].isin(list(cached))].reset_index(drop=True)
    for name in SPLITS:
        if not (records["split"] == name).any():
            raise DatasetError(f"the {name} split (participants {', '.join(members[name])}) has no clip with face "
                               f"crops in {cache_dir}; expected crops in every split. Extract its clips (see "
                               f"manifest.csv), or change the split seed (--split-seed) or the fractions.")

    if isinstance(thresholds, str) and thresholds == "default":
        cut_points, source = THRESHOLDS, "default"
    elif isinstance(thresholds, str) and thresholds == "tertiles":
        train_scores = records.loc[records["split"] == "train", TARGET_SCORE]
        cut_points, source = tertile_thresholds(train_scores), "tertiles of the training split"
    elif isinstance(thresholds, str):
        raise ValueError(f'thresholds is {thresholds!r}; expected "default", "tertiles" or two numbers.')
    else:
        cut_points, source = tuple(float(value) for value in thresholds), "given"
    records["label"] = level_index(records[TARGET_SCORE], cut_points)

    splits, missing_classes = {}, {}
    for name in SPLITS:
        clips = records[records["split"] == name]
        crops = [cached[video_id]["crops"] for video_id in clips["id"]]
        counts = [len(block) for block in crops]
        data = SplitData(
            crops=np.concatenate(crops)[..., np.newaxis],
            labels=np.repeat(clips["label"].to_numpy(), counts),
            video_ids=np.repeat(clips["id"].to_numpy(), counts),
            participants=members[name],
            clips=clips[["id", "user_no", TARGET_SCORE, "label"]].reset_index(drop=True),
        )
        missing = [LABELS[index] for index, count in enumerate(data.class_counts()) if count == 0]
        if missing and name == "train":
            raise DatasetError(f"the train split ({len(data.participants)} participants, {len(clips)} clips) has "
                               f"no crop of {', '.join(missing)} with cut points {cut_points[0]:.3f} / "
                               f"{cut_points[1]:.3f}; expected every level in the training split. Add "
                               f"participants, or change the split seed (--split-seed), the fractions or the "
                               f"cut points.")
        if missing:
            # Metrics stay defined (the class has support 0); the summary and card say so.
            missing_classes[name] = missing
        splits[name] = data
    settings_path = cache_dir / "settings.json"
    extraction = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else None
    return PreparedData(splits, tuple(cut_points), source, balanced_class_weights(splits["train"].labels),
                        cache_dir, crop_settings(cache_dir), skipped, missing_classes, extraction)


def _natural(text: str):
    return (0, int(text)) if text.isdigit() else (1, text)


def balanced_class_weights(labels: np.ndarray) -> dict[int, float]:
    """n_samples / (n_classes * n_class) per class, as scikit-learn's "balanced" weights."""
    counts = np.bincount(labels, minlength=len(LABELS))
    return {index: float(len(labels) / (len(LABELS) * count)) for index, count in enumerate(counts) if count}


def augmentation_layers(seed: int = SEED, magnitudes: dict | None = None):
    """Keras preprocessing layers for training batches (float crops, (B, 48, 48, 1)).

    magnitudes: TrainConfig.augmentation (its defaults when None): rotation_fraction (of a
    full turn), shift_fraction and zoom_fraction (of the crop size), horizontal_flip.
    """
    magnitudes = TrainConfig(augmentation=magnitudes or {}).augmentation
    steps = [keras.layers.RandomRotation(magnitudes["rotation_fraction"], fill_mode="nearest", seed=seed),
             keras.layers.RandomTranslation(magnitudes["shift_fraction"], magnitudes["shift_fraction"],
                                            fill_mode="nearest", seed=seed + 1),
             keras.layers.RandomZoom(magnitudes["zoom_fraction"], fill_mode="nearest", seed=seed + 2)]
    if magnitudes["horizontal_flip"]:
        steps.append(keras.layers.RandomFlip("horizontal", seed=seed + 3))
    return keras.Sequential(steps, name="augmentation")


def make_pipeline(crops: np.ndarray, labels: np.ndarray, batch_size: int = 32, training: bool = False,
                  seed: int = SEED, augment: bool = True, magnitudes: dict | None = None):
    """tf.data pipeline of (crops float32 (B, 48, 48, 1) in [0, 255], one-hot labels (B, 3)).

    Cached in memory (the crops are small: 2.3 KB each), shuffled with `seed` each epoch and
    augmented when training (magnitudes: TrainConfig.augmentation), batched and prefetched.
    The same seed gives the same batches in the same order: the augmentation's random state
    advances once per batch, so it runs on one batch at a time (it is cheap beside training).
    """

    if crops.ndim != 4 or crops.shape[1:] != (FACE_SIZE, FACE_SIZE, 1):
        raise DatasetError(f"crops have shape {crops.shape}; expected (N, {FACE_SIZE}, {FACE_SIZE}, 1).")
    one_hot = np.eye(len(LABELS), dtype="float32")[labels]
    pipeline = tf.data.Dataset.from_tensor_slices((crops, one_hot)).cache()
    if training:
        pipeline = pipeline.shuffle(len(crops), seed=seed, reshuffle_each_iteration=True)
    pipeline = pipeline.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y),
                                              num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if training and augment:
        augmenter = augmentation_layers(seed, magnitudes)
        pipeline = pipeline.map(lambda x, y: (augmenter(x, training=True), y))
    return pipeline.prefetch(tf.data.AUTOTUNE)
