"""Face-extraction speed and memory, as ratios against a plain baseline run in the same process.

(a) baseline: decode every frame with OpenCV and run MediaPipe on every frame, one process;
(b) `extract_dataset` with its default sampling (32 frames per clip) and 2 workers.
Clips: the demo clips, each looped to about 10 s (RecruitView answers are longer than the
demo's 1-3 s clips). Also the peak RSS of extracting one clip and the same clip made 10x
longer, each in a fresh process: streaming must keep it flat.

Run: .venv/bin/python benchmarks/bench_extract.py [--data FYP/RecruitView_Data] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from expressiveness.data.demo_data import build_demo_dataset  # noqa: E402
from expressiveness.pipeline.extract import extract_dataset  # noqa: E402
from expressiveness.data.cache import ExtractSettings  # noqa: E402
from expressiveness.face import FaceDetector  # noqa: E402
from expressiveness.data.metadata import load_metadata  # noqa: E402
from expressiveness.video import iter_frames, probe_video  # noqa: E402


def loop_clip(source: Path, target: Path, seconds: float, fps: float | None = None) -> int:
    """Write `source` repeated (forwards, then backwards, so motion stays smooth) to `seconds`,
    at the source's frame rate or `fps`. Returns the number of frames written."""
    info = probe_video(source)
    fps = fps or info.fps
    frames = [frame.image for frame in iter_frames(source)]
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, (info.width, info.height))
    wanted = int(seconds * fps)
    sequence = frames + frames[::-1]
    for number in range(wanted):
        writer.write(sequence[number % len(sequence)])
    writer.release()
    return wanted


def make_bench_set(data_dir: Path, folder: Path, seconds: float) -> Path:
    clips = load_metadata(data_dir / "metadata.jsonl")
    (folder / "videos").mkdir(parents=True)
    lines = []
    for record in clips.itertuples():
        loop_clip(Path(record.video_path), folder / record.file_name, seconds)
        raw = {name: getattr(record, name) for name in clips.columns if name != "video_path"}
        lines.append(json.dumps(raw))
    (folder / "metadata.jsonl").write_text("\n".join(lines) + "\n")
    return folder / "metadata.jsonl"


def baseline(paths: list[Path], on_face=None) -> tuple[int, float]:
    """Plain loop: read every frame with OpenCV, run MediaPipe on it, and call
    on_face(image, face) for each face found. Returns (frames, seconds)."""
    frames = 0
    started = time.perf_counter()
    with FaceDetector() as detector:
        for path in paths:
            capture = cv2.VideoCapture(str(path))
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                for face in detector.detect(image):
                    if on_face is not None:
                        on_face(image, face)
                frames += 1
            capture.release()
    return frames, time.perf_counter() - started


PEAK_SCRIPT = """
import sys
from expressiveness.data.cache import ExtractSettings
from expressiveness.pipeline.extract import extract_video
from expressiveness.face import FaceDetector
with FaceDetector() as detector:
    result = extract_video(detector, sys.argv[1], ExtractSettings(frames_per_clip=None, every=int(sys.argv[2])))
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large parent would
# report the parent's size; VmHWM belongs to this process's own memory map.
print(int(next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1]), len(result["crops"]))
"""


def peak_rss_mb(path: Path, every: int) -> tuple[float, int]:
    output = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path), str(every)], capture_output=True,
                            text=True, check=True).stdout.split()
    return int(output[0]) / 1024, int(output[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="FYP/RecruitView_Data", help="demo data folder (built if missing)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each benchmark clip")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data_dir = Path(args.data)
    if not (data_dir / "metadata.jsonl").exists():
        build_demo_dataset(data_dir)

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        metadata = make_bench_set(data_dir, scratch / "set", args.seconds)
        clips = load_metadata(metadata)
        paths = [Path(path) for path in clips["video_path"]]
        video_s = sum(probe_video(path).duration_s for path in paths)
        total_frames = sum(probe_video(path).frame_count for path in paths)
        print(f"Benchmark set: {len(paths)} clips, {total_frames} frames, {video_s:.0f} s of 640x480 video; "
              f"{args.workers} workers")

        frames, baseline_s = baseline(paths)
        print(f"(a) baseline, decode + MediaPipe on every frame, 1 process: {frames / baseline_s:.0f} frames/s, "
              f"{len(paths) / baseline_s:.2f} clips/s, {video_s / baseline_s:.1f}x real time")

        started = time.perf_counter()
        summary = extract_dataset(metadata, scratch / "cache", ExtractSettings(), workers=args.workers,
                                  progress=False)
        ours_s = time.perf_counter() - started
        print(f"(b) extract_dataset, default sampling (32 frames/clip), {args.workers} workers, including "
              f"worker start-up: {total_frames / ours_s:.0f} video frames/s covered, {len(paths) / ours_s:.2f} "
              f"clips/s, {video_s / ours_s:.1f}x real time ({summary.faces_kept} crops)")
        print(f"ratio (b)/(a) in clips/s: {baseline_s / ours_s:.1f}x; a 10 s, 30 fps clip takes "
              f"{ours_s / video_s * 10:.2f} s of wall time (target <= 0.5 s)")

        one = scratch / "one.mp4"
        ten = scratch / "ten.mp4"
        loop_clip(paths[0], one, args.seconds)
        loop_clip(paths[0], ten, args.seconds * 10)
        for label, every in (("every frame", 1), ("default-like sparse sampling", 30)):
            rss_one, crops_one = peak_rss_mb(one, every)
            rss_ten, crops_ten = peak_rss_mb(ten, every)
            print(f"peak RSS, {label}: {args.seconds:.0f} s clip {rss_one:.0f} MB ({crops_one} crops), "
                  f"{args.seconds * 10:.0f} s clip {rss_ten:.0f} MB ({crops_ten} crops); ratio {rss_ten / rss_one:.2f}")


if __name__ == "__main__":
    main()
