"""TensorFlow and Keras are the optional "train" extra: analysis, the live demo and the self-check
run without them. Modules that need them import them through `import_training_stack`, which
turns a missing package into one sentence naming the extra.
"""

from __future__ import annotations

from expressiveness.quiet import quiet_native

TRAIN_EXTRA = 'pip install "expressiveness[train]"'
TRAINING_PACKAGES = ("tensorflow", "keras")


def import_training_stack(module: str):
    """(tensorflow, keras), imported with native start-up chatter hidden (see quiet.py).

    module: the importing module's name, for the message. Raises ImportError when either
    package is missing: "Training needs TensorFlow and Keras, which are not installed
    (expressiveness.levels.model imports them); install them with pip install "expressiveness[train]"."
    """
    try:
        with quiet_native():
            import tensorflow
            import keras
    except ImportError as error:
        if error.name not in TRAINING_PACKAGES:  # installed but broken: the original error says more
            raise
        raise ImportError(f"Training needs TensorFlow and Keras, which are not installed ({module} imports them); "
                          f"install them with {TRAIN_EXTRA}.", name=error.name) from None
    return tensorflow, keras
