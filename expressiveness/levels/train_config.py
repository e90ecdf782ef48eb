"""Every training hyperparameter, with its default, in one place: TrainConfig.

The model card records the whole TrainConfig ("training"), model.build_model takes its
batch-normalization momentum and dropout rates, dataset takes its augmentation magnitudes, and
the `expressiveness train` command builds its options from these defaults. No TensorFlow here,
so the command line can build its parser without it.

Two defaults are not training choices and stay in config.py: the participant split's
fractions and seed (SPLIT_FRACTIONS, SEED) define the data set's one split, shared by every
model trained on it and by `participant_split(clips)`; TrainConfig records them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from expressiveness.config import SEED, SPLIT_FRACTIONS

# Training augmentation of each batch (Keras preprocessing layers); not part of the model.
_AUGMENTATION = {
    "rotation_fraction": 0.05,  # of a full turn: +-18 degrees
    "shift_fraction": 0.1,  # of the crop size, horizontally and vertically
    "horizontal_flip": True,
    "zoom_fraction": 0.1,  # +-10 %
}


@dataclass
class TrainConfig:
    """Hyperparameters of one training run; every one is recorded in the model card.

    name: the model's file name (models/<name>.keras). seed: weight initialisation, shuffling
    and augmentation. split_seed and split_fractions: the participant split (train,
    validation, test), the same for every model of a data set unless changed here.
    thresholds: "default", "tertiles" (of the training split) or (low, high).
    """

    name: str = "expressiveness_cnn"
    # Optimisation: Adam on categorical cross-entropy, early stopping on validation loss.
    epochs: int = 50
    batch_size: int = 32
    learning_rate: float = 0.001
    early_stopping_patience: int = 10  # epochs without a lower validation loss
    reduce_lr_patience: int = 5
    reduce_lr_factor: float = 0.5
    min_learning_rate: float = 1e-6
    class_weighting: bool = True  # "balanced" weights from the training split
    # Model (model.build_model). Momentum 0.9, not Keras' 0.99: see build_model.
    batch_norm_momentum: float = 0.9
    conv_dropout: float = 0.25  # after each convolution block
    dense_dropout: float = 0.5  # after the dense layer
    # Augmentation of training batches (dataset.augmentation_layers).
    augment: bool = True
    augmentation: dict = field(default_factory=lambda: dict(_AUGMENTATION))
    # Data.
    thresholds: object = "default"
    split_fractions: tuple = SPLIT_FRACTIONS
    split_seed: int = SEED
    seed: int = SEED

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} is {value!r}; expected a whole number >= 1.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate is {self.learning_rate!r}; expected a positive number such as 0.001.")
        if not self.name or any(char in self.name for char in "/\\") or self.name.startswith("."):
            raise ValueError(f"name is {self.name!r}; expected a plain file name such as 'expressiveness_cnn'.")
        for name in ("batch_norm_momentum", "conv_dropout", "dense_dropout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < 1):
                raise ValueError(f"{name} is {value!r}; expected a number in [0, 1).")
        unknown = sorted(set(self.augmentation) - set(_AUGMENTATION))
        if unknown:
            raise ValueError(f"augmentation has unknown keys {unknown}; expected some of {sorted(_AUGMENTATION)}.")
        self.augmentation = {**_AUGMENTATION, **self.augmentation}
        for name in ("rotation_fraction", "shift_fraction", "zoom_fraction"):
            value = self.augmentation[name]
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value < 1):
                raise ValueError(f"augmentation {name} is {value!r}; expected a fraction in [0, 1).")
        self.split_fractions = tuple(self.split_fractions)

    def record(self) -> dict:
        """The configuration as the model card stores it (JSON types)."""
        recorded = asdict(self)
        recorded["split_fractions"] = list(self.split_fractions)
        if isinstance(self.thresholds, tuple):
            recorded["thresholds"] = list(self.thresholds)
        return recorded
