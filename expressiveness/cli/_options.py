"""Typed option converters and the options several subcommands share.

A converter turns the text of one option into its value or raises ArgumentTypeError; argparse
then prints "argument --smoothing: 2 is not in (0, 1]" and exits with code 2, before any work.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os

from expressiveness.config import (CACHE_DIR, DEFAULT_FACE_SELECTION, DEFAULT_MIN_CONFIDENCE, DEFAULT_MODEL,
                                   FACE_SELECTIONS, METADATA_FILE)


def _shown(text: str) -> str:
    """The text as typed, or its repr when spaces around it or invisible characters (a newline,
    a NUL) would hide it or break the message's one line."""
    return text if text.isprintable() and text == text.strip() and text else repr(text)


def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a finite number")
    return value


def whole_number(minimum: int):
    """Converter for a whole number >= minimum."""
    def convert(text: str) -> int:
        value = _number(text, int)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not a whole number >= {minimum}")
        return value
    return convert


def number_in(low: float, high: float = math.inf, low_open: bool = False, high_open: bool = False):
    """Converter for a number in an interval, e.g. number_in(0, 1, low_open=True) for (0, 1]."""
    interval = f"{'(' if low_open else '['}{low:g}, {'inf)' if high == math.inf else f'{high:g}' + (')' if high_open else ']')}"

    def convert(text: str) -> float:
        value = _number(text, float)
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if not (above and below):
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not in {interval}")
        return value
    return convert


positive_int = whole_number(1)
fraction = number_in(0.0, 1.0)  # [0, 1]
weight = number_in(0.0, 1.0, low_open=True)  # (0, 1]
non_negative = number_in(0.0)
positive = number_in(0.0, low_open=True)


def file_name(text: str) -> str:
    """A plain file name: no folder separators, not hidden, only printable characters (no NUL,
    newline or unpaired surrogate, which no file name or model card can hold)."""
    if not text or any(char in text for char in "/\\") or text.startswith(".") or not text.isprintable():
        raise argparse.ArgumentTypeError(f"{text!r} is not a plain file name such as expressiveness_cnn")
    return text


def thresholds(text: str):
    """default, tertiles, or LOW,HIGH with LOW <= HIGH."""
    if text in ("default", "tertiles"):
        return text
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not default, tertiles, or two numbers LOW,HIGH "
                                         f"such as -0.303,0.294") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise argparse.ArgumentTypeError(f"{text!r}: expected two finite numbers with LOW <= HIGH")
    return (low, high)


def dask_cluster(text: str) -> str:
    """local, a scheduler address such as tcp://HOST:8786, or an existing scheduler file."""
    if importlib.util.find_spec("distributed") is None:
        raise argparse.ArgumentTypeError("Dask is not installed; install it with "
                                         "pip install 'dask[distributed]==2026.8.0' (the project's dask extra)")
    scheme, separator, rest = text.partition("://")
    if text == "local" or (separator and scheme.isalpha() and rest):
        return text
    if not os.path.isfile(text):  # False, not OSError, for a name too long or holding a NUL
        raise argparse.ArgumentTypeError(f"{text!r} is not local, a scheduler address such as tcp://HOST:8786, "
                                         f"or an existing scheduler file")
    return text


def add_parallel(parser, default_workers: int | None, workers_help: str) -> None:
    """--workers and --dask: where the per-video tasks run."""
    parser.add_argument("--workers", type=positive_int, default=default_workers, help=workers_help)
    parser.add_argument("--dask", type=dask_cluster, metavar="CLUSTER", default=None,
                        help="run the videos on a Dask cluster: local (--workers processes on this machine), "
                             "tcp://HOST:PORT, or a scheduler file; videos and outputs must be on a file system "
                             "the workers share")


def add_metadata(parser) -> None:
    parser.add_argument("--metadata", default=str(METADATA_FILE), help=f"metadata.jsonl (default: {METADATA_FILE})")


def add_cache(parser) -> None:
    parser.add_argument("--cache", default=str(CACHE_DIR),
                        help=f"face-crop cache folder, written by extract (default: {CACHE_DIR})")


def _default_text(default) -> str:
    return "as the model's training crops, from its card" if default is None else str(default)


def add_min_confidence(parser, default: float | None = DEFAULT_MIN_CONFIDENCE) -> None:
    parser.add_argument("--min-confidence", type=fraction, default=default,
                        help=f"face detection score threshold in [0, 1] (default: {_default_text(default)})")


