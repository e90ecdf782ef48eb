"""Fixed costs of the command line, each as a ratio against a baseline measured in the same run
(issue 34, item 6). Every figure is a fresh process; the variants are interleaved over --repeats
rounds and medians are reported.

(1) `--help` wall time: `expressiveness --help`, every subcommand's --help and the top-level
    scripts' (target: each under 0.5 s).
(2) `analyze` of a 2-second demo clip, facial measures only (no model), whole process, against
    `python -c "import tensorflow"` (target: <= 0.35).
(3) `analyze` of ~--seconds of real interview footage (the demo clips joined into one file),
    whole process with start-up, reference, outputs and figure, in frames per second, against the
    sequential ceiling: decode every frame + the face detector + the face landmarker, one thread,
    engines built outside the timer, in a child process (target: >= 0.9).

Run from the repository: .venv/bin/python benchmarks/bench_fixed_costs.py [--repeats 3] [--seconds 50]
Needs FYP/RecruitView_Data/videos (the demo clips; `make demo` or `expressiveness demo-data`).
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
SCRIPTS = ("real_time_demo.py", "test_system.py", "analyze_facial_data.py", "quick_analysis.py")
TARGETS = {"help_s": 0.5, "clip_ratio": 0.35, "whole_ratio": 0.9}

# Writes the 2-second clip (vid_0001 looped) and the long video (the demo clips, one after the
# other, at 25 fps, repeated until --seconds), and prints their frame counts.
PREPARE_SCRIPT = """
import json, sys
from pathlib import Path
import cv2
sys.path.insert(0, {benchmarks!r})
from bench_extract import loop_clip
from expressiveness.video import iter_frames
videos, folder, seconds = Path({videos!r}), Path({folder!r}), {seconds!r}
clip_frames = loop_clip(videos / "vid_0001.mp4", folder / "clip_2s.mp4", 2.0)
sources = sorted(videos.glob("*.mp4"))
writer = cv2.VideoWriter(str(folder / "long.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (640, 480))
written, wanted = 0, round(seconds * 25)
while written < wanted:
    for frame in (frame for source in sources for frame in iter_frames(source)):
        writer.write(frame.image if frame.image.shape[:2] == (480, 640) else cv2.resize(frame.image, (640, 480)))
        written += 1
        if written == wanted:
            break
writer.release()
print(json.dumps({{"clip_frames": clip_frames, "long_frames": written}}))
"""

# The sequential ceiling over one video: decode + detector + landmarker (image mode, as
# bench_analyze.py's ceiling-face), one thread; engines built and warmed outside the timer.
CEILING_SCRIPT = """
import json, sys, time
from expressiveness.face import FaceDetector, FaceLandmarker
from expressiveness.video import iter_frames
detector, landmarker = FaceDetector(), FaceLandmarker(tracking="image")
for number, frame in enumerate(iter_frames(sys.argv[2])):
    if number == 10:
        break
    faces = detector.detect(frame.image)
    if faces:
        landmarker.landmarks(frame.image, faces[0])
started, frames = time.perf_counter(), 0
for frame in iter_frames(sys.argv[1]):
    faces = detector.detect(frame.image)
    if faces:
        landmarker.landmarks(frame.image, faces[0])
    frames += 1
print(json.dumps({"frames": frames, "seconds": time.perf_counter() - started}))
detector.close()
landmarker.close()
"""


def environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def wall(command: list[str], cwd: Path | None = None, ok_codes=(0,)) -> tuple[float, str]:
    """(wall seconds, stdout) of one fresh process; raises if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environment(), cwd=cwd)
    seconds = time.perf_counter() - started
    if done.returncode not in ok_codes:
        raise RuntimeError(f"{command[:5]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def help_commands() -> dict[str, list[str]]:
    python = sys.executable
    listed = subprocess.run([python, "-c", "from expressiveness.cli import build_parser; "
                                           "print(' '.join(build_parser()[1]))"],
                            capture_output=True, text=True, env=environment(), check=True).stdout.split()
    commands = {"expressiveness --help": [python, "-m", "expressiveness.cli", "--help"]}
    commands.update({f"expressiveness {name} --help": [python, "-m", "expressiveness.cli", name, "--help"]
                     for name in listed})
    commands.update({f"{script} --help": [python, str(REPO_DIR / script), "--help"] for script in SCRIPTS})
    return commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO_DIR / "FYP" / "RecruitView_Data"),
                        help="data set with videos/vid_*.mp4 (default: FYP/RecruitView_Data)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=50.0, help="length of the joined real video (default: 50)")
    parser.add_argument("--no-help", action="store_true", help="skip the --help timings")
    args = parser.parse_args()
    videos = Path(args.data).resolve() / "videos"
    if not (videos / "vid_0001.mp4").is_file():
        raise SystemExit(f"no demo clips in {videos}; run `make demo` or pass --data.")
    python = sys.executable

    with tempfile.TemporaryDirectory(prefix="bench_fixed_costs_") as folder:
        folder = Path(folder)  # also the working directory of `analyze`: no default model there
        print(f"Preparing the 2-second clip and the {args.seconds:.0f}-second video ...", flush=True)
        _, output = wall([python, "-c", PREPARE_SCRIPT.format(benchmarks=str(REPO_DIR / "benchmarks"),
                                                              videos=str(videos), folder=str(folder),
                                                              seconds=args.seconds)])
        prepared = json.loads(output.strip().splitlines()[-1])
        clip, long_video = folder / "clip_2s.mp4", folder / "long.mp4"

        helps = {} if args.no_help else help_commands()
        help_times = {name: [] for name in helps}
        tensorflow, clip_runs, whole_runs, ceiling_runs = [], [], [], []
        for run in range(args.repeats):
            for name, command in helps.items():
                help_times[name].append(wall(command)[0])
            tensorflow.append(wall([python, "-c", "import tensorflow"])[0])
            clip_runs.append(wall([python, "-m", "expressiveness.cli", "analyze", str(clip), "--out",
                                   str(folder / f"clip{run}"), "--no-progress"], cwd=folder)[0])
            ceiling = json.loads(wall([python, "-c", CEILING_SCRIPT, str(long_video), str(clip)])[1]
                                 .strip().splitlines()[-1])
            ceiling_runs.append(ceiling["frames"] / ceiling["seconds"])
            whole_runs.append(prepared["long_frames"] / wall(
                [python, "-m", "expressiveness.cli", "analyze", str(long_video), "--out", str(folder / f"long{run}"),
                 "--no-progress"], cwd=folder)[0])

    print(f"\n{args.repeats} interleaved rounds, fresh processes, {os.cpu_count()} CPU cores; medians (min-max)")
    if helps:
        print(f"(1) --help wall time (target < {TARGETS['help_s']} s each):")
        for name, times in help_times.items():
            print(f"  {name:44s} {statistics.median(times):5.2f} s ({min(times):.2f}-{max(times):.2f})")
        worst = max(statistics.median(times) for times in help_times.values())
        print(f"  slowest median: {worst:.2f} s")
    tf_s, clip_s = statistics.median(tensorflow), statistics.median(clip_runs)
    print(f"(2) python -c 'import tensorflow'  {tf_s:5.2f} s ({min(tensorflow):.2f}-{max(tensorflow):.2f})")
    print(f"    analyze, 2 s clip ({prepared['clip_frames']} frames, measures only) {clip_s:5.2f} s "
          f"({min(clip_runs):.2f}-{max(clip_runs):.2f})")
    print(f"    ratio {clip_s / tf_s:.2f} (target <= {TARGETS['clip_ratio']})")
    whole, ceiling = statistics.median(whole_runs), statistics.median(ceiling_runs)
    print(f"(3) {prepared['long_frames']} frames ({prepared['long_frames'] / 25:.0f} s) of joined real footage:")
    print(f"    ceiling (decode + detector + landmarker, one thread) {ceiling:5.1f} frames/s "
          f"({min(ceiling_runs):.1f}-{max(ceiling_runs):.1f})")
    print(f"    whole analyze process (measures only)                {whole:5.1f} frames/s "
          f"({min(whole_runs):.1f}-{max(whole_runs):.1f})")
    print(f"    ratio {whole / ceiling:.2f} (target >= {TARGETS['whole_ratio']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
