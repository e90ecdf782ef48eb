"""Speaking and listening in words, for the report: what "In brief" says of a summary's split
(speech_sentences), the split beside each facial measure (split_words) and whether the person
was speaking in a moment (moment_speaking, speaking_words).

`speaking` is voice activity in the recording (audio/align.py): a voice is heard, whoever's it
is; listening is the usable time with sound and no voice. A summary of an analysis with sound
holds:
- audio: {"status": "ok"|"no_audio"|"undecodable"|"partial"|"unreadable"|"failed"|"off", "notes", ...};
- speaking_share: the share of the usable frames with sound where `speaking` is 1;
- speech_split: {"status": "ok"|"no_sound"|"no_speech"|"off", "min_usable_s",
  "speaking": {"usable_s", "note"}, "listening": {"usable_s", "note"}}, a side's note saying why
  it has no figures;
- M_speaking and M_listening for each split measure M (None for a side too short).
A summary without speech_split (made before the sound, or with --no-audio) gets no words.
"""

from __future__ import annotations

import math

import pandas as pd

from expressiveness.config import LABELS
from expressiveness.measures.speaking import SIDES as SPEAKING_VALUE
from expressiveness.report.wording import number, percent

SIDES = tuple(SPEAKING_VALUE)  # ("speaking", "listening"), as measures/speaking.py names the sides
NOT_SEPARATED = "speaking and listening are not separated."
NO_SOUND_WORDS = {  # the audio status of a recording whose sound gives no split: its one sentence
    "no_audio": f"The recording has no sound: {NOT_SEPARATED}",
    "undecodable": f"The recording's sound could not be decoded: {NOT_SEPARATED}",
    "unreadable": f"The recording's sound could not be read: {NOT_SEPARATED}",
    "failed": f"The voice activity of the recording's sound did not finish: {NOT_SEPARATED}"}
NO_SPEECH_WORDS = ("No speech was heard in the recording, so speaking and listening are not compared: every figure "
                   "is from time without speech.")
PARTIAL_WORDS = ("The sound covers only part of the video: speaking and listening are compared over the frames "
                 "with sound.")
REGIONS = ("brows", "eyes")  # what talking moves least: the mouth and jaw move with every word


def speech_sentences(summary: dict) -> list[str]:
    """What "In brief" says of speaking and listening: [] without a split (no speech_split, or
    the sound switched off); one sentence when there is no sound; whether speech was heard;
    which side was too short to compare, and why; else facial expressivity while speaking against
    while listening (the ratio, both means in % of the inter-ocular distance, then the brows
    and eyes, which talking moves less than the mouth), or the Expressive level's share on each
    side for an analysis with levels only."""
    split, audio = summary.get("speech_split") or {}, summary.get("audio") or {}
    status = split.get("status")
    if status in (None, "off") or audio.get("status") == "off":
        return []
    if status == "no_sound":
        return [NO_SOUND_WORDS.get(audio.get("status"), NO_SOUND_WORDS["no_audio"])]
    sentences = [PARTIAL_WORDS] if audio.get("status") == "partial" else []
    if status == "no_speech":
        return sentences + [NO_SPEECH_WORDS]
    heard = f"{percent(number(summary, 'speaking_share'))} of the usable time"
    short = _short_sides(split)
    if short:
        sides = [side for side, _ in short]
        which = f"{sides[0]} is" if len(sides) == 1 else "both sides are"
        return sentences + [f"Speech was heard in {heard}, but {which} too short to compare speaking with listening: "
                            f"{'; '.join(note for _, note in short)}."]
    return sentences + [_comparison(summary, heard)]


def _short_sides(split: dict) -> list[tuple[str, str]]:
    """(side, why) of each side of the split without figures: its note, or, when a summary gives
    none, its usable seconds under the minimum."""
    minimum, short = split.get("min_usable_s"), []
    for side in SIDES:
        facts = split.get(side) or {}
        note, usable_s = facts.get("note"), facts.get("usable_s")
        if not note and minimum is not None and usable_s is not None and usable_s < minimum:
            note = f"{usable_s:.1f} usable seconds of {side}, under the {minimum:g} s minimum"
        if note:
            short.append((side, note))
    return short


