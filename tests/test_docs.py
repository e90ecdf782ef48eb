"""README.md and USAGE_GUIDE.md stay true: their links and the files they name exist, every
script and subcommand has --help, and the options the guide lists exist."""

import re
from pathlib import Path

import pytest

import expressiveness

from conftest import run_main
from expressiveness.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "USAGE_GUIDE.md")
SCRIPTS = ("real_time_demo.py", "test_system.py", "quick_analysis.py", "analyze_facial_data.py")


@pytest.mark.parametrize("document", DOCS)
def test_links_and_named_project_files_exist(document):
    text = (ROOT / document).read_text(encoding="utf-8")
    links = [target for target in re.findall(r"\]\(([^)]+)\)", text) if not target.startswith(("http", "#"))]
    named = re.findall(r"(?<![\w/.-])((?:expressiveness|benchmarks|tests|\.ci)/[\w/.-]+\.py|[\w-]+\.(?:py|ipynb))\b",
                       text)
    named = [name for name in named if not name.startswith(("your_", "my_"))]
    assert links or document == "USAGE_GUIDE.md"
    # A bare file name may live at the top or in one of the project's folders, or in the package (found
    # where Python imports it from: the checkout, or an installed wheel) or one of its job folders.
    package = Path(expressiveness.__file__).parent
    folders = [ROOT / folder for folder in ("", "benchmarks", "tests", ".ci")]
    folders += [package.parent, package, *(path for path in package.iterdir() if path.is_dir())]
    missing = sorted({path for path in links + named if not any((folder / path).exists() for folder in folders)})
    assert missing == [], f"{document} names files that do not exist: {missing}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_help(script, script_help):
    result = script_help(script)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: {script}")


