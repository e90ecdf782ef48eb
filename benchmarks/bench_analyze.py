"""Video analysis speed and memory, as ratios against baselines run in the same process.

On a 640x480, 30 fps clip (a demo clip looped to --seconds):
  (a) naive loop of the original design: read frame, detect, crop, `model.predict()` per face
  (b) decode plus detection alone: the practical ceiling of a sequential loop
  (c) our `analyze_video` (decoding in a background thread, faces of a frame batched, TFLite)
Then the peak RSS of (c) for the clip and for the clip made 10x longer, each in a fresh process.

Run: .venv/bin/python benchmarks/bench_analyze.py [--model models/expressiveness_cnn.keras]
Needs a trained model (`make demo` makes one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_extract import baseline, loop_clip  # noqa: E402
from expressiveness.config import DATA_DIR, DEFAULT_MODEL  # noqa: E402
from expressiveness.faces import FaceDetector, crop_face  # noqa: E402
from expressiveness.model import load_model  # noqa: E402
from expressiveness.predict import Predictor  # noqa: E402
from expressiveness.frames import FrameAnalyzer, analyze_video  # noqa: E402
from expressiveness.scorers import LevelScorer  # noqa: E402


def naive(path: Path, model) -> float:
    """The original design's loop: `model.predict()` on each face crop."""
    def classify(image, face):
        model.predict(crop_face(image, face)[None, :, :, None].astype("float32"), verbose=0)

    frames, seconds = baseline([path], classify)
    return frames / seconds


def decode_and_detect(path: Path) -> float:
    frames, seconds = baseline([path])
    return frames / seconds


def ours(path: Path, predictor: Predictor) -> float:
    with FaceDetector() as detector:
        analyzer = FrameAnalyzer(detector, [LevelScorer(predictor)])
        analyze_video(path, analyzer)  # warm-up: first calls allocate
        started = time.perf_counter()
        analysis = analyze_video(path, analyzer)
    return len(analysis.table) / (time.perf_counter() - started)


PEAK_SCRIPT = """
import os, resource, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from expressiveness.frames import analyze_video, build_analyzer
table = analyze_video(sys.argv[1], build_analyzer(sys.argv[2])).table
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(table))
"""


def peak_rss_mb(path: Path, model: str) -> tuple[float, int]:
    output = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path), model], capture_output=True, text=True,
                            check=True).stdout.split()
    return int(output[-2]) / 1024, int(output[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--data", default=str(DATA_DIR))
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not Path(args.model).exists():
        sys.exit(f"no model at {args.model}; run `make demo` first or pass --model.")
    source = Path(args.data) / "videos" / "vid_0001.mp4"
    with tempfile.TemporaryDirectory() as scratch:
        clip, long_clip = Path(scratch) / "clip.mp4", Path(scratch) / "long.mp4"
        frames = loop_clip(source, clip, args.seconds, fps=30.0)
        loop_clip(source, long_clip, args.seconds * 10, fps=30.0)
        print(f"Clip: {frames} frames, 640x480 at 30 fps, one face per frame; {os.cpu_count()} CPU cores")
        model, _ = load_model(args.model)
        predictor = Predictor(args.model)
        rate_a = naive(clip, model)
        rate_b = decode_and_detect(clip)
        rate_c = ours(clip, predictor)
        print(f"(a) naive loop, model.predict() per face: {rate_a:6.0f} frames/s")
        print(f"(b) decode + detection alone:             {rate_b:6.0f} frames/s")
        print(f"(c) analyze_video (ours):                  {rate_c:6.0f} frames/s")
        print(f"ratios: (c)/(b) = {rate_c / rate_b:.2f} (target >= 0.80), (c)/(a) = {rate_c / rate_a:.1f}x "
              f"(target >= 5), (c) = {rate_c / 30:.1f}x real time")
        rss_short, rows_short = peak_rss_mb(clip, args.model)
        rss_long, rows_long = peak_rss_mb(long_clip, args.model)
        print(f"peak RSS: {rows_short} frames {rss_short:.0f} MB, {rows_long} frames {rss_long:.0f} MB; "
              f"ratio {rss_long / rss_short:.2f}")


if __name__ == "__main__":
    main()
