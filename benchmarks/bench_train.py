"""Training throughput of our pipeline against a plain `model.fit(numpy, batch_size=32)`, same run.

All variants train the same architecture (build_model) on the same synthetic 48x48 crops. Each
epoch runs in a fresh process (in one process, TensorFlow was seen to halve the speed of a
later model, whatever it was), the variants take turns, and the median samples/s and its ratio
to the baseline are printed:
  baseline     model.compile(optimizer="adam", ...) with Keras defaults; fit(float32 arrays)
  ours         compile_model (jit_compile=False) + make_pipeline (uint8 cached in memory,
               shuffled, cast per batch, prefetched), as train_model runs it, no augmentation
  ours+augment the same with the training augmentation (rotation, shift, zoom, flip)
  xla          ours with jit_compile=True, for reference: what "auto" may pick on other set-ups

Run: .venv/bin/python benchmarks/bench_train.py [--samples 3200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from expressiveness.levels.dataset import make_pipeline  # noqa: E402
from expressiveness.levels.model import build_model  # noqa: E402
from expressiveness.levels.train import compile_model  # noqa: E402

WARM_UP_SAMPLES = 640
VARIANTS = ("baseline", "ours", "ours+augment", "xla")


def one_epoch(variant: str, samples: int) -> float:
    """Samples/s of one epoch of `variant`, after a warm-up, in this (fresh) process."""
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (samples, 48, 48, 1), dtype=np.uint8)
    labels = rng.integers(0, 3, samples)
    keras.utils.set_random_seed(0)
    model = build_model()
    if variant == "baseline":
        one_hot, floats = np.eye(3, dtype="float32")[labels], crops.astype("float32")
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(floats[:WARM_UP_SAMPLES], one_hot[:WARM_UP_SAMPLES], batch_size=32, epochs=1, verbose=0)
        started = time.perf_counter()
        model.fit(floats, one_hot, batch_size=32, epochs=1, verbose=0)
        return samples / (time.perf_counter() - started)
    compile_model(model, 0.001)
    if variant == "xla":
        model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=True)
    pipeline = make_pipeline(crops, labels, 32, training=True, augment=variant == "ours+augment")
    model.fit(pipeline.take(WARM_UP_SAMPLES // 32), epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(pipeline, epochs=1, verbose=0, shuffle=False)
    return samples / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3200)
    parser.add_argument("--rounds", type=int, default=3, help="epochs per variant (median shown)")
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: measure one variant and print it
    args = parser.parse_args()
    if args.variant:
        print(one_epoch(args.variant, args.samples))
        return
    print(f"{args.samples} synthetic 48x48 crops, batch size 32; each epoch in a fresh process after a "
          f"{WARM_UP_SAMPLES}-sample warm-up, variants interleaved over {args.rounds} rounds (median shown); "
          f"keras {keras.__version__}, {os.cpu_count()} CPU cores")
    rates = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name in VARIANTS:
            output = subprocess.run([sys.executable, __file__, "--variant", name, "--samples", str(args.samples)],
                                    capture_output=True, text=True, check=True).stdout
            rates[name].append(float(output.split()[-1]))
    baseline_rate = float(np.median(rates["baseline"]))
    for name, values in rates.items():
        rate = float(np.median(values))
        spread = ", ".join(f"{value:.0f}" for value in values)
        print(f"{name:14s} {rate:7.0f} samples/s   {rate / baseline_rate:.2f}x baseline   (epochs: {spread})")


if __name__ == "__main__":
    main()
