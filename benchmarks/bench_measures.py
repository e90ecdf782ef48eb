"""Facial-measure speed, as a ratio against decoding + FaceLandmarker alone in the same process.

(a) ceiling: decode every frame with OpenCV and run FaceLandmarker (tracking mode) on it;
(b) (a) + MeasureTracker on the landmarks: what the measures add;
(c) decode + FaceDetector + FaceLandmarker matched to the detector's face + MeasureTracker: the
    per-frame work of an engine that also crops faces for the level model.
Every variant builds its engines, then processes the first --warmup frames untimed; the variants
run interleaved, --repeats times; the figures are medians. Besides wall-clock frames/s, the
CPU time per frame (all threads) is shown: on a shared, busy machine it is the steadier figure.
Clip: demo clips 1-12 joined into the one real 472-frame video of a woman talking that they
were cut from (640x480, 23.976 fps), or --video.

Run: .venv/bin/python benchmarks/bench_measures.py [--data FYP/RecruitView_Data] [--max-faces 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from expressiveness.data.demo_data import build_demo_dataset  # noqa: E402
from expressiveness.face import FaceLandmarker, FaceDetector, select_face  # noqa: E402
from expressiveness.measures.facial import MeasureTracker  # noqa: E402
from expressiveness.video import iter_frames, probe_video  # noqa: E402


def join_talking_clips(data_dir: Path, target: Path) -> Path:
    """Demo clips 1-12, consecutive cuts of one video, written back to back as one mp4."""
    info = probe_video(data_dir / "videos" / "vid_0001.mp4")
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
    for number in range(1, 13):
        for frame in iter_frames(data_dir / "videos" / f"vid_{number:04d}.mp4"):
            writer.write(frame.image)
    writer.release()
    return target


def run(path: Path, variant: str, max_faces: int, warmup: int, fps: float) -> tuple[int, float, float, int]:
    """One pass over the video. Returns (timed frames, wall seconds, CPU seconds, frames with landmarks)."""
    detector = FaceDetector() if variant == "c" else None
    tracker = MeasureTracker() if variant in ("b", "c") else None
    found = timed = 0
    started = cpu_started = None
    with FaceLandmarker(tracking="image", max_faces=max_faces) as mesh:
        capture = cv2.VideoCapture(str(path))
        position = 0
        while True:
            if position == warmup:
                started, cpu_started = time.perf_counter(), time.process_time()
            ok, image = capture.read()
            if not ok:
                break
            subject = None
            if detector is not None:
                subject = select_face(detector.detect(image), image.shape)
            face = mesh.landmarks(image, subject) if detector is None or subject is not None else None
            points = None if face is None else face.points
            if tracker is not None:
                tracker.update(points, position / fps, None if face is None else face.transform)
            found += points is not None
            position += 1
            timed += position > warmup
        capture.release()
    if detector is not None:
        detector.close()
    return timed, time.perf_counter() - started, time.process_time() - cpu_started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="FYP/RecruitView_Data", help="demo data folder (built if missing)")
    parser.add_argument("--video", help="time this video instead of the joined demo clips")
    parser.add_argument("--max-faces", type=int, default=1, help="FaceLandmarker max_faces")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=30, help="untimed frames at the start of every run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        if args.video:
            path = Path(args.video)
        else:
            data_dir = Path(args.data)
            if not (data_dir / "metadata.jsonl").exists():
                build_demo_dataset(data_dir)
            path = join_talking_clips(data_dir, Path(scratch) / "talking.mp4")
        info = probe_video(path)
        print(f"Video: {path.name}, {info.frame_count} frames, {info.width}x{info.height}, {info.fps:g} fps; "
              f"FaceLandmarker max_faces={args.max_faces}; {args.repeats} interleaved repeats, {args.warmup} warm-up frames")
        labels = {"a": "decode + FaceLandmarker (ceiling)", "b": "decode + FaceLandmarker + MeasureTracker",
                  "c": "decode + FaceDetector + FaceLandmarker + MeasureTracker"}
        speeds = {variant: [] for variant in labels}
        cpu_ms = {variant: [] for variant in labels}
        for _ in range(args.repeats):
            for variant in labels:
                frames, seconds, cpu_seconds, found = run(path, variant, args.max_faces, args.warmup, info.fps)
                speeds[variant].append(frames / seconds)
                cpu_ms[variant].append(1000 * cpu_seconds / frames)
        median = {variant: statistics.median(values) for variant, values in speeds.items()}
        cpu = {variant: statistics.median(values) for variant, values in cpu_ms.items()}
        for variant, label in labels.items():
            spread = ", ".join(f"{value:.0f}" for value in speeds[variant])
            print(f"({variant}) {label}: {median[variant]:.0f} frames/s (runs: {spread}); "
                  f"CPU {cpu[variant]:.2f} ms/frame")
        print(f"ratio (b)/(a): {median['b'] / median['a']:.2f} in frames/s, {cpu['b'] / cpu['a']:.2f} in CPU time; "
              f"(c)/(a): {median['c'] / median['a']:.2f} in frames/s, {cpu['c'] / cpu['a']:.2f} in CPU time; "
              f"MeasureTracker adds {cpu['b'] - cpu['a']:.2f} ms of CPU per frame; "
              f"landmarks in {found} of {info.frame_count} frames")


if __name__ == "__main__":
    main()
