"""Start-up cost of analysis without TensorFlow: whole-process wall time and peak RSS.

(a) `python -c "import tensorflow"`: what every analysis process (and every worker) paid while
    the Predictor converted the Keras model itself;
(b) `python -m expressiveness.cli analyze CLIP --out TMP` on a 2-second 640x480 demo clip:
    the whole job, start-up, MediaPipe, LiteRT, 60 frames, outputs.
Runs are repeated (--repeats, default 5) and interleaved (a, b, a, b, ...); each is a fresh
process measured with os.wait4 (wall time, ru_maxrss). Prints medians and the ratios b/a;
targets: time <= 0.6, peak RSS <= 0.5. Also says whether (b) imported TensorFlow.

This process stays small (standard library only; preparation runs in a child), because on
Linux a child started from a large parent can report the parent's RSS as its own peak.

Run: .venv/bin/python benchmarks/bench_startup.py [--model models/x.keras] [--data FYP/RecruitView_Data]
Without --model, a tiny model is trained on the demo data first (about a minute); without a
data set at --data, the demo data set is built in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
TARGETS = {"seconds": 0.6, "peak_rss_mb": 0.5}

PREPARE_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, {benchmarks!r})
from bench_extract import loop_clip
from expressiveness.data.demo_data import build_demo_dataset
folder, data, model = Path({folder!r}), {data!r}, {model!r}
if not (data and (Path(data) / "metadata.jsonl").is_file()):
    data = folder / "data"
    build_demo_dataset(data)
data = Path(data)
clip = folder / "clip_2s.mp4"
loop_clip(data / "videos" / "vid_0001.mp4", clip, 2.0)
if not model:
    from expressiveness.pipeline.extract import ExtractSettings, extract_dataset
    from expressiveness.levels.train import TrainConfig, train_model
    extract_dataset(data / "metadata.jsonl", folder / "cache", ExtractSettings(frames_per_clip=8), workers=1,
                    progress=False)
    config = TrainConfig(name="bench_startup", epochs=2, augment=False)
    model = str(train_model(data / "metadata.jsonl", folder / "cache", folder / "models", config,
                            verbose=0).model_path)
print(json.dumps({{"clip": str(clip), "model": model}}))
"""

# Appended to (b): records which TensorFlow modules the analysis imported.
MODULES_PROBE = ("import atexit, json, sys\n"
                 "atexit.register(lambda: open({record!r}, 'w').write(json.dumps(sorted("
                 "name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras')))))\n"
                 "from expressiveness.cli import main\n"
                 "sys.exit(main({argv!r}))\n")


def environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), env.get("PYTHONPATH")]))
    return env


def measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one fresh process; raises if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment())
    error_output = process.stderr.read()
    process.stderr.close()
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({process.returncode}): {error_output.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a trained model (.keras with .tflite and card); default: train a tiny one")
    parser.add_argument("--data", default=str(REPO_DIR / "FYP" / "RecruitView_Data"),
                        help="data set with videos/vid_0001.mp4 (default: FYP/RecruitView_Data, else demo data)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_startup_") as folder:
        folder = Path(folder)
        print("Preparing the 2-second clip" + ("" if args.model else " and training a tiny model") + " ...",
              flush=True)
        script = PREPARE_SCRIPT.format(benchmarks=str(REPO_DIR / "benchmarks"), folder=str(folder), data=args.data,
                                       model=str(Path(args.model).resolve()) if args.model else None)
        prepared = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment())
        if prepared.returncode != 0:
            raise SystemExit(f"preparation failed:\n{prepared.stderr[-3000:]}")
        setup = json.loads(prepared.stdout.strip().splitlines()[-1])
        record = folder / "modules.json"
        variants = {
            "a: python -c 'import tensorflow'": lambda run: [sys.executable, "-c", "import tensorflow"],
            "b: expressiveness analyze (2 s clip)": lambda run: [
                sys.executable, "-c", MODULES_PROBE.format(record=str(record), argv=[
                    "analyze", setup["clip"], "--model", setup["model"], "--out", str(folder / f"out{run}"),
                    "--no-progress"])],
        }
        results = {name: [] for name in variants}
        for run in range(args.repeats):
            for name, command in variants.items():
                results[name].append(measure(command(run)))
        imported = json.loads(record.read_text())

    print(f"\n{args.repeats} interleaved runs each, fresh processes; medians (min-max):")
    medians = {}
    for name, runs in results.items():
        seconds, rss = zip(*runs)
        medians[name] = statistics.median(seconds), statistics.median(rss)
        print(f"  {name:40s} {medians[name][0]:6.2f} s ({min(seconds):.2f}-{max(seconds):.2f})   "
              f"peak RSS {medians[name][1]:6.0f} MB ({min(rss):.0f}-{max(rss):.0f})")
    (a_seconds, a_rss), (b_seconds, b_rss) = medians.values()
    print(f"Ratios b/a: time {b_seconds / a_seconds:.2f} (target <= {TARGETS['seconds']}), "
          f"peak RSS {b_rss / a_rss:.2f} (target <= {TARGETS['peak_rss_mb']})")
    print(f"TensorFlow modules imported by (b): {len(imported)}" + (f" ({', '.join(imported[:5])} ...)"
                                                                    if imported else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
