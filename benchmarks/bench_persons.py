"""PersonTracker's cost per frame, as a ratio against FaceDetector's per-frame time in the same run.

Clips (real footage, tests/persons_footage.py): one face (the woman's original 640x360 video,
and her 200x240 tile), two persons side by side, a three-person gallery
whose layout changes once, and ten small faces (a crowd); the first 100 frames of each. Each clip is
decoded once; then, interleaved and --repeats times, (a) FaceDetector.detect on every frame,
(b) PersonTracker with appearance and (c) position only, on the boxes (a) found. The detector's
first --warmup frames run untimed. The figures are medians of the repeats. Also shown: how many
faces' looks the tracker computed (its sparse appearance samples) and the cost of one look.
Times are CPU time of this process (all threads, time.process_time): on a shared, busy machine
that is the steadier figure; the detector's own threads count in its time.

With --analyze, the whole analysis instead (analyze_video, facial measures, no level model), as
issue 36 item 5 asks: one face with the subject's choice against today's path (the choice left
out: each frame's largest face, no tracker), and two persons in view (the pre-pass; with a voice,
the speaker's pre-pass with the landmarker, the sound's loudness and voice activity) against the
one-face speed of the same person's tile alone. Wall time and CPU time of this process (the voice
activity's child process is not in the CPU time; it runs on the other core), medians of --repeats
runs interleaved.

Run: .venv/bin/python benchmarks/bench_persons.py [--repeats 5] [--analyze]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from expressiveness.face import FaceDetector  # noqa: E402
from expressiveness.face.persons import PersonTracker, face_appearance  # noqa: E402
from expressiveness.video import iter_frames  # noqa: E402
from persons_footage import crowd_video, footage_file, tiled_video  # noqa: E402
from speaker_material import side_by_side_with_voice  # noqa: E402


FRAMES = 100  # frames of each clip (4 s at 25 fps)


def make_clips(folder: Path) -> dict[str, Path]:
    return {"one face, 640x360 (1)": footage_file(folder, "WolfgangLanger_Pexels.mp4"),
            "one face, a tile (1)": tiled_video(folder, folder / "one.mp4", [(4.0, ("W",))]),
            "side by side (2)": tiled_video(folder, folder / "side.mp4", [(4.0, ("W", "M"))]),
            "gallery, layout change (3)": tiled_video(folder, folder / "gallery.mp4",
                                                      [(2.2, ("W", "M", "P")), (1.8, ("P", "W", "M"))]),
            "crowd (10 small)": crowd_video(folder, folder / "crowd.mp4")}


def time_detector(detector: FaceDetector, frames) -> tuple[float, list]:
    start = time.process_time()
    found = [detector.detect(frame.image) for frame in frames]
    return (time.process_time() - start) / len(frames), found


def time_tracker(frames, found, appearance: bool) -> tuple[float, PersonTracker]:
    tracker = PersonTracker(appearance=appearance)
    start = time.process_time()
    for frame, faces in zip(frames, found):
        tracker.update(frame.index, frame.timestamp_s, faces, frame.image)
    return (time.process_time() - start) / len(frames), tracker


def time_analysis(path: Path, analyzer, todays_path: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds of analyze_video, and the frames analysed. todays_path: without the
    subject's choice (pipeline/subject.py), as before issue 36."""
    from expressiveness.pipeline import per_video

    chosen = per_video.prepare_subject
    if todays_path:
        per_video.prepare_subject = lambda *arguments: None
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        table = per_video.analyze_video(path, analyzer).table
        return time.perf_counter() - wall, time.process_time() - cpu, len(table)
    finally:
        per_video.prepare_subject = chosen


def looped(path: Path, times: int) -> Path:
    """The clip played `times` times over (picture and sound), as one file: a longer video, so that
    what a video costs once (the reference sample, the pre-pass's start) weighs as in an interview."""
    import subprocess

    from persons_footage import ffmpeg_exe

    target = path.with_name(f"{path.stem}_x{times}.mp4")
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", str(times - 1), "-i",
                    str(path), "-c", "copy", str(target)], check=True, timeout=120)
    return target


