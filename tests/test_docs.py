"""README.md and USAGE_GUIDE.md stay true: their links and the files they name exist, every
script and subcommand has --help, and the options the guide lists exist."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

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
    # A bare file name may live at the top or in one of the project's folders.
    folders = ("", "expressiveness", "benchmarks", "tests", ".ci")
    missing = sorted({path for path in links + named if not any((ROOT / folder / path).exists() for folder in folders)})
    assert missing == [], f"{document} names files that do not exist: {missing}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_help(script):
    result = subprocess.run([sys.executable, str(ROOT / script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: {script}")


def _subcommands():
    return build_parser()[1]


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_has_help_and_its_options_are_in_the_guide(command):
    result = subprocess.run([sys.executable, "-m", "expressiveness.cli", command, "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: expressiveness {command}")
    guide = (ROOT / "USAGE_GUIDE.md").read_text(encoding="utf-8")
    options = [option for action in _subcommands()[command]._actions for option in action.option_strings
               if option.startswith("--") and option != "--help"]
    undocumented = [option for option in options if f"`{option}" not in guide and f"/ `{option}" not in guide]
    assert undocumented == [], f"USAGE_GUIDE.md does not describe {command} {undocumented}"


# Every example is run by `.ci/readme_commands.py examples` in CI (after the demo). These fast
# checks catch most drift in the test suite already.
def _runner():
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT_COMMANDS = {"real_time_demo.py": "live", "test_system.py": "check", "quick_analysis.py": "stats",
                   "analyze_facial_data.py": "report"}


def _documented_commands():
    runner = _runner()
    return [(document, line, command) for document in DOCS
            for language, line, text in runner.code_blocks(document) if language == "bash"
            for command in runner.shell_commands(text)]


@pytest.mark.parametrize("document", DOCS)
def test_every_code_block_is_bash_python_or_a_listing(document):
    import ast

    for language, line, text in _runner().code_blocks(document):
        assert language in ("bash", "python", ""), f"{document}, line {line}: ```{language} is not run in CI"
        if language == "python":
            ast.parse(text, f"{document}, line {line}")
        if language == "":
            commands = [row for row in text.splitlines() if re.match(r"(expressiveness|python|make) ", row)]
            assert commands == [], f"{document}, line {line}: commands in an untagged block are never run"


def test_documented_commands_parse_with_the_real_command_line():
    import shlex

    parser = build_parser()[0]
    checked = 0
    for document, line, command in _documented_commands():
        words = shlex.split(command)
        if words[0] in ("expressiveness", ".venv/bin/expressiveness"):
            argv = words[1:]
        elif words[0] == "python" and words[1] in SCRIPT_COMMANDS:
            argv = [SCRIPT_COMMANDS[words[1]], *words[2:]]
        else:
            continue
        if argv == ["--version"]:
            continue
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{document}, line {line}: `{command}` does not parse")
        checked += 1
    assert checked >= 20


def test_what_the_example_runner_skips_or_replaces_is_still_in_the_documents():
    runner = _runner()
    commands = {command for _, _, command in _documented_commands()}
    assert set(runner.NOT_RUN) <= commands
    text = "".join((ROOT / document).read_text(encoding="utf-8") for document in DOCS)
    assert runner.USER_DATA in text
    for placeholder in ("interview.mp4", "interviews/", "candidate_01"):
        assert placeholder in text, placeholder
    assert [command for command in commands if command not in runner.NOT_RUN and runner.runnable(
        command, Path("/tmp"))[0] is None] == []
