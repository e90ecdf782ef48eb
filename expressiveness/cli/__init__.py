"""The `expressiveness` console command: one subcommand per workflow (cli.commands).

Each group module (data, training, video) registers its subcommands' parsers; every subcommand
calls one package function and prints its summary. Bad options are rejected while parsing
(exit code 2, argparse's convention); a job that fails on bad input or an unusable file ends
with one line on stderr and exit code 1; any other exception is a bug and keeps its traceback.
Ctrl-C ends with one line and exit code 130 at any moment, also while the libraries load:
this module stays light, and `main` imports the commands with Ctrl-C held back (a library's
start-up code could otherwise swallow the interrupt) and reports it once they are loaded.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line (cli.commands.run); `prog` names a top-level script that runs one
    subcommand (argv then starts with that subcommand) in usage lines and error messages."""
    try:
        from expressiveness._interrupts import interrupts_deferred

        with interrupts_deferred():
            from expressiveness.cli.commands import run
        code = run(argv, prog)  # which reports a Ctrl-C during the command itself
    except KeyboardInterrupt:  # while the libraries load or the options are parsed
        command = list(sys.argv[1:] if argv is None else argv)[:1]
        name = prog or " ".join(["expressiveness", *command])
        print(f"{name}: interrupted while starting; nothing was written.", file=sys.stderr)
        code = 130
    if code == 130:
        _forget_nested_interrupt()
    return code


def _forget_nested_interrupt() -> None:
    """Keep exit code 130 for a Ctrl-C that was caught. CPython notes a KeyboardInterrupt that
    leaves any nested PyRun_* call (some extension modules run code that way while they are
    imported) as unhandled, and `python -m` then ends the process by SIGINT (-2 to a parent)
    even though the interrupt was caught; running one empty statement through the same C
    function clears that note (pythonrun.c, run_eval_code_obj)."""
    import ctypes

    run_string = getattr(ctypes.pythonapi, "PyRun_SimpleString", None)
    if run_string is not None:
        run_string.argtypes = [ctypes.c_char_p]
        run_string(b"pass")


def build_parser():
    """The top-level parser and each subcommand's parser by name (cli.commands.build_parser)."""
    from expressiveness.cli.commands import build_parser as build

    return build()
