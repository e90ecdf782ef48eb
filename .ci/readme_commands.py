"""Run the README's own commands, so the README cannot drift from the code.

Reads the first code block under "## Two commands" in README.md: its first command is the
demo, its second the tests. `demo` runs the demo command exactly as written and then checks
that every output the demo promises exists and is not empty; `test` runs the test command.
Standard library only: it runs before any environment exists.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMISED = [
    "FYP/RecruitView_Data/metadata.jsonl",
    "FYP/RecruitView_Data/videos/vid_0001.mp4",
    "cache/manifest.csv",
    "models/demo_cnn.keras",
    "models/demo_cnn.tflite",
    "models/demo_cnn.json",
    "models/demo_cnn_history.csv",
    "models/demo_cnn_curves.png",
    "models/demo_cnn_confusion.png",
    "models/demo_cnn_evaluation.json",
    "models/demo_measures.json",
    "models/demo_measures.linear.json",
    "reports/comparison/comparison.md",
    "reports/comparison/comparison.json",
    "outputs/Facial_Expression_Expressiveness_Recognition.ipynb",
    "outputs/analysis/vid_0016_frames.csv",
    "outputs/analysis/vid_0016_summary.json",
    "outputs/analysis/vid_0016_timeline.png",
    "outputs/analysis/vid_0016_annotated.mp4",
    "outputs/analysis/vid_0016_report.html",
    "outputs/analysis/index.html",
]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    commands = [command for command in commands if command]
    if len(commands) != 2:
        sys.exit(f"README.md: expected two commands (demo, tests) under '## Two commands', found {commands}")
    return commands


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    demo, test = readme_commands()
    if which == "test":
        print(f"README test command: {test}", flush=True)
        return subprocess.run(test, shell=True, cwd=ROOT).returncode
    if which != "demo":
        sys.exit("usage: readme_commands.py demo|test")
    print(f"README demo command: {demo}", flush=True)
    code = subprocess.run(demo, shell=True, cwd=ROOT).returncode
    if code != 0:
        print(f"the README demo command `{demo}` failed with exit code {code}")
        return code
    missing = [name for name in PROMISED if not (ROOT / name).is_file() or (ROOT / name).stat().st_size == 0]
    if missing:
        print(f"the demo did not produce: {', '.join(missing)}")
        return 1
    print(f"demo outputs present: {len(PROMISED)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
