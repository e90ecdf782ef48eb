"""Peak memory against video length: a long video's analysis must not keep what it has seen.

The facial measures of a file are measured against a reference fixed before the first frame
(48 sample frames spread over the whole video); the per-frame table is gathered column by
column. So a 20-minute video's peak RSS should stay within 150 MB of a 1-minute video's (the
table itself, ~90 columns of 36,000 rows, is a few tens of MB of that).

A demo clip is looped (forwards, then backwards) to --short and --long minutes at 30 fps; each
is analysed with the facial measures (and the levels with --model) in a fresh process, and the
process's peak RSS (VmHWM) is printed with the difference and ratio, the short clip's being
the baseline of the same run. The long run takes about as long as the video itself on 2 cores.

Run: .venv/bin/python benchmarks/bench_length.py [--short 1] [--long 20] [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import loop_clip  # noqa: E402
from expressiveness.config import DATA_DIR  # noqa: E402

TARGET_MB = 150

PEAK_SCRIPT = """
import sys
from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.per_video import analyze_video
model = sys.argv[2] if sys.argv[2] != "none" else None
analysis = analyze_video(sys.argv[1], build_analyzer(model))
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large parent would
# report the parent's size; VmHWM belongs to this process's own memory map.
print(int(next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1]), len(analysis.table), analysis.summary["reference"])
"""


def peak_rss(path: Path, model: str) -> tuple[float, int, str, float]:
    """(peak RSS in MB, frames analysed, reference used, seconds) of one analysis in a fresh process."""
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path), model], capture_output=True, text=True,
                            check=True).stdout.split()
    return int(output[-3]) / 1024, int(output[-2]), output[-1], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA_DIR))
    parser.add_argument("--short", type=float, default=1.0, help="minutes of the baseline clip")
    parser.add_argument("--long", type=float, default=20.0, help="minutes of the long clip")
    parser.add_argument("--model", default="none", help="a CNN for the levels too (default: measures only)")
    args = parser.parse_args()
    source = Path(args.data) / "videos" / "vid_0001.mp4"
    if not source.exists():
        sys.exit(f"no demo clip at {source}; run `make demo` first or pass --data.")
    with tempfile.TemporaryDirectory() as scratch:
        results = {}
        for label, minutes in (("short", args.short), ("long", args.long)):
            clip = Path(scratch) / f"{label}.mp4"
            loop_clip(source, clip, minutes * 60, fps=30.0)
            results[label] = peak_rss(clip, args.model)
            clip.unlink()
            mb, frames, reference, seconds = results[label]
            print(f"{minutes:g} min ({frames} frames, reference {reference}): peak RSS {mb:.0f} MB, {seconds:.0f} s")
        short, long = results["short"][0], results["long"][0]
        print(f"long - short = {long - short:+.0f} MB (target <= {TARGET_MB}); long / short = {long / short:.2f}")


if __name__ == "__main__":
    main()
