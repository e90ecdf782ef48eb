"""Keep native library chatter off the console unless the user asks for it (`--verbose`).

TensorFlow, LiteRT and MediaPipe log from C++ straight to file descriptor 2: CUDA probes
("cuInit", "Could not find cuda drivers"), "All log messages before absl::InitializeLog() is
called are written to STDERR", "Created TensorFlow Lite XNNPACK delegate for CPU",
inference_feedback_manager warnings. Python's `sys.stderr` cannot catch them. `quiet_native()`
raises the native log levels and points descriptor 2 at /dev/null while an engine starts;
Python's own `sys.stderr` keeps writing to the real console meanwhile, so warnings and errors
of the toolkit still reach the user, and exceptions propagate after descriptor 2 is restored.

MediaPipe prints some lines at a graph's first `process()` call, not at construction: wrap the
first call too (or warm the graph up inside the block).
"""

from __future__ import annotations

import io
import os
import sys
import threading
from contextlib import contextmanager

VERBOSE_ENV = "EXPRESSIVENESS_VERBOSE"  # "1": show native logs (inherited by spawned workers)
LOG_LEVELS = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow and its XLA/TSL C++ logging: errors hidden too
    "GLOG_minloglevel": "3",  # glog-based builds of MediaPipe
    # absl's C++ log (MediaPipe 1.x, LiteRT inside it): only errors reach stderr. Read when the
    # library starts logging, so warnings at any frame ("Input tensor memory is not aligned") stay hidden.
    "GOOGLE_STDERRTHRESHOLD": "2",
    # FFmpeg inside OpenCV: "moov atom not found" and the like for a broken file, on top of the
    # toolkit's own sentence naming it. Read when OpenCV first opens a video.
    "OPENCV_FFMPEG_LOGLEVEL": "-8",
    # OpenCV's own log ("[ERROR:0@...] cap_ffmpeg_impl.hpp: Could not find decoder", for a file
    # holding audio alone): the toolkit's sentence says the file cannot be read as a video.
    "OPENCV_LOG_LEVEL": "FATAL",
}


def verbose_requested() -> bool:
    """True when the environment asks for native logs (EXPRESSIVENESS_VERBOSE=1)."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def set_native_log_levels() -> dict:
    """Raise TensorFlow, glog and absl (Python) log thresholds for engines loaded from now on.

    A command-line entry point calls this once when not verbose (spawned workers inherit the
    environment). Returns what it replaced, for `restore_log_levels`.
    """
    previous = {name: os.environ.get(name) for name in LOG_LEVELS}
    os.environ.update(LOG_LEVELS)
    if "absl.logging" in sys.modules or _importable("absl"):
        from absl import logging as absl_logging

        previous["absl"] = absl_logging.get_verbosity()
        absl_logging.set_verbosity(absl_logging.ERROR)
    if "cv2" in sys.modules:  # OpenCV reads OPENCV_LOG_LEVEL only when it is imported
        import cv2

        previous["cv2"] = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_FATAL)
    return previous


def restore_log_levels(previous: dict) -> None:
    for name in LOG_LEVELS:
        if previous.get(name) is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous[name]
    if "absl" in previous:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(previous["absl"])
    if "cv2" in previous:
        import cv2

        cv2.utils.logging.setLogLevel(previous["cv2"])


def _importable(name: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _python_stderr_on_fd2() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # replaced by a capture without a descriptor
        return False


_lock = threading.Lock()
_depth = 0  # quiet blocks open, in any thread: descriptor 2 is restored when the last one ends
_state: tuple | None = None  # (saved descriptor, Python's stderr, console wrapper, previous levels)


@contextmanager
def quiet_native(verbose: bool | None = None):
    """Hide C++ log output of engines created (and first run) inside the block.

    verbose: True shows everything (does nothing); False hides; None (default) hides unless the
    environment variable EXPRESSIVENESS_VERBOSE is set to 1, which the CLI's --verbose sets so
    that worker processes follow it. Descriptor 2 is restored when the block ends, also on error.
    The log levels it sets are put back too. Blocks may nest and may overlap in several threads
    (the pipeline runs the detector and the landmarker in two): descriptor 2 stays hidden until
    the last open block ends. Not for long stretches: any C++ error printed meanwhile is lost too.
    """
    if verbose is None:
        verbose = verbose_requested()
    if verbose:
        yield
        return
    _enter_quiet()
    try:
        yield
    finally:
        _leave_quiet()


def _enter_quiet() -> None:
    global _depth, _state
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        previous_levels = set_native_log_levels()
        swap_python_stderr = _python_stderr_on_fd2()
        if swap_python_stderr:
            sys.stderr.flush()
        saved = os.dup(2)
        python_stderr = sys.stderr
        console = None
        if swap_python_stderr:
            # Python-level messages written meanwhile still go to the real console.
            console = io.TextIOWrapper(os.fdopen(os.dup(saved), "wb", buffering=0), encoding=python_stderr.encoding,
                                       errors="backslashreplace", line_buffering=True, write_through=True)
            sys.stderr = console
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 2)
        finally:
            os.close(null)
        _state = (saved, python_stderr, console, previous_levels)


def _leave_quiet() -> None:
    global _depth, _state
    with _lock:
        _depth -= 1
        if _depth > 0 or _state is None:
            return
        saved, python_stderr, console, previous_levels = _state
        _state = None
        os.dup2(saved, 2)
        os.close(saved)
        if console is not None:
            sys.stderr = python_stderr
            console.close()
        restore_log_levels(previous_levels)
