"""Property-based tests of the command line's option converters (expressiveness/cli/_options.py):
frame steps and counts (--every, --workers, --camera, --bootstrap), sizes and rates (--margin,
--rate, --learning-rate), fractions (--min-confidence, --smoothing), --thresholds, --baseline
START:END, --name, --baseline-video and --dask.

Whatever the text (argv can hold any character, even an unpaired surrogate from bytes that are
not UTF-8), a converter returns a value that meets the option's contract and that its own
written form gives back, or raises argparse.ArgumentTypeError, which argparse prints after
"argument --NAME: " as the one line of a usage error: one printable line naming the value.
Runs are derandomized and keep no example database, so a failure replays.
"""

import argparse
import math
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, configuration, example, given, settings
from hypothesis import strategies as st

from expressiveness.cli import _options as options

from conftest import examples

SETTINGS = settings(max_examples=examples(200), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Hypothesis keeps its caches (Unicode tables, constants of the package's source, written while
# pytest collects) and failure patches in .hypothesis/ of the working directory: not in the work tree.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "expressiveness-hypothesis")


ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates too: argv's undecodable bytes
SPACE = st.sampled_from(["", " ", "\t", "\n", "\u00a0"])
NUMBER_TEXT = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.integers().map(str),
    st.floats().map(repr),
    st.floats(allow_nan=False).map(lambda number: f"{number:e}"),
    st.sampled_from(["nan", "-inf", "Infinity", "1e400", "1_000", "0x10", "\u0663", "\uff17", "1,5", "", ".",
                     "9" * 5000, "1" * 4301, "0.5\x00", "+0", "-0", "00"]),
)
NUMBERISH = st.builds(lambda before, number, after: before + number + after, SPACE, NUMBER_TEXT, SPACE)
TEXTS = st.one_of(st.text(ANY_CHARACTER, max_size=12), NUMBERISH,
                  st.builds(lambda a, separator, b: a + separator + b, NUMBERISH, st.sampled_from([":", ","]),
                            NUMBERISH))


def assert_names_the_value(error: argparse.ArgumentTypeError, text: str, value_shown=()):
    """One printable line that shows the text as typed (or its repr when it has invisible
    characters) or the number it was read as."""
    message = str(error)
    assert message and message.isprintable(), message
    shown = [repr(text)] + ([text] if text.isprintable() and text == text.strip() and text else []) + list(value_shown)
    assert any(form in message for form in shown), (message, shown)


def whole_number_text(text: str):
    try:
        return [str(int(text))]
    except ValueError:
        return []


WHOLE_NUMBERS = [(options.positive_int, 1), (options.whole_number(0), 0), (options.whole_number(2), 2),
                 (options.whole_number(100), 100)]


@SETTINGS
@given(text=TEXTS, converter=st.sampled_from(WHOLE_NUMBERS))
@example(text="2\n", converter=WHOLE_NUMBERS[0]).via("a value ending in a newline")
def test_whole_numbers_round_trip_or_are_refused_in_one_line(text, converter):
    """--every, --workers, --frames-per-clip, --camera, --bootstrap...: an int >= the minimum
    whose decimal form reads back as itself, or an ArgumentTypeError naming the value."""
    convert, minimum = converter
    try:
        value = convert(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text, whole_number_text(text))
        return
    assert type(value) is int and value >= minimum and convert(str(value)) == value


INTERVALS = [(options.fraction, 0.0, 1.0, False, False), (options.weight, 0.0, 1.0, True, False),
             (options.non_negative, 0.0, math.inf, False, True), (options.positive, 0.0, math.inf, True, True)]


@SETTINGS
@given(text=TEXTS, interval=st.sampled_from(INTERVALS))
@example(text="nan\n", interval=INTERVALS[2]).via("a non-finite value ending in a newline")
@example(text="2\n", interval=INTERVALS[1]).via("a value out of range ending in a newline")
def test_numbers_in_an_interval_round_trip_or_are_refused_in_one_line(text, interval):
    """--min-confidence [0, 1], --smoothing (0, 1], --margin [0, inf), --rate and
    --learning-rate (0, inf): a finite float in the interval whose repr reads back as itself,
    or an ArgumentTypeError naming the value."""
    convert, low, high, low_open, high_open = interval
    try:
        value = convert(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text)
        return
    assert type(value) is float and math.isfinite(value)
    assert (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    assert convert(repr(value)) == value


@SETTINGS
@given(text=st.one_of(TEXTS, st.sampled_from(["default", "tertiles", "Default", " default"])))
@example(text="1,\n2\n").via("two numbers with newlines")
def test_cut_points_round_trip_or_are_refused_in_one_line(text):
    """--thresholds: "default", "tertiles", or two finite floats low <= high whose written form
    LOW,HIGH reads back as them; otherwise an ArgumentTypeError naming the value."""
    try:
        value = options.thresholds(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text)
        return
    if isinstance(value, str):
        assert value == text and value in ("default", "tertiles")
        return
    low, high = value
    assert math.isfinite(low) and math.isfinite(high) and low <= high
    assert options.thresholds(f"{low!r},{high!r}") == value


@SETTINGS
@given(text=TEXTS)
@example(text="0:1\n").via("a range ending in a newline")
def test_time_ranges_round_trip_or_are_refused_in_one_line(text):
    """--baseline START:END: two finite seconds with 0 <= START < END whose written form reads
    back as them; otherwise an ArgumentTypeError naming the value."""
    try:
        value = options.time_range(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text)
        return
    start, end = value
    assert math.isfinite(start) and math.isfinite(end) and 0 <= start < end
    assert options.time_range(f"{start!r}:{end!r}") == value


@SETTINGS
@given(text=st.one_of(st.text(ANY_CHARACTER, max_size=20), st.sampled_from(["model", "a.b", "..", ".x", "a/b"])))
@example(text="a\x00b").via("a NUL, which no file name may hold")
@example(text="a\nb").via("a newline")
def test_model_names_are_plain_file_names_or_are_refused_in_one_line(text):
    """--name: a name that makes NAME.keras, NAME.json... in the models folder: not empty, no
    folder separator, not hidden, and only printable characters (no NUL, newline or unpaired
    surrogate); otherwise an ArgumentTypeError naming the value."""
    try:
        value = options.file_name(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text)
        return
    assert value == text and os.path.basename(value) == value and not value.startswith(".")
    assert "/" not in value and "\\" not in value and value.isprintable()


PATHS = st.one_of(st.text(ANY_CHARACTER, max_size=20), st.text("ab/.", min_size=250, max_size=300),
                  st.sampled_from(["", ".", "/", "local", "tcp://host:8786", "tcp://", "://x"]))


@SETTINGS
@given(text=PATHS)
@example(text="a" * 300).via("a file name longer than the system allows")
def test_existing_files_are_files_or_are_refused_in_one_line(text):
    """--baseline-video: an existing file, or an ArgumentTypeError naming the value; never an
    OSError (name too long) or ValueError (NUL) from the file system."""
    try:
        value = options.existing_file(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text)
        return
    assert value == text and os.path.isfile(text)


@SETTINGS
@given(text=PATHS)
@example(text="a" * 300).via("a scheduler file name longer than the system allows")
def test_dask_clusters_are_addresses_or_files_or_are_refused_in_one_line(text):
    """--dask: "local", SCHEME://ADDRESS or an existing scheduler file, or an ArgumentTypeError
    naming the value."""
    pytest.importorskip("distributed")
    try:
        value = options.dask_cluster(text)
    except argparse.ArgumentTypeError as error:
        assert_names_the_value(error, text)
        return
    scheme, separator, rest = text.partition("://")
    assert value == text and (text == "local" or (separator and scheme.isalpha() and rest) or os.path.isfile(text))


def test_an_existing_file_is_taken_as_given(tmp_path):
    """The positive case the generated texts rarely hit: a real file (and a scheduler file)."""
    path = tmp_path / "neutral clip.mp4"
    path.write_bytes(b"")
    assert options.existing_file(str(path)) == str(path)
    if options.importlib.util.find_spec("distributed") is not None:
        assert options.dask_cluster(str(path)) == str(path)
