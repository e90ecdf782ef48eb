"""Video analysis speed and memory, as ratios against baselines run in the same process.

On a 640x480, 30 fps clip (a demo clip looped to --seconds), every variant gets the same
warm-up (one pass over a short clip), its engines are built outside the timer, and the
variants run --repeats times, interleaved; medians are reported:
  ceiling-detect   decode every frame, detect faces on every frame, one thread (the sequential
                   ceiling of the levels path)
  levels-2stage    analyze_video, levels only, decoding in the caller's thread (the previous design)
  levels-3stage    analyze_video, levels only, decoding in its own thread (ours)
  ceiling-face     decode every frame + the face detector + the face landmarker (frame by frame,
                   with blendshapes and the pose matrix, as analyze runs it on files) on every
                   frame, one thread: the sequential ceiling of the measures path
  measures         analyze_video, facial measures only (no model)
  levels+measures  analyze_video, both (the default when a model exists)
Then the naive loop of the original design (model.predict() per face; needs TensorFlow), once,
and the peak RSS of analyze_video for the clip and for the clip made 10x longer, each in a
fresh process.

Run: .venv/bin/python benchmarks/bench_analyze.py [--model models/expressiveness_cnn.keras]
Needs a trained model (`make demo` makes one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import loop_clip  # noqa: E402
from expressiveness.config import DATA_DIR, DEFAULT_MODEL  # noqa: E402
from expressiveness.face import FaceDetector, FaceLandmarker, crop_face  # noqa: E402
from expressiveness.pipeline.frame_engine import build_analyzer, iter_analysis  # noqa: E402
from expressiveness.pipeline.options import AnalysisOptions  # noqa: E402
from expressiveness.pipeline.per_video import analyze_video  # noqa: E402
from expressiveness.video import iter_frames  # noqa: E402


def ceiling(path: Path, engine) -> int:
    frames = 0
    for frame in iter_frames(path):
        engine(frame.image)
        frames += 1
    return frames


def analysis(path: Path, analyzer, decode_depth: int | None = None) -> int:
    if decode_depth is None:
        return len(analyze_video(path, analyzer).table)
    analyzer.reset()
    return sum(1 for _ in iter_analysis(iter_frames(path), analyzer, decode_depth))


PEAK_SCRIPT = """
import sys
from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.per_video import analyze_video
table = analyze_video(sys.argv[1], build_analyzer(sys.argv[2])).table
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large parent would
# report the parent's size; VmHWM belongs to this process's own memory map.
print(int(next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1]), len(table))
"""


def peak_rss_mb(path: Path, model: str) -> tuple[float, int]:
    output = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path), model], capture_output=True, text=True,
                            check=True).stdout.split()
    return int(output[-2]) / 1024, int(output[-1])


def naive_rate(path: Path, model_path: str) -> float:
    from expressiveness.levels.model import load_model

    model, _ = load_model(model_path)
    with FaceDetector() as detector:
        frames, started = 0, time.perf_counter()
        for frame in iter_frames(path):
            for face in detector.detect(frame.image):
                model.predict(crop_face(frame.image, face)[None, :, :, None].astype("float32"), verbose=0)
            frames += 1
    return frames / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--data", default=str(DATA_DIR))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-naive", action="store_true", help="skip the slow model.predict() loop")
    args = parser.parse_args()
    if not Path(args.model).exists():
        sys.exit(f"no model at {args.model}; run `make demo` first or pass --model.")
    source = Path(args.data) / "videos" / "vid_0001.mp4"
    with tempfile.TemporaryDirectory() as scratch:
        clip, long_clip, warm = Path(scratch) / "clip.mp4", Path(scratch) / "long.mp4", Path(scratch) / "warm.mp4"
        frames = loop_clip(source, clip, args.seconds, fps=30.0)
        loop_clip(source, long_clip, args.seconds * 10, fps=30.0)
        loop_clip(source, warm, 1.0, fps=30.0)
        print(f"Clip: {frames} frames, 640x480 at 30 fps, one face per frame; {os.cpu_count()} CPU cores; "
              f"{args.repeats} interleaved repeats, medians")
        detector, landmarker = FaceDetector(), FaceLandmarker(tracking="image")

        def detect_and_landmark(image):
            faces = detector.detect(image)
            return landmarker.landmarks(image, faces[0]) if faces else None

        levels = build_analyzer(args.model, AnalysisOptions(measures=False))
        measures = build_analyzer(None)
        both = build_analyzer(args.model)
        variants = {
            "ceiling-detect": lambda path: ceiling(path, detector.detect),
            "levels-2stage": lambda path: analysis(path, levels, decode_depth=0),
            "levels-3stage": lambda path: analysis(path, levels),
            "ceiling-face": lambda path: ceiling(path, detect_and_landmark),
            "measures": lambda path: analysis(path, measures),
            "levels+measures": lambda path: analysis(path, both),
        }
        for run in variants.values():
            run(warm)
        rates = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, run in variants.items():
                started = time.perf_counter()
                count = run(clip)
                rates[name].append(count / (time.perf_counter() - started))
        rate = {name: statistics.median(values) for name, values in rates.items()}
        for name, value in rate.items():
            print(f"  {name:<16} {value:6.0f} frames/s   (runs: {', '.join(f'{v:.0f}' for v in rates[name])})")
        print(f"levels-3stage / ceiling-detect = {rate['levels-3stage'] / rate['ceiling-detect']:.2f} (target >= 1.1); "
              f"levels-3stage / levels-2stage = {rate['levels-3stage'] / rate['levels-2stage']:.2f}")
        print(f"measures / ceiling-face = {rate['measures'] / rate['ceiling-face']:.2f} (target >= 1.0); "
              f"levels+measures / ceiling-face = {rate['levels+measures'] / rate['ceiling-face']:.2f}; "
              f"levels+measures = {rate['levels+measures']:.0f} frames/s (measures on by default if >= 100)")
        if not args.no_naive:
            naive = naive_rate(clip, args.model)
            print(f"naive model.predict() loop: {naive:.0f} frames/s; levels-3stage is {rate['levels-3stage'] / naive:.1f}x")
        rss_short, rows_short = peak_rss_mb(clip, args.model)
        rss_long, rows_long = peak_rss_mb(long_clip, args.model)
        print(f"peak RSS (levels+measures): {rows_short} frames {rss_short:.0f} MB, {rows_long} frames "
              f"{rss_long:.0f} MB; ratio {rss_long / rss_short:.2f}")


if __name__ == "__main__":
    main()
