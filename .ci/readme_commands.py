"""Run the documentation's own commands, so README.md and USAGE_GUIDE.md cannot drift from the code.

    python3 .ci/readme_commands.py demo       # README's demo command, then every promised output
    python3 .ci/readme_commands.py examples   # every bash and python block of both documents
    python3 .ci/readme_commands.py test       # README's test command

`demo` and `test` read the first code block under "## Two commands" in README.md: its first
command is the demo, its second the tests. `examples` needs the state `make demo` leaves (the
demo data set, cache/, models/demo_cnn.keras, .venv). For each document it copies the project
into a temporary folder, as a user has it after `make demo`, adds the files the examples name as
the user's own (PLACEHOLDERS), and runs every ```bash block as one script and every ```python
block as one file, top to bottom, with .venv/bin first on PATH. Commands in NOT_RUN are skipped
for the reason given; `expressiveness train` runs with 2 epochs (QUICK_EPOCHS). Any non-zero exit
fails the run. Standard library only: `demo` runs before any environment exists.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "USAGE_GUIDE.md")
DEMO_MODEL = "models/demo_cnn.keras"
PROMISED = [
    "FYP/RecruitView_Data/metadata.jsonl",
    "FYP/RecruitView_Data/videos/vid_0001.mp4",
    "cache/manifest.csv",
    DEMO_MODEL,
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
# Documented commands that `examples` does not run (matched without their comment), and why.
NOT_RUN = {
    "make demo": "CI runs it first (readme_commands.py demo)",
    "make test": "CI runs it last (readme_commands.py test)",
    "make setup": "a part of make demo",
    "make bench": "the benchmarks take about 6 minutes and measure, not check",
    "python real_time_demo.py": "needs a webcam",
}
# What the documents name as the user's own files: workspace path -> demo file it is a copy of.
PLACEHOLDERS = {
    "interview.mp4": "FYP/RecruitView_Data/videos/vid_0001.mp4",
    "interviews/candidate_01.mp4": "FYP/RecruitView_Data/videos/vid_0001.mp4",
    "interviews/candidate_02.mp4": "FYP/RecruitView_Data/videos/vid_0016.mp4",  # the face leaves the frame
    "interviews/candidate_03.mp4": "FYP/RecruitView_Data/videos/vid_0019.mp4",  # no face at all
}
USER_DATA = "/path/to/RecruitView_Data"  # the user's copy of a data set: a copy of the demo data set
QUICK_EPOCHS = 2
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "outputs", "reports", "__pycache__", ".pytest_cache",
                                     "*.egg-info", "results")
BLOCK_TIMEOUT_S = 1200


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    commands = [command for command in commands if command]
    if len(commands) != 2:
        sys.exit(f"README.md: expected two commands (demo, tests) under '## Two commands', found {commands}")
    return commands


def code_blocks(document: str) -> list[tuple[str, int, str]]:
    """(language, first line number, text) of every fenced block of a document, in order;
    language "" for an untagged block (a listing, not run)."""
    text = (ROOT / document).read_text(encoding="utf-8")
    return [(match.group(1), text.count("\n", 0, match.start()) + 2, match.group(2))
            for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)]


def shell_commands(block: str) -> list[str]:
    """The commands of a bash block, continuation lines joined, comments and blanks removed."""
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = [line.split(" #", 1)[0].strip() for line in joined.splitlines()]
    return [command for command in commands if command and not command.startswith("#")]


def runnable(command: str, workspace_parent: Path) -> tuple[str | None, str]:
    """(the command as the runner runs it, or None when it is not run; a note saying why)."""
    if command in NOT_RUN:
        return None, NOT_RUN[command]
    note = ""
    if re.match(r"(expressiveness|\.venv/bin/expressiveness) train\b", command):
        command = re.sub(r"\s--epochs\s+\d+", "", command) + f" --epochs {QUICK_EPOCHS}"
        note = f"with --epochs {QUICK_EPOCHS}"
    if USER_DATA in command:
        command = command.replace(USER_DATA, str(workspace_parent / "RecruitView_Data"))
        note = "your copy of a data set: a copy of the demo data set"
    return command, note


def make_workspace(parent: Path, venv: Path) -> Path:
    """A copy of the project as `make demo` leaves it, plus the placeholder files."""
    workspace = parent / "project"
    shutil.copytree(ROOT, workspace, ignore=COPY_IGNORE, symlinks=True)
    (workspace / ".venv").symlink_to(venv)
    for target, source in PLACEHOLDERS.items():
        (workspace / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace / source, workspace / target)
    shutil.copytree(workspace / "FYP" / "RecruitView_Data", parent / "RecruitView_Data")
    return workspace


def run_document(document: str, venv: Path) -> list[str]:
    """Run a document's examples in a fresh workspace; returns the failures (empty: all ran)."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="docs-examples-") as folder:
        parent = Path(folder)
        workspace = make_workspace(parent, venv)
        environment = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
                       "MPLBACKEND": "Agg"}
        for number, (language, line, text) in enumerate(code_blocks(document)):
            where = f"{document}, line {line}"
            if language == "bash":
                lines = []
                for command in shell_commands(text):
                    run, note = runnable(command, parent)
                    print(f"[{where}] {'skip' if run is None else 'run '}: {command}"
                          + (f"  ({note})" if note else ""), flush=True)
                    if run is not None:
                        lines.append(run)
                if not lines:
                    continue
                script = parent / f"block_{number}.sh"
                script.write_text("set -e -o pipefail\n" + "\n".join(lines) + "\n", encoding="utf-8")
                argv = ["bash", str(script)]
            elif language == "python":
                print(f"[{where}] run : python block ({len(text.splitlines())} lines)", flush=True)
                script = parent / f"block_{number}.py"
                script.write_text(text, encoding="utf-8")
                argv = [str(venv / "bin" / "python"), str(script)]
            else:
                continue  # a listing (file layout, tables), not a command
            try:
                code = subprocess.run(argv, cwd=workspace, env=environment, timeout=BLOCK_TIMEOUT_S).returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            if code != 0:
                failures.append(f"{where}: the {language} block ended with {code}:\n{text}")
                print(f"FAILED ({code}): {where}", flush=True)
    return failures


def run_examples(venv: Path) -> int:
    missing = [name for name in ("FYP/RecruitView_Data/metadata.jsonl", "cache/manifest.csv", DEMO_MODEL)
               if not (ROOT / name).is_file()]
    if missing or not (venv / "bin" / "python").exists():
        print(f"examples run after `make demo`; missing: {', '.join(missing) or venv}")
        return 1
    failures = [failure for document in DOCUMENTS for failure in run_document(document, venv)]
    for failure in failures:
        print(failure)
    print(f"documented examples: {len(failures)} failed" if failures else "documented examples: all ran")
    return 1 if failures else 0


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which == "examples":
        venv = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / ".venv"
        return run_examples(venv.absolute())
    demo, test = readme_commands()
    if which == "test":
        print(f"README test command: {test}", flush=True)
        return subprocess.run(test, shell=True, cwd=ROOT).returncode
    if which != "demo":
        sys.exit("usage: readme_commands.py demo|examples [VENV]|test")
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
