"""The `expressiveness` console command's parser and dispatch: one subcommand per workflow.

Each group module (data, training, video) registers its subcommands' parsers; every subcommand
calls one package function and prints its summary. Bad options are rejected while parsing
(exit code 2, argparse's convention); a job that fails on bad input or an unusable file ends
with one line on stderr and exit code 1; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from pathlib import Path

from expressiveness.errors import ExpressivenessError
from expressiveness.face.bundle import FACE_MODEL_ENV
from expressiveness.quiet import VERBOSE_ENV, set_native_log_levels
from expressiveness.cli import data, training, video

GROUPS = (data, training, video)
FACE_COMMANDS = ("extract", "analyze", "live", "validate")  # and train --kind measures: they run the face engine


class _Versions(argparse.Action):
    """--version: what a bug report needs (cli.check.versions_text), read only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):
        from expressiveness.cli.check import versions_text

        print(versions_text())
        parser.exit()


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each subcommand's parser by name."""
    parser = argparse.ArgumentParser(
        prog="expressiveness",
        description="Facial expressiveness in video interviews: three levels (Reserved, Balanced, Expressive) "
                    "from MediaPipe face crops and a small Keras CNN.")
    parser.add_argument("--version", action=_Versions, nargs=0,
                        help="show the toolkit's, Python's and the key packages' versions and the face model's "
                             "hash status, and exit")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="also show the native libraries' log lines (TensorFlow, MediaPipe)")
    common.add_argument("--face-model", metavar="PATH",
                        help=f"MediaPipe face_landmarker.task bundle to use instead of the one packaged with the "
                             f"toolkit (also ${FACE_MODEL_ENV})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(commands, common)
    return parser, dict(commands.choices)


def run(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line; `prog` names a top-level script that runs one subcommand
    (argv then starts with that subcommand) in usage lines and error messages."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, subcommands = build_parser()
    if prog is not None:
        subcommands[argv[0]].prog = prog
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 1
    args.prog = prog or f"expressiveness {args.command}"
    if args.verbose:
        os.environ[VERBOSE_ENV] = "1"  # spawned workers inherit it
    else:
        set_native_log_levels()
    try:
        if args.face_model:  # worker processes inherit the variable
            os.environ[FACE_MODEL_ENV] = str(Path(args.face_model).absolute())
        if args.command in FACE_COMMANDS or getattr(args, "kind", None) == "measures":
            from expressiveness.face.bundle import load_bundle
            from expressiveness.face.runtime import check_mediapipe

            check_mediapipe()  # a missing or old mediapipe, a missing or wrong bundle: one sentence now,
            load_bundle()  # not a failure per video
        return args.run(args)
    except (ExpressivenessError, OSError) as error:
        print(f"{args.prog}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{args.prog}: interrupted; finished work is kept, rerun to resume.", file=sys.stderr)
        return 130
