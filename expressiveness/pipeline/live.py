"""The live demo's loop over camera or file frames: analyse, draw, show and record each frame,
and keep what was recorded whatever ends the session.

A file measures like `analyze`: its facial measures' reference face is learnt from frames spread
over the whole file before it plays (learn_file_reference). A camera cannot look ahead and learns
it while playing. The live table's `reference` column says which ("whole_video" or "running").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from expressiveness.pipeline.frame_engine import FrameAnalyzer, FrameResult
from expressiveness.pipeline.per_video import write_table
from expressiveness.pipeline.scorers import MeasureScorer
from expressiveness.video import Frame, VideoInfo


@dataclass
class LiveSession:
    table: pd.DataFrame
    seconds: float
    interrupted: bool = False
    error: str = ""  # why the session stopped early or an output was lost, else ""
    saved: list[Path] = field(default_factory=list)  # the outputs written


def learn_file_reference(analyzer: FrameAnalyzer, path: str | Path, info: VideoInfo) -> None:
    """Before a video file plays: the facial measures' reference face and neutral from frames
    spread over the whole file, exactly as `analyze` learns them (per_video.reference_frames), so
    that a frame's measures do not depend on when it is shown. A file with too few usable faces
    keeps the running reference, as in `analyze`. Nothing to learn without the facial measures."""
    from expressiveness.pipeline.per_video import reference_frames

    from expressiveness.pipeline.subject import frame_by_frame

    analyzer.reset()
    if analyzer.options.measures and info.frame_count > 0:
        analyzer.learn_reference(*reference_frames(path, info, analyzer.options))
    analyzer.persons = frame_by_frame(analyzer.options)  # the `person` column, as analyze's for one person


def reference_kind(analyzer: FrameAnalyzer) -> str | None:
    """What the facial measures are compared with: "whole_video" (learnt before the first frame),
    "running" (learnt while playing: the first seconds read low), or None without the measures."""
    scorer = next((scorer for scorer in analyzer.scorers if isinstance(scorer, MeasureScorer)), None)
    return None if scorer is None else scorer.reference["reference"]


def live_table(analyzer: FrameAnalyzer, rows) -> pd.DataFrame:
    """The analyzer's per-frame table, with the facial measures' `reference` (reference_kind) as
    its last column when they were computed."""
    table = analyzer.table(rows)
    kind = reference_kind(analyzer)
    if kind is not None:
        table["reference"] = kind
    return table


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
    `error` says so), or a bug. Each output is saved even when the other cannot be. The table
    (live_table) has a `reference` column with the facial measures: call learn_file_reference
    first for a file, so that it reads "whole_video" and the values equal analyze's.
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
                saved += write_table(live_table(analyzer, rows), csv_path)[:1]
            except OSError as error:
                problems.append(error)
    return LiveSession(live_table(analyzer, rows), time.perf_counter() - started, interrupted,
                       str(problems[0]) if problems else "", saved)