def _comparison(summary: dict, heard: str) -> str:
    lead = f"While speaking ({heard})"
    speaking, listening = (number(summary, f"expressivity_mean_{side}") for side in SIDES)
    if speaking is not None and listening is not None:
        words = (f"{lead}, facial expressivity was {_times(speaking, listening)} ({speaking:.1f}% vs "
                 f"{listening:.1f}% of the inter-ocular distance)")
        regions = [(region, *(number(summary, f"expressivity_{region}_mean_{side}") for side in SIDES))
                   for region in REGIONS]
        regions = [(region, speaking, listening) for region, speaking, listening in regions
                   if speaking is not None and listening is not None]
        if regions:
            words += (f"; talking moves the mouth, so compare the {' and '.join(region for region, _, _ in regions)}: "
                      + ", ".join(f"{region} {speaking:.1f}% vs {listening:.1f}%"
                                  for region, speaking, listening in regions))
        return words + "."
    speaking, listening = (number(summary, f"share_expressive_{side}") for side in SIDES)
    if speaking is not None and listening is not None:
        return (f"{lead}, the level was {LABELS[-1]} in {percent(speaking)} of the frames with a face, against "
                f"{percent(listening)} while listening.")
    return f"Speech was heard in {heard}."


def _times(speaking: float, listening: float) -> str:
    """How speaking's value compares with listening's: "1.4x that while listening"."""
    if listening <= 0:
        return "the same as while listening" if speaking == listening else "above that while listening"
    ratio = speaking / listening
    return "about the same as while listening" if f"{ratio:.1f}" == "1.0" else f"{ratio:.1f}x that while listening"


def split_words(summary: dict, key: str, digits: str = ".3g") -> str | None:
    """A measure's split beside its value in the report's table: "while speaking 1.9, while
    listening 1.2" ("n/a" for a side without figures); None when neither side has one."""
    values = [number(summary, f"{key}_{side}") for side in SIDES]
    if all(value is None for value in values):
        return None
    return ", ".join(f"while {side} {'n/a' if value is None else format(value, digits)}"
                     for side, value in zip(SIDES, values))


def moment_speaking(table: pd.DataFrame, start_s: float, end_s: float) -> bool | None:
    """Whether the person was speaking for most of a moment (its frames from start_s to end_s,
    as top_moments rounds them: to 1 ms): True when more than half of the frames with sound have
    `speaking` 1; None without the column or without sound in the moment."""
    if "speaking" not in table.columns:
        return None
    time_s = table["timestamp"].to_numpy(dtype="float64")
    inside = (time_s >= start_s - 0.001) & (time_s < end_s - 0.001)
    values = pd.to_numeric(table["speaking"][inside], errors="coerce").dropna()
    return bool((values == 1).mean() > 0.5) if len(values) else None


def speaking_words(value) -> str | None:
    """A moment's or frame's `speaking` (True/False, 1/0, None or NaN) in words: "while speaking",
    "while listening", or None when unknown."""
    if value is None or isinstance(value, str) or (isinstance(value, float) and math.isnan(value)):
        return None
    return "while speaking" if value else "while listening"


def speaking_share_note(summary: dict) -> str:
    """Why a summary has no speaking share (the index's dash): no sound, sound not analysed, or
    no usable frame with sound."""
    split, audio = summary.get("speech_split") or {}, summary.get("audio") or {}
    if split.get("status") in (None, "off") or audio.get("status") == "off":
        return "sound not analysed (--no-audio, or an analysis from before the sound)"
    if split.get("status") == "no_sound":
        return f"no sound (audio status: {audio.get('status', 'not recorded')})"
    return "no usable frame with sound"
