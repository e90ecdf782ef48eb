"""The live demo's loop over camera or file frames: analyse, draw, show and record each frame,
and keep what was recorded whatever ends the session."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from expressiveness.pipeline.frames import FrameAnalyzer, FrameResult
from expressiveness.pipeline.per_video import write_table
from expressiveness.video import Frame


@dataclass
class LiveSession:
    table: pd.DataFrame
    seconds: float
    interrupted: bool = False
    error: str = ""  # why the session stopped early or an output was lost, else ""
    saved: list[Path] = field(default_factory=list)  # the outputs written


def run_live(frames: Iterable[Frame], analyzer: FrameAnalyzer, draw: Callable[[FrameResult, float | None], np.ndarray],
             show: Callable[[np.ndarray], bool] | None = None, output: str | Path | None = None,
             csv_path: str | Path | None = None, frame_rate: float = 30.0, pace: bool = False,
             max_frames: int | None = None) -> LiveSession:
    """The live demo's loop: analyse each frame, draw it, show it and record it.

    draw(result, fps) -> BGR image; show(image) -> False to stop (a window; None: no window).
    pace: hold each frame until its timestamp (a file watched in a window plays at its own
    frame rate); otherwise frames are processed as fast as possible. What was recorded (the
    annotated video at `output`, the per-frame table at `csv_path`) is written on any exit:
    the end of the source, 'q', Ctrl-C, a camera that fails mid-session (the session's
    `error` says so), or a bug. Each output is saved even when the other cannot be.
    """
    from expressiveness.errors import ExpressivenessError
    from expressiveness.video import VideoWriter

    writer = VideoWriter(output, frame_rate) if output else None
    rows, fps, interrupted, problems, saved = analyzer.new_rows(), None, False, [], []
    started = time.perf_counter()
    try:
        for frame in frames:
            tick = time.perf_counter()
            result = analyzer.analyze(frame)
            rows.append(result.row)
            canvas = draw(result, fps)
            if writer is not None:
                writer.write(canvas)
            current = 1.0 / max(time.perf_counter() - tick, 1e-6)  # the processing rate, not the display rate
            fps = current if fps is None else 0.9 * fps + 0.1 * current
            if pace:
                time.sleep(max(0.0, frame.timestamp_s - (time.perf_counter() - started)))
            if show is not None and not show(canvas):
                break
            if max_frames and len(rows) >= max_frames:
                break
    except KeyboardInterrupt:
        interrupted = True
    except (ExpressivenessError, OSError) as error:  # the camera, or the video being written, failed
        problems.append(error)
    finally:
        if writer is not None:
            try:
                writer.close()  # what was recorded is kept, whatever ended the session
                saved += [writer.path] if writer.path.exists() else []
            except OSError as error:
                problems.append(error)
            finally:
                writer.abort()  # after close() it has nothing left to remove
        if csv_path:
            try:
                saved += write_table(analyzer.table(rows), csv_path)[:1]
            except OSError as error:
                problems.append(error)
    return LiveSession(analyzer.table(rows), time.perf_counter() - started, interrupted,
                       str(problems[0]) if problems else "", saved)