def _subcommands():
    return build_parser()[1]


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_has_help_and_its_options_are_in_the_guide(command, capsys):
    # main() in this process, as the console script runs it (tests/test_cli.py runs the script).
    result = run_main(capsys, command, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: expressiveness {command}")
    guide = (ROOT / "USAGE_GUIDE.md").read_text(encoding="utf-8")
    options = [option for action in _subcommands()[command]._actions for option in action.option_strings
               if option.startswith("--") and option != "--help"]
    undocumented = [option for option in options if f"`{option}" not in guide and f"/ `{option}" not in guide]
    assert undocumented == [], f"USAGE_GUIDE.md does not describe {command} {undocumented}"


# Every example is run by `.ci/readme_commands.py examples` in CI (after the demo). These fast
# checks catch most drift in the test suite already: an undefined name in a python block, an
# option the command line does not have, a block the runner would not run without saying so.
def _runner():
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT_COMMANDS = {"real_time_demo.py": "live", "test_system.py": "check", "quick_analysis.py": "stats",
                   "analyze_facial_data.py": "report"}


def undefined_names(source: str) -> set[str]:
    """Names a python block reads but never binds (imports, assignments, loop and with targets,
    function names and arguments), builtins aside: a NameError waiting to happen."""
    import ast
    import builtins

    bound, used = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return used - bound - set(dir(builtins))


def parse_error(command: str, scheduler_file: Path) -> str | None:
    """What the real parser says about a documented expressiveness or script command (None: it
    parses; also None for other commands). A scheduler file given to --dask is replaced by an
    existing file: the parser checks that it exists."""
    import contextlib
    import io
    import shlex

    words = shlex.split(command)
    if words[0] in ("expressiveness", ".venv/bin/expressiveness"):
        argv = words[1:]
    elif words[0] == "python" and len(words) > 1 and words[1] in SCRIPT_COMMANDS:
        argv = [SCRIPT_COMMANDS[words[1]], *words[2:]]
    else:
        return None
    if argv == ["--version"]:
        return None
    argv = [str(scheduler_file) if before == "--dask" and not re.match(r"local$|\w+://", word) else word
            for before, word in zip(["", *argv], argv)]
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            build_parser()[0].parse_args(argv)
    except SystemExit:
        return stderr.getvalue().strip().splitlines()[-1]
    return None


def _documented_commands():
    runner = _runner()
    return [(document, line, command) for document in DOCS
            for language, line, text in runner.code_blocks(document) if language == "bash"
            for command in runner.shell_commands(text)]


@pytest.mark.parametrize("document", DOCS)
def test_every_code_block_runs_in_ci_or_says_why_not(document):
    runner = _runner()
    for language, line, text in runner.code_blocks(document):
        where = f"{document}, line {line}"
        # The runner runs bash and python; yaml is a file's contents; any other tag (sh, shell,
        # console) would be a command the runner never runs.
        assert language in ("bash", "python", "yaml", ""), f"{where}: ```{language} is not run in CI"
        if language == "python":
            undefined = sorted(undefined_names(text))
            assert undefined == [], f"{where}: the python block reads names it never defines: {undefined}"
        if language == "":
            commands = [row for row in text.splitlines() if re.match(r"(expressiveness|python|make) ", row)]
            assert commands == [], f"{where}: commands in an untagged block are never run"


def test_documented_commands_parse_with_the_real_command_line(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text("{}", encoding="utf-8")
    checked = 0
    for document, line, command in _documented_commands():
        error = parse_error(command, scheduler_file)
        assert error is None, f"{document}, line {line}: `{command}` does not parse: {error}"
        checked += command.startswith(("expressiveness", "python"))
    assert checked >= 30


def test_the_checks_catch_an_undefined_name_and_an_unknown_option(tmp_path):
    old_readme_snippet = (
        "from expressiveness.face import FaceDetector, crop_face\n"
        "from expressiveness.levels.predict import Predictor\n"
        "predictor = Predictor('models/expressiveness_cnn.keras')\n"
        "with FaceDetector() as detector:\n"
        "    faces = detector.detect(frame)\n"
        "    probabilities = predictor.predict([crop_face(frame, face) for face in faces])\n")
    assert undefined_names(old_readme_snippet) == {"frame"}
    assert undefined_names("import pandas as pd\nfor name in ['a']:\n    print(pd, name)\n") == set()
    assert parse_error("expressiveness analyze interviews/ --no-such-option", tmp_path) == (
        "expressiveness: error: unrecognized arguments: --no-such-option")
    assert parse_error("python real_time_demo.py --smoothing 2", tmp_path) == (
        "expressiveness live: error: argument --smoothing: 2 is not in (0, 1]")
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text("{}", encoding="utf-8")
    assert parse_error("expressiveness extract --dask ~/scheduler.json", scheduler_file) is None


def test_what_the_example_runner_does_not_run_is_in_the_documents_and_everything_else_runs(tmp_path):
    runner = _runner()
    commands = {command for _, _, command in _documented_commands()}
    assert set(runner.NOT_RUN) <= commands
    blocks = [text for document in DOCS for language, _, text in runner.code_blocks(document)
              if language in ("bash", "python")]
    for marker in runner.NOT_RUN_BLOCKS:
        assert sum(marker in text for text in blocks) == 1, f"{marker!r} should mark exactly one block"
    text = "".join((ROOT / document).read_text(encoding="utf-8") for document in DOCS)
    for placeholder in (runner.USER_DATA, runner.SHARED, runner.SCHEDULER_FILE, "tcp://", "interview.mp4",
                        "interviews/", "candidate_01_frames.csv"):
        assert placeholder in text, placeholder
    run_blocks = [text for text in blocks if runner.block_not_run(text) is None]
    not_run = [command for text in run_blocks for command in runner.shell_commands(text)
               if command not in runner.NOT_RUN and runner.runnable(command, {"parent": tmp_path})[0] is None]
    assert not_run == []


def test_the_runner_runs_commands_with_quick_settings_and_local_stand_ins(tmp_path):
    runner = _runner()
    places = {"parent": tmp_path, "scheduler": "tcp://127.0.0.1:40000", "scheduler_file": tmp_path / "s.json"}
    assert runner.runnable("expressiveness train --cache cache --epochs 50 --name cnn_50", places) == (
        "expressiveness train --cache cache --name cnn_50 --epochs 2", "--epochs 2")
    assert runner.runnable("expressiveness train --kind measures --workers 2", places)[0] == (
        "expressiveness train --kind measures --workers 2 --every 3")
    assert runner.runnable("expressiveness extract --dask local --workers 8", places)[0] == (
        "expressiveness extract --dask local --workers 2")
    assert runner.runnable("expressiveness analyze /shared/interviews --dask tcp://10.0.0.5:8786", places)[0] == (
        f"expressiveness analyze {tmp_path}/shared/interviews --dask tcp://127.0.0.1:40000")
    assert runner.runnable("expressiveness extract --dask ~/scheduler.json --workers 64", places)[0] == (
        f"expressiveness extract --dask {tmp_path}/s.json --workers 64")
    assert runner.runnable("cp -r /path/to/RecruitView_Data FYP/RecruitView_Data", places)[0] == (
        f"cp -r {tmp_path}/RecruitView_Data FYP/RecruitView_Data")
    assert runner.runnable("python real_time_demo.py", places)[0] is None


def test_the_notebook_command_the_runner_does_not_run_is_the_one_make_demo_runs():
    runner = _runner()
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    recipe = re.sub(r"\\\n\s*", " ", recipe)
    notebook = re.search(r"^NOTEBOOK := (\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M).group(1)
    assert runner.NOTEBOOK_RUN.endswith(f" {notebook}")
    for part in ("EXPRESSIVENESS_QUICK=1", "jupyter nbconvert --to notebook --execute", "--output-dir outputs"):
        assert part in runner.NOTEBOOK_RUN and part in recipe, part
    assert "$(NOTEBOOK)" in recipe
