"""README.md and USAGE_GUIDE.md stay true: their links and the files they name exist, every
script and subcommand has --help, and the options the guide lists exist."""

import re
from pathlib import Path

import pytest

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
    # A bare file name may live at the top or in one of the project's folders.
    folders = ("", "expressiveness", "benchmarks", "tests", ".ci")
    missing = sorted({path for path in links + named if not any((ROOT / folder / path).exists() for folder in folders)})
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
