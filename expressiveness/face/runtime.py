"""MediaPipe in this process: importing it lightly (without TensorFlow, pyplot only on first
use), checking its version without importing it, and closing engines left open at exit
(MediaPipe's own finaliser prints a traceback after module teardown). engine.py builds on it."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import types
import weakref

from expressiveness._interrupts import interrupts_deferred
from expressiveness.errors import FaceEngineError


class _PyplotOnFirstUse(types.ModuleType):
    """Stands in for matplotlib.pyplot while mediapipe's vision package is imported: its drawing
    helpers (which the toolkit never calls) import pyplot at import time, ~28 MB and 0.3 s in
    every process that only analyses video. The real pyplot is imported at the first use."""

    def __getattr__(self, name):
        import importlib

        return getattr(importlib.import_module("matplotlib.pyplot"), name)


def _stand_ins() -> dict:
    """Modules to place in sys.modules for mediapipe's import (see import_mediapipe)."""
    stand_ins = {}
    if "mediapipe" in sys.modules:
        return stand_ins
    if "tensorflow" not in sys.modules:
        stand_ins["tensorflow"] = None
    if "matplotlib.pyplot" not in sys.modules:
        stand_ins["matplotlib.pyplot"] = pyplot = _PyplotOnFirstUse("matplotlib.pyplot")
        if "matplotlib" not in sys.modules:
            stand_ins["matplotlib"] = package = types.ModuleType("matplotlib")
            package.pyplot = pyplot
    return stand_ins


def import_mediapipe():
    """mediapipe with its Tasks vision API. mediapipe.tasks imports TensorFlow only to decorate
    API docs and falls back to a no-op without it: hiding TensorFlow for this one import keeps
    the face pipeline ~3 s faster to start and ~1 GB lighter per worker; pyplot stands in until
    it is used (_PyplotOnFirstUse). Raises FaceEngineError when mediapipe is missing or has no
    Tasks API."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    stand_ins = _stand_ins()
    sys.modules.update(stand_ins)
    try:
        with interrupts_deferred():  # MediaPipe's start-up code could swallow a Ctrl-C
            import mediapipe
            from mediapipe.tasks.python import BaseOptions, vision
    except ImportError as error:
        installed = sys.modules.get("mediapipe")
        found = f"mediapipe {getattr(installed, '__version__', '?')}" if installed else "no mediapipe"
        raise FaceEngineError(f"{found} without the Tasks API ({error}); expected mediapipe 1.2 or later with "
                              f"FaceDetector and FaceLandmarker: pip install 'mediapipe>=1.2,<2'") from None
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name, False) is module:
                del sys.modules[name]
    return mediapipe, BaseOptions, vision


_open_engines: "weakref.WeakSet" = weakref.WeakSet()


def track_engine(engine) -> None:
    """Close `engine` at interpreter exit if nobody did: MediaPipe's own __del__ runs after module
    teardown and prints a traceback ("'NoneType' object is not callable"), as in a batch worker
    that is stopped while its engines are open. Each MediaPipe task calls C through a thread pool
    that concurrent.futures shuts down before atexit handlers run, so the closing is registered
    with threading's exit hooks (run in reverse order: this one before concurrent.futures')."""
    global _exit_hook_registered
    if not _exit_hook_registered:  # once per process, at the first engine, not at import
        register = getattr(threading, "_register_atexit", atexit.register)
        register(_close_open_engines)
        _exit_hook_registered = True
    _open_engines.add(engine)


_exit_hook_registered = False


def _close_open_engines() -> None:
    for engine in list(_open_engines):
        try:
            engine.close()
        except RuntimeError:  # too late to close cleanly: make MediaPipe's __del__ a no-op
            task = getattr(engine, "_engine", None)
            if task is not None:
                task._handle = None
            engine._engine = None


def check_mediapipe() -> str:
    """The installed mediapipe's version, read from its metadata without importing it (a command
    checks this before it starts workers). Raises FaceEngineError for a missing mediapipe or one
    older than 1.2, which has no Tasks face API or no wheel for this Python."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("mediapipe")
    except PackageNotFoundError:
        raise FaceEngineError("mediapipe is not installed; expected mediapipe 1.2 or later: "
                              "pip install 'mediapipe>=1.2,<2'") from None
    major_minor = tuple(int(part) if part.isdigit() else 0 for part in found.split(".")[:2])
    if major_minor < (1, 2):
        raise FaceEngineError(f"mediapipe {found} is installed; expected mediapipe 1.2 or later, whose Tasks API "
                              f"(FaceDetector, FaceLandmarker) the face engine runs on: pip install 'mediapipe>=1.2,<2'")
    return found
