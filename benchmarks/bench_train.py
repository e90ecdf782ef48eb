"""Training throughput of our pipeline against a plain `model.fit(numpy, batch_size=32)`, same run.

All variants train the same architecture (build_model) for one epoch on the same synthetic
48x48 crops after a short warm-up, and print samples/s and the ratio to the baseline:
  baseline     model.compile(optimizer="adam", ...) with Keras defaults; fit(float32 arrays)
  ours         compile_model (jit_compile=False) + make_pipeline (uint8 cached in memory,
               shuffled, cast per batch, prefetched), as train_model runs it, no augmentation
  ours+augment the same with the training augmentation (rotation, shift, zoom, flip)
  xla          ours with jit_compile=True, for reference: what "auto" may pick on other set-ups

Run: .venv/bin/python benchmarks/bench_train.py [--samples 6400]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from expressiveness.dataset import make_pipeline  # noqa: E402
from expressiveness.model import build_model  # noqa: E402
from expressiveness.train import compile_model  # noqa: E402

WARM_UP_SAMPLES = 640


def time_epoch(model, train_input, samples: int, **fit_options) -> float:
    started = time.perf_counter()
    model.fit(train_input, epochs=1, verbose=0, shuffle=False, **fit_options)
    return samples / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6400)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (args.samples, 48, 48, 1), dtype=np.uint8)
    labels = rng.integers(0, 3, args.samples)
    one_hot = np.eye(3, dtype="float32")[labels]
    print(f"{args.samples} synthetic 48x48 crops, batch size 32, one epoch after a {WARM_UP_SAMPLES}-sample "
          f"warm-up; keras {keras.__version__}, {os.cpu_count()} CPU cores")

    results = {}
    keras.utils.set_random_seed(0)
    baseline = build_model()
    baseline.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    floats = crops.astype("float32")
    baseline.fit(floats[:WARM_UP_SAMPLES], one_hot[:WARM_UP_SAMPLES], batch_size=32, epochs=1, verbose=0)
    results["baseline"] = time_epoch(baseline, floats, args.samples, y=one_hot, batch_size=32)

    for name, augment, jit in (("ours", False, False), ("ours+augment", True, False), ("xla", False, True)):
        keras.utils.set_random_seed(0)
        model = compile_model(build_model(), 0.001)
        if jit:
            model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy",
                          metrics=["accuracy"], jit_compile=True)
        pipeline = make_pipeline(crops, labels, 32, training=True, augment=augment)
        model.fit(pipeline.take(WARM_UP_SAMPLES // 32), epochs=1, verbose=0)
        results[name] = time_epoch(model, pipeline, args.samples)

    for name, rate in results.items():
        print(f"{name:14s} {rate:7.0f} samples/s   {rate / results['baseline']:.2f}x baseline")


if __name__ == "__main__":
    main()