def bench_analysis(folder: Path, repeats: int) -> None:
    from expressiveness.pipeline.frame_engine import build_analyzer

    one = {"one face, 640x360, 19.7 s": footage_file(folder, "WolfgangLanger_Pexels.mp4"),
           "one face, a tile, 4 s x 4": looped(tiled_video(folder, folder / "one.mp4", [(4.0, ("W",))]), 4)}
    two = {"two, side by side, 4 s x 4": looped(tiled_video(folder, folder / "side.mp4", [(4.0, ("W", "M"))]), 4),
           "two, and a voice, 4 s x 4": looped(side_by_side_with_voice(folder, "W"), 4)}
    runs = [(name, path, today) for name, path in one.items() for today in (True, False)]
    runs += [(name, path, False) for name, path in two.items()]
    analyzer = build_analyzer(None)
    try:
        time_analysis(one["one face, a tile, 4 s x 4"], analyzer, False)  # warm up the engines
        figures = {run: [] for run in runs}
        for _ in range(repeats):
            for run in runs:
                figures[run].append(time_analysis(run[1], analyzer, run[2]))
    finally:
        analyzer.close()
    median = {run: tuple(statistics.median(values) for values in zip(*figures[run])) for run in runs}
    print(f"{'analysis':34} {'path':8} {'frames/s wall':>13} {'CPU ms/frame':>12}")
    for (name, path, today), (wall, cpu, frames) in median.items():
        print(f"{name:34} {'today' if today else 'subject':8} {frames / wall:13.1f} {cpu / frames * 1e3:12.2f}")
    for name, path in one.items():
        (wall_today, cpu_today, _), (wall_now, cpu_now, _) = median[(name, path, True)], median[(name, path, False)]
        print(f"{name}: subject / today = {wall_now / wall_today:.3f}x wall, {cpu_now / cpu_today:.3f}x CPU "
              f"(issue 36: at most 1.05x)")
    tile = median[("one face, a tile, 4 s x 4", one["one face, a tile, 4 s x 4"], False)]
    for name, path in two.items():
        wall, cpu, frames = median[(name, path, False)]
        print(f"{name}: {(frames / wall) / (tile[2] / tile[0]):.2f}x the one-face speed (wall), "
              f"{(tile[1] / tile[2]) / (cpu / frames):.2f}x (CPU) (issue 36: at least 0.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--analyze", action="store_true", help="time the whole analysis (issue 36 item 5)")
    options = parser.parse_args()
    if options.analyze:
        with tempfile.TemporaryDirectory() as folder:
            bench_analysis(Path(folder), options.repeats)
        return
    with tempfile.TemporaryDirectory() as folder, FaceDetector() as detector:
        clips = make_clips(Path(folder))
        print(f"{'clip':28} {'detector ms':>11} {'tracker ms':>10} {'ratio':>7} {'position-only':>13} "
              f"{'looks/frame':>11}")
        for name, path in clips.items():
            frames = list(iter_frames(path, range(FRAMES)))
            for frame in frames[:options.warmup]:
                detector.detect(frame.image)
            detect_s, with_look_s, position_s = [], [], []
            for _ in range(options.repeats):
                seconds, found = time_detector(detector, frames)
                detect_s.append(seconds)
                seconds, tracker = time_tracker(frames, found, appearance=True)
                with_look_s.append(seconds)
                position_s.append(time_tracker(frames, found, appearance=False)[0])
            detect, with_look, position = (statistics.median(values) for values in (detect_s, with_look_s, position_s))
            print(f"{name:28} {detect * 1e3:11.2f} {with_look * 1e3:10.3f} {with_look / detect:7.2%} "
                  f"{position / detect:13.2%} {tracker.appearance_samples / len(frames):11.2f}")
        frame = frames[0]
        face = found[0][0]
        start = time.process_time()
        for _ in range(1000):
            face_appearance(frame.image, face)
        look_s = (time.process_time() - start) / 1000
        print(f"one face's look: {look_s * 1e6:.0f} us ({look_s / detect:.2%} of a detector frame)")


if __name__ == "__main__":
    main()
