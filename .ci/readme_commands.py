"""Run the documentation's own commands, so README.md and USAGE_GUIDE.md cannot drift from the code.

    python3 .ci/readme_commands.py demo       # README's demo command, then every promised output
    python3 .ci/readme_commands.py examples   # every bash and python block of both documents
    python3 .ci/readme_commands.py test       # README's test command

`demo` and `test` read the first code block under "## Two commands" in README.md: its first
command is the demo, its second the tests. Standard library only: `demo` runs before any
environment exists.

`examples` needs the state `make demo` leaves (the demo data set, cache/, models/demo_cnn, .venv).
For each document it copies the project into a temporary folder, as a user has it after
`make demo`, and runs every ```bash block as one script and every ```python block as one file,
top to bottom, with .venv/bin first on PATH; any non-zero exit fails the run. The two documents
run side by side, each block's output printed when it ends. What the documents name as the
user's own is made real: interview.mp4 and interviews/ are demo clips (PLACEHOLDERS);
/path/to/RecruitView_Data (USER_DATA) is other footage under the demo's ids, and after the
README's own-data steps OWN_DATA_CHECK checks that no crop of the demo footage was reused;
/shared/ (SHARED) is a local folder holding copies of interviews/ and the demo data set; a
scheduler address (tcp://...) or ~/scheduler.json (SCHEDULER_FILE) is a `dask scheduler` with
two `dask worker`s that the runner starts on 127.0.0.1 for that document. QUICK settings keep it
short. Nothing is skipped silently: every command in NOT_RUN, every block in NOT_RUN_BLOCKS and
every block in another language (yaml: a file's contents) or untagged (a listing) is printed as
"not run" with its reason.
"""

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "USAGE_GUIDE.md")
DEMO_MODEL = "models/demo_cnn.keras"
DEMO_DATA = "FYP/RecruitView_Data"
PROMISED = [
    f"{DEMO_DATA}/metadata.jsonl",
    f"{DEMO_DATA}/videos/vid_0001.mp4",
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
NOTEBOOK_RUN = ("EXPRESSIVENESS_QUICK=1 .venv/bin/jupyter nbconvert --to notebook --execute --output-dir outputs "
                "Facial_Expression_Expressiveness_Recognition.ipynb")
# Documented commands that are not run (matched without their comment), and why.
NOT_RUN = {
    "make demo": "CI's first step runs it (readme_commands.py demo)",
    "make test": "CI's last step runs it (readme_commands.py test)",
    "make setup": "a part of make demo, which CI runs first",
    "make bench": "about 6 minutes of speed measurements, meaningless on a shared CI machine",
    "python real_time_demo.py": "reads the webcam, and a CI machine has none (the documented run on a file, "
                                "--source interview.mp4, is run)",
    NOTEBOOK_RUN: "the notebook run `make demo` does (its Makefile recipe runs this command; tests/test_docs.py "
                  "checks that), 3 to 6 minutes that CI has just spent",
}
# Blocks that are not run, recognised by a line they hold, and why.
NOT_RUN_BLOCKS = {
    "#SBATCH": "a SLURM batch script: needs sbatch, srun and a SLURM cluster (its extract --dask SCHEDULER_FILE "
               "is run against the local scheduler above)",
    "SLURMCluster(": "needs dask-jobqueue (not a dependency of the project) and a SLURM cluster to submit jobs to",
    "helm install": "needs a Kubernetes cluster with the Dask Helm chart and an image of the project",
}
USER_DATA = "/path/to/RecruitView_Data"  # the user's own data set: other footage under the demo's ids
SHARED = "/shared/"  # a shared file system: a folder holding interviews/ and RecruitView_Data/
SCHEDULER_FILE = "~/scheduler.json"
PLACEHOLDERS = {  # workspace path -> the demo clip it is a copy of
    "interview.mp4": f"{DEMO_DATA}/videos/vid_0001.mp4",
    "interviews/candidate_01.mp4": f"{DEMO_DATA}/videos/vid_0001.mp4",
    "interviews/candidate_02.mp4": f"{DEMO_DATA}/videos/vid_0016.mp4",  # the face leaves the frame
    "interviews/candidate_03.mp4": f"{DEMO_DATA}/videos/vid_0019.mp4",  # no face at all
}
QUICK = {"epochs": 2, "workers": 2, "every": 3}  # train epochs; at most 2 local processes; measures models
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "outputs", "reports", "__pycache__", ".pytest_cache",
                                     "*.egg-info", "results", "mutants")
