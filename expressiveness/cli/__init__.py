"""The `expressiveness` console command: one subcommand per workflow (cli.commands).

Each group module (data, training, video) registers its subcommands' parsers; every subcommand
calls one package function and prints its summary. Bad options are rejected while parsing
(exit code 2, argparse's convention); a job that fails on bad input or an unusable file ends
with one line on stderr and exit code 1; any other exception is a bug and keeps its traceback.
Ctrl-C ends with one line and exit code 130 at any moment, also while the libraries load:
this module stays light, and `main` imports the commands inside its own handler.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line (cli.commands.run); `prog` names a top-level script that runs one
    subcommand (argv then starts with that subcommand) in usage lines and error messages."""
    try:
        from expressiveness.cli.commands import run

        return run(argv, prog)  # which reports a Ctrl-C during the command itself
    except KeyboardInterrupt:  # while the libraries load or the options are parsed
        command = list(sys.argv[1:] if argv is None else argv)[:1]
        name = prog or " ".join(["expressiveness", *command])
        print(f"{name}: interrupted while starting; nothing was written.", file=sys.stderr)
        return 130


def build_parser():
    """The top-level parser and each subcommand's parser by name (cli.commands.build_parser)."""
    from expressiveness.cli.commands import build_parser as build

    return build()