def add_face(parser, default: str | None = DEFAULT_FACE_SELECTION) -> None:
    parser.add_argument("--face", choices=FACE_SELECTIONS, default=default,
                        help=f"which face is the interviewee (default: {_default_text(default)})")


def add_analysis(parser) -> None:
    """The options of every command that analyses frames (levels and facial measures)."""
    parser.add_argument("--model", default=None,
                        help=f"trained model for the levels (default: {DEFAULT_MODEL}; without it, and without "
                             f"--model, only the facial measures are computed)")
    parser.add_argument("--measures", action=argparse.BooleanOptionalAction, default=True,
                        help="facial measures from MediaPipe's face mesh: head pose and motion, expressivity "
                             "(default: on; --no-measures for levels only, faster)")
    # None: as the model's training crops were found and chosen (its card), so that inference crops
    # like training; an option given overrides the card.
    add_min_confidence(parser, None)
    add_face(parser, None)


def add_baseline(parser) -> None:
    """Where the facial measures' reference comes from (files only: the camera cannot look ahead)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--baseline", type=time_range, metavar="START:END", default=None,
                       help="seconds of each video that show the person at rest: the reference face and "
                            "blendshape neutral come from them instead of the whole video")
    group.add_argument("--baseline-video", metavar="PATH", default=None, type=existing_file,
                       help="a neutral clip of the same person: the reference comes from it instead of the video")


def add_audio(parser) -> None:
    """--audio / --no-audio: the video's own sound splits the measures into speaking and listening."""
    parser.add_argument("--audio", action=argparse.BooleanOptionalAction, default=True,
                        help="voice activity from the video's own sound: per-frame speech and speaking columns and "
                             "every summary measure split into speaking and listening (default: on; --no-audio "
                             "skips it)")


def subject(text: str):
    """Converter for --subject: auto, largest, center, speaker, or a person id N >= 0."""
    from expressiveness.config import SUBJECT_RULES

    if text.isdigit():
        return int(text)
    if text not in SUBJECT_RULES:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not {', '.join(SUBJECT_RULES)} or a person id such as 0 "
                                         f"(the ids are in a summary's subject.persons)")
    return text


def add_subject(parser) -> None:
    """Who is measured when several persons are in view (pipeline/subject.py)."""
    parser.add_argument("--subject", type=subject, default="auto", metavar="RULE",
                        help="who is measured when several persons are in view, chosen once per video: auto (speaker "
                             "when two or more persons are in view and the sound has speech, else largest), largest, "
                             "center, speaker (whose mouth follows the voice), or a person id N (default: auto)")


def existing_file(text: str) -> str:
    """Converter for a path that must name an existing file."""
    if not os.path.isfile(text):  # False, not OSError, for a name too long or holding a NUL
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a file; expected a video of the same person at rest")
    return text


def time_range(text: str) -> tuple[float, float]:
    """Converter for START:END in seconds, 0 <= START < END."""
    start, colon, end = text.partition(":")
    try:
        values = (float(start), float(end)) if colon else None
    except ValueError:
        values = None
    if values is None or not all(math.isfinite(value) for value in values) or not 0 <= values[0] < values[1]:
        raise argparse.ArgumentTypeError(f"{text!r} is not START:END in seconds with 0 <= START < END, such as 0:10")
    return values


def analysis_options(args, smoothing):
    from expressiveness.pipeline.options import AnalysisOptions

    return AnalysisOptions(every=getattr(args, "every", 1), smoothing=smoothing,
                           min_confidence=args.min_confidence, face_selection=args.face, measures=args.measures,
                           baseline=getattr(args, "baseline", None), baseline_video=getattr(args, "baseline_video", None),
                           audio=getattr(args, "audio", True), subject=getattr(args, "subject", "auto"))


def analysis_model(args) -> str | None:
    """The model the levels come from (pipeline.run.level_model: --model, which must exist, else
    the default model if it exists, else None for the facial measures only), with what the
    console should say about it on stderr."""
    import sys

    from expressiveness.pipeline.run import card_notes, level_model
    from expressiveness.card import read_card

    model, notes = level_model(args.model, args.measures)
    for note in notes + (card_notes(model, read_card(model, model_must_exist=True)) if model is not None else []):
        print(note, file=sys.stderr)
    return model
