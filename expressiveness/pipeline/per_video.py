"""One video file through the frame engine (frame_engine.py): its reference sample (the whole video,
a baseline stretch or a baseline video), every frame streamed in order, the optional
annotated video, and the per-frame table and per-video summary with their provenance."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from expressiveness.config import LABELS
from expressiveness.errors import BaselineError, UnreadableVideoError
from expressiveness.pipeline.frame_engine import FrameAnalyzer, FrameResult, iter_analysis
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.scorers import REFERENCE_SAMPLE_FRAMES, LevelScorer
from expressiveness.pipeline.speech import (audio_off_summary, collect_voice_activity, speech_summary,
                                            start_voice_activity, with_speech_columns)
from expressiveness.pipeline.subject import prepare_subject
from expressiveness.video import Frame


def truncation_warning(frames_decoded: int, frames_declared: int) -> str:
    """The sentence for a video whose decoding stopped before the frame count its header declares."""
    return f"decoding stopped at frame {frames_decoded} of {frames_declared}: the file may be truncated"


def completeness(frames_decoded: int, frames_declared: int, analysed_s: float, declared_s: float,
                 capped: bool = False) -> str | None:
    """None when the frames decoded are the count the header declares, give or take one; else
    the sentence that says how much was analysed of what the header declares, and why. capped:
    decoding stopped at frames_decoded on purpose (sampled frames: DecodeTally), so there may be more."""
    if abs(frames_decoded - frames_declared) <= 1:
        return None
    said = f"{analysed_s:.1f} s analysed of {declared_s:.1f} s declared"
    if frames_decoded < frames_declared:
        return (f"{said}: the file stops decoding at frame {frames_decoded} of {frames_declared} "
                f"(truncated or damaged)")
    return (f"{said}: the file holds more frames than the {frames_declared} its header declares "
            f"({frames_decoded}{'+' if capped else ''} decoded; streams joined "
            f"together?)")


@dataclass
class VideoAnalysis:
    table: pd.DataFrame
    summary: dict


Annotator = Callable[[FrameResult, tuple], np.ndarray]


def analyze_video(path: str | Path, analyzer: FrameAnalyzer, annotate: Annotator | None = None,
                  annotated_path: str | Path | None = None, progress: bool = False) -> VideoAnalysis:
    """Analyse one video file, streaming frames (memory does not grow with its length).

    annotate(result, labels) -> BGR image draws a frame of the annotated video written to
    annotated_path (MP4). The summary says how much was analysed on one time base
    (time_summary: analysed_s beside the header's duration_s; "complete" false, with a
    "warning" sentence, when the frames decoded differ from the declared count) and records the provenance: the
    source file (path, size, modification time), analyzer.provenance() and whether an
    annotated video was made. With options.audio, the sound's voice activity runs in a child
    process beside the frames and adds the `speech` and `speaking` columns and the summary's
    audio part (pipeline/speech.py; a video without usable sound gets its status, never an
    error). Raises FileNotFoundError or UnreadableVideoError for files that
    cannot be read, OSError when the annotated video cannot be written.
    """
    from expressiveness._io import source_info
    from expressiveness.video import probe_video

    source = source_info(path)  # before decoding: a file replaced meanwhile is redone on the next run
    info = probe_video(path)
    # The sound's voice activity runs in its own process from now on, beside the frames in this one.
    job = start_voice_activity(path, info.duration_s) if analyzer.options.audio else None
    try:
        return _analyze(path, info, source, analyzer, job, annotate, annotated_path, progress)
    finally:
        if job is not None:
            job.close()  # only a child still running (an error here) is stopped


def _analyze(path, info, source, analyzer: FrameAnalyzer, job, annotate, annotated_path, progress) -> VideoAnalysis:
    from tqdm.auto import tqdm

    from expressiveness.video import VideoWriter, iter_frames, sample_indices
    from expressiveness.video.reading import DecodeTally

    analyzer.reset()
    if analyzer.options.measures and info.frame_count > 0:
        try:
            analyzer.learn_reference(*reference_frames(path, info, analyzer.options))
        except UnreadableVideoError as error:  # a baseline video that probes but does not decode
            if analyzer.options.baseline_video is None:
                raise
            raise BaselineError(f"the baseline video cannot be read: {error}") from error
    prepare_subject(path, info, analyzer, job)  # who is measured, once for the video (pipeline/subject.py)
    every = analyzer.options.every
    indices = None if every == 1 else sample_indices(info.frame_count, every=every)
    expected_rows = info.frame_count if indices is None else len(indices)
    labels = next((scorer.labels for scorer in analyzer.scorers if isinstance(scorer, LevelScorer)), LABELS)
    writer = VideoWriter(annotated_path, info.fps / every) if annotated_path is not None else None
    rows = analyzer.new_rows()
    tally = DecodeTally()
    started = time.perf_counter()
    bar = tqdm(total=expected_rows, desc=Path(path).name, unit="frame", leave=False, disable=not progress)
    try:
        for result in iter_analysis(iter_frames(path, indices, info, tally), analyzer):
            rows.append(result.row)
            if writer is not None:
                writer.write(annotate(result, labels))
            bar.update()
        if writer is not None:
            writer.close()
    finally:
        bar.close()
        if writer is not None:
            writer.abort()  # after close() it has nothing left to remove
    table = analyzer.table(rows)
    activity = collect_voice_activity(job, info.duration_s) if job is not None else None
    if activity is not None:
        table = with_speech_columns(table, activity)
    seconds = time.perf_counter() - started
    summary = {"video": str(path), **time_summary(table, info, tally)}
    end_frame = min(tally.frames, info.frame_count)  # what was not decoded, or lies past the header, is not analysed
    summary.update(analyzer.summarize(table, 1.0 / info.fps, end_frame))
    summary.update(speech_summary(analyzer, table, activity, 1.0 / info.fps, end_frame, summary)
                   if activity is not None else audio_off_summary())
    summary.update({"seconds": round(seconds, 2),
                    "frames_per_second": round(len(table) / seconds, 1) if seconds > 0 else None,
                    "provenance": {"source": source, **analyzer.provenance(), "annotate": writer is not None}})
    return VideoAnalysis(table, summary)


def time_summary(table: pd.DataFrame, info, tally) -> dict:
    """How much of the video was analysed, on the time base of measures/timebase.py: duration_s
    (the header's: frames declared / fps, shown, never divided by), analysed_s (the time the
    analysed frames stand for), usable_s (of it, the usable frames', with the facial measures),
    time_irregular (steps of the decoder's clock far off the nominal frame interval),
    frames_total (declared), frames_decoded (tally: a DecodeTally), complete and, when not
    complete, the warning."""
    from expressiveness.measures.quality import usable_mask
    from expressiveness.measures.timebase import frame_durations, irregular_steps

    interval_s, frames_decoded = 1.0 / info.fps, tally.frames
    end_frame = min(frames_decoded, info.frame_count)
    durations = frame_durations(table["timestamp"], table["frame"], interval_s, end_frame) if len(table) else np.zeros(0)
    analysed_s = float(durations.sum())
    summary = {"duration_s": round(info.duration_s, 3), "analysed_s": round(analysed_s, 3)}
    if "usable" in table.columns:
        summary["usable_s"] = round(float(durations[usable_mask(table)].sum()), 3)
    summary.update({"fps": round(info.fps, 3),
                    "time_irregular": int(irregular_steps(table["timestamp"], table["frame"], interval_s).sum()),
                    "frames_total": info.frame_count, "frames_decoded": frames_decoded})
    warning = completeness(frames_decoded, info.frame_count, analysed_s, info.duration_s, tally.capped)
    summary["complete"] = warning is None
    if warning is not None:
        summary["warning"] = warning
    return summary


def reference_frames(path, info, options: AnalysisOptions) -> tuple[Iterable[Frame], dict]:
    """The frames the facial measures' reference is learnt from, and how to describe them in the
    summary: REFERENCE_SAMPLE_FRAMES frames spread evenly over the whole video, over the
    options' baseline segment of it, or over the baseline video. Raises BaselineError for a
    baseline segment that starts or ends after the video's end or holds no frame, or a baseline video that cannot be read."""
    from expressiveness.video import iter_frames, probe_video, sample_indices

    if options.baseline_video is not None:
        try:
            baseline = probe_video(options.baseline_video)
        except (FileNotFoundError, UnreadableVideoError) as error:
            raise BaselineError(f"the baseline video cannot be read: {error}") from error
        if baseline.frame_count < 1:
            raise BaselineError(f"the baseline video {options.baseline_video} holds no frame; expected a neutral "
                                f"clip of the same person.")
        sample = sample_indices(baseline.frame_count, count=REFERENCE_SAMPLE_FRAMES)
        return iter_frames(options.baseline_video, sample, baseline), {
            "reference": "baseline_video", "baseline_video": str(Path(options.baseline_video).resolve())}
    if options.baseline is not None:
        start_s, end_s = options.baseline
        if end_s > info.duration_s + 0.5 / info.fps:
            late = f"starts at {start_s:g} s" if start_s >= info.duration_s else f"ends at {end_s:g} s"
            raise BaselineError(f"the baseline {start_s:g}:{end_s:g} s {late}, after the end of {path} "
                                f"({info.duration_s:.2f} s); expected START:END within the video.")
        first, last = math.ceil(start_s * info.fps), min(math.ceil(end_s * info.fps), info.frame_count)
        if last <= first:
            raise BaselineError(f"the baseline {start_s:g}:{end_s:g} s of {path} holds no frame at {info.fps:g} "
                                f"frames/s; expected a longer stretch.")
        sample = first + sample_indices(last - first, count=REFERENCE_SAMPLE_FRAMES)
        return iter_frames(path, sample, info), {"reference": "baseline", "baseline_s": [start_s, end_s], "of": str(path)}
    sample = sample_indices(info.frame_count, count=REFERENCE_SAMPLE_FRAMES)
    return iter_frames(path, sample, info), {"reference": "whole_video"}


def write_table(table: pd.DataFrame, csv_path: str | Path) -> list[Path]:
    """Write the per-frame table as CSV, and as Parquet beside it when pyarrow is installed."""
    from expressiveness._io import atomic_open, atomic_write

    csv_path = Path(csv_path)
    atomic_write(csv_path, table.to_csv(index=False))
    written = [csv_path]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return written
    parquet_path = csv_path.with_suffix(".parquet")
    with atomic_open(parquet_path) as handle:
        table.to_parquet(handle, index=False)
    written.append(parquet_path)
    return written