BLOCK_TIMEOUT_S = 900
COMMAND = r"^(?:\.venv/bin/)?expressiveness "
PRINTING = threading.Lock()


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
    joined = re.sub(r"[ \t]*\\\n\s*", " ", block)
    commands = [line.split(" #", 1)[0].strip() for line in joined.splitlines()]
    return [command for command in commands if command and not command.startswith("#")]


def block_not_run(text: str) -> str | None:
    """Why a whole block is not run, or None."""
    return next((reason for marker, reason in NOT_RUN_BLOCKS.items() if marker in text), None)


def runnable(command: str, places: dict) -> tuple[str | None, str]:
    """(the command as the runner runs it, or None when it is not run; a note saying what changed).

    places: "parent" (the folder holding the workspace, the user's data set and shared/), and,
    when a Dask cluster runs, "scheduler" (its tcp:// address) and "scheduler_file"."""
    if command in NOT_RUN:
        return None, NOT_RUN[command]
    notes = []
    parent = Path(places["parent"])
    if re.match(COMMAND + r"train\b", command):
        if "--kind measures" in command:
            if "--every" not in command:
                command += f" --every {QUICK['every']}"
                notes.append(f"--every {QUICK['every']}")
        else:
            command = re.sub(r"\s--epochs\s+\d+", "", command) + f" --epochs {QUICK['epochs']}"
            notes.append(f"--epochs {QUICK['epochs']}")
    if USER_DATA in command:
        command = command.replace(USER_DATA, str(parent / "RecruitView_Data"))
        notes.append("your data set: other footage under the demo's ids")
    if SHARED in command:
        command = command.replace(SHARED, f"{parent / 'shared'}/")
        notes.append("/shared/: a local folder")
    cluster = re.search(r"tcp://\S+", command) or SCHEDULER_FILE in command
    if re.search(r"tcp://\S+", command):
        command = re.sub(r"tcp://\S+", places.get("scheduler", "tcp://127.0.0.1:8786"), command)
        notes.append("the runner's local Dask scheduler")
    if SCHEDULER_FILE in command:
        command = command.replace(SCHEDULER_FILE, str(places.get("scheduler_file", parent / "scheduler.json")))
        notes.append("the runner's scheduler file")
    workers = re.search(r"--workers (\d+)", command)
    if workers and int(workers.group(1)) > QUICK["workers"] and not cluster:
        command = command.replace(workers.group(0), f"--workers {QUICK['workers']}")
        notes.append(f"--workers {QUICK['workers']} (the CI machine's cores)")
    return command, ", ".join(notes)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dask_cluster(folder: Path, venv: Path, environment: dict):
    """A `dask scheduler` and two single-threaded `dask worker`s on 127.0.0.1, as a user starts
    them (cwd elsewhere than the project); yields (address, scheduler file)."""
    scheduler_file, address = folder / "scheduler.json", f"tcp://127.0.0.1:{free_port()}"
    log = open(folder / "dask.log", "w")
    commands = [[str(venv / "bin" / "dask"), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                 "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                [str(venv / "bin" / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                 "--no-dashboard", "--memory-limit", "4GB"]]
    processes = []
    try:
        for command in commands:
            processes.append(subprocess.Popen(command, cwd=folder, env=environment, stdout=log, stderr=log,
                                              start_new_session=True))
            if len(processes) == 1:
                deadline = time.monotonic() + 60
                while not scheduler_file.exists() and time.monotonic() < deadline:
                    time.sleep(0.5)
        wait = (f"from distributed import Client\nwith Client({address!r}, timeout=60) as client:\n"
                f"    client.wait_for_workers(2, timeout=180)\n")
        subprocess.run([str(venv / "bin" / "python"), "-c", wait], env=environment, check=True, timeout=240)
        say(f"Dask scheduler {address} with 2 workers (scheduler file {scheduler_file})")
        yield address, scheduler_file
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        log.flush()
        print((folder / "dask.log").read_text(encoding="utf-8", errors="replace")[-3000:])
        raise
    finally:
        for process in reversed(processes):  # each in its own session: its group is it and its children
            os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def make_workspace(parent: Path, venv: Path) -> dict:
    """A copy of the project as `make demo` leaves it, the placeholder files, the user's data set
    and /shared/. Returns the statuses the user's data set must get: {id: status}."""
    workspace = parent / "project"
    shutil.copytree(ROOT, workspace, ignore=COPY_IGNORE, symlinks=True)
    (workspace / ".venv").symlink_to(venv)
    for target, source in PLACEHOLDERS.items():
        (workspace / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace / source, workspace / target)
    shared = parent / "shared"
    shutil.copytree(workspace / "interviews", shared / "interviews")
    shutil.copytree(workspace / DEMO_DATA, shared / "RecruitView_Data")
    return make_user_data(workspace / DEMO_DATA, parent / "RecruitView_Data")


def make_user_data(demo: Path, target: Path) -> dict:
    """Other footage under the demo's ids: the demo set without its marker, with the videos of a
    clip with a face and of the clip without one exchanged. With crops matched by id, the
    first would keep 32 faces of the demo footage. Returns {id: status extract must give}."""
    shutil.copytree(demo, target, ignore=shutil.ignore_patterns(".demo_dataset.json"))
    with open(ROOT / "cache" / "manifest.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    with_face = [row for row in rows if row["status"] == "ok"][-1]  # not vid_0001: test_system.py looks there
    without = next(row for row in rows if row["status"] == "no_face")
    first, second = target / with_face["file_name"], target / without["file_name"]
    swap = first.with_name(".swap")
    first.rename(swap)
    second.rename(first)
    swap.rename(second)
    return {with_face["id"]: "no_face", without["id"]: "ok"}


# Run after the README's own-data steps, in the workspace: every crop in cache/ was made from the
# user's file of that id (source path, size, modification time), and the exchanged clips have
# the status of their new footage.
OWN_DATA_CHECK = """
import csv, json, sys
from pathlib import Path
from expressiveness import read_crops
from expressiveness.data.cache import cache_file_name

expected, problems = json.loads(sys.argv[1]), []
with open("cache/manifest.csv", newline="", encoding="utf-8") as file:
    rows = {row["id"]: row for row in csv.DictReader(file)}
for video_id, status in expected.items():
    if rows[video_id]["status"] != status:
        problems.append(f"clip {video_id} is {rows[video_id]['status']} (faces kept: "
                        f"{rows[video_id]['faces_kept']}), but its new footage is {status}")
for video_id, row in rows.items():
    source = Path("FYP/RecruitView_Data") / row["file_name"]
    crops = read_crops(Path("cache/crops") / cache_file_name(video_id))
    made_from = (str(crops["source_path"]), int(crops["source_size_bytes"]), int(crops["source_modified_ns"]))
    if made_from != (str(source.resolve()), source.stat().st_size, source.stat().st_mtime_ns):
        problems.append(f"cache/crops of clip {video_id} were made from {made_from}, not from {source}")
print("\\n".join(problems) or f"own data: all {len(rows)} clips extracted from the new files; "
      f"{', '.join(f'{key} is {value}' for key, value in expected.items())}")
sys.exit(1 if problems else 0)
"""


def say(*lines: str) -> None:
    """Print lines together: the two documents run at the same time."""
    with PRINTING:
        print("\n".join(lines), flush=True)


def run_document(document: str, venv: Path, results: dict) -> None:
    """Run a document's examples in a fresh workspace; results[document] = (failures, seconds)."""
    failures, started = [], time.monotonic()
    with tempfile.TemporaryDirectory(prefix="docs-examples-") as folder:
        parent = Path(folder)
        expected = make_workspace(parent, venv)
        environment = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
                       "MPLBACKEND": "Agg"}
        blocks = code_blocks(document)
        needs_cluster = any(re.search(r"tcp://|" + re.escape(SCHEDULER_FILE), text) and not block_not_run(text)
                            for language, _, text in blocks if language == "bash")
        try:
            with (dask_cluster(parent, venv, environment) if needs_cluster else _nothing()) as cluster:
                places = {"parent": parent, "venv": venv, "environment": environment, "expected": expected}
                if cluster:
                    places.update(scheduler=cluster[0], scheduler_file=cluster[1])
                for number, (language, line, text) in enumerate(blocks):
                    failure = run_block(f"{document}, line {line}", number, language, text, places)
                    failures += [failure] if failure else []
        except (OSError, subprocess.SubprocessError) as error:  # the workspace or the cluster
            failures.append(f"{document}: could not prepare its examples: {error}")
    results[document] = failures, time.monotonic() - started


@contextmanager
def _nothing():
    yield None


def run_block(where: str, number: int, language: str, text: str, places: dict) -> str | None:
    """Run one block in the workspace; returns a failure message or None."""
    parent, venv = Path(places["parent"]), places["venv"]
    if language not in ("bash", "python"):
        what = f"a {language} block (a file's contents" if language else "an untagged block (a listing"
        say(f"[{where}] not run: {what}, not a command)")
        return None
    reason = block_not_run(text)
    if reason:
        say(f"[{where}] not run: the {language} block ({reason})")
        return None
    if language == "bash":
        lines, plan = [], []
        for command in shell_commands(text):
            run, note = runnable(command, places)
            plan.append(f"[{where}] {'not run' if run is None else 'run'}: {command}" + (f"  ({note})" if note else ""))
            lines += [run] if run is not None else []
        say(*plan)
        if not lines:
            return None
        script = parent / f"block_{number}.sh"
        script.write_text("set -e -o pipefail\n" + "\n".join(lines) + "\n", encoding="utf-8")
        argv = ["bash", str(script)]
    else:
        say(f"[{where}] run: python block ({len(text.splitlines())} lines)")
        script = parent / f"block_{number}.py"
        script.write_text(text, encoding="utf-8")
        argv = [str(venv / "bin" / "python"), str(script)]
    started = time.monotonic()
    code, output = run_captured(argv, places)
    if code == 0 and USER_DATA in text:
        check = [str(venv / "bin" / "python"), "-c", OWN_DATA_CHECK, json.dumps(places["expected"])]
        code, more = run_captured(check, places)
        code, output = code and "a failed own-data check", output + more
    say(f"[{where}] output:", *output, f"[{where}] {'ok' if code == 0 else 'FAILED'} in "
        f"{time.monotonic() - started:.0f} s")
    return None if code == 0 else f"{where}: the {language} block ended with {code}:\n{text}"


def run_captured(argv: list[str], places: dict) -> tuple[int | str, list[str]]:
    """Exit code (or why there is none) and output lines, each as a terminal would last show it
    (progress bars rewrite their line)."""
    try:
        result = subprocess.run(argv, cwd=Path(places["parent"]) / "project", env=places["environment"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=BLOCK_TIMEOUT_S)
        code, output = result.returncode, result.stdout
    except subprocess.TimeoutExpired as timeout:
        code, output = f"a timeout ({BLOCK_TIMEOUT_S} s)", timeout.stdout or b""
    lines = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in output.decode("utf-8", "replace").splitlines()]
    return code, [f"    {line}" for line in lines if line.strip()]


def run_examples(venv: Path) -> int:
    missing = [name for name in (f"{DEMO_DATA}/metadata.jsonl", "cache/manifest.csv", DEMO_MODEL)
               if not (ROOT / name).is_file()]
    if missing or not (venv / "bin" / "python").exists():
        print(f"examples run after `make demo`; missing: {', '.join(missing) or venv}")
        return 1
    started, results = time.monotonic(), {}
    threads = [threading.Thread(target=run_document, args=(document, venv, results)) for document in DOCUMENTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [failure for document in DOCUMENTS for failure in results.get(document, ([f"{document}: "
                                                                                          f"the runner broke"],))[0]]
    for failure in failures:
        print(failure)
    took = ", ".join(f"{document} {results[document][1]:.0f} s" for document in DOCUMENTS if document in results)
    took += f"; {time.monotonic() - started:.0f} s in all, side by side"
    print(f"documented examples: {len(failures)} failed ({took})" if failures
          else f"documented examples: all ran ({took})")
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
