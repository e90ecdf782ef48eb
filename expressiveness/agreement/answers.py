"""What `validate` checks against the ratings, and how each is said in words: the fixed video
summary measures (ANSWERS), the single blendshapes it may choose after looking, the voice
activity share and the speaking / listening split of each measure when the summaries have them
(issue 35), and the other per-clip figures kept in clips.csv."""

from __future__ import annotations

from expressiveness.face import BLENDSHAPE_COLUMNS
from expressiveness.measures.blendshapes import BLENDSHAPE_EXPRESSIVITY_COLUMNS, BLENDSHAPE_REGIONS

# Video-level answers checked against the ratings: summary key -> what it is.
ANSWERS = {
    "expressivity_mean": "mean facial expressivity (% inter-ocular distance)",
    "expressivity_p90": "90th percentile of facial expressivity",
    "expressivity_brows_mean": "mean expressivity of the brows",
    "expressivity_eyes_mean": "mean expressivity of the eyes",
    "expressivity_mouth_mean": "mean expressivity of the mouth",
    "blendshape_expressivity_mean": "mean blendshape expressivity (rise above the neutral, 0-1)",
    "blendshape_expressivity_p90": "90th percentile of blendshape expressivity",
    **{f"blendshape_expressivity_{region}_mean": f"mean blendshape expressivity of the {region.replace('_', ' and ')}"
       for region in BLENDSHAPE_REGIONS},
    "facial_motion_mean": "mean facial motion (% inter-ocular distance per s)",
    "head_motion_deg_s_mean": "mean head motion (deg/s)",
    "head_yaw_range_deg": "head yaw range, 5th-95th percentile (deg)",
    "blinks_per_minute": "blinks per minute",
    "expected_level": "CNN's expected level (0 Reserved .. 2 Expressive)",
}
SPEECH_COLUMNS = ("speaking_share", "speaking_usable_s", "listening_usable_s")  # kept in clips.csv when present
SPLIT_SIDES = {"speaking": "while speaking", "listening": "while not speaking (listening)"}
# Candidates for the single blendshapes chosen after looking: the mean score of each of the 43
# expression blendshapes (those of BLENDSHAPE_REGIONS: not gaze, where a person looks, nor _neutral).
SINGLE_BLENDSHAPES = tuple(f"bs_{name}_mean" for names in BLENDSHAPE_REGIONS.values() for name in names)
CHOSEN_BLENDSHAPES = 3
# Per-clip figures kept in clips.csv beside the answers, for analyses of one's own.
CLIP_COLUMNS = tuple(dict.fromkeys(
    [f"{name}_{statistic}" for name in BLENDSHAPE_EXPRESSIVITY_COLUMNS for statistic in ("mean", "p90")]
    + ["usable_share", "reference", "reference_note"]
    + [f"{column}_{statistic}" for column in BLENDSHAPE_COLUMNS for statistic in ("mean", "p90", "share_above_0_5")]))


def speech_columns(summaries, bases) -> list[str]:
    """The voice-activity columns some summary has: SPEECH_COLUMNS, then each base's _speaking
    and _listening split, in bases' order. summaries: summary dicts."""
    present = set().union(*(summary.keys() for summary in summaries))
    split = [f"{base}_{side}" for base in bases for side in SPLIT_SIDES]
    return [column for column in [*SPEECH_COLUMNS[:1], *split, *SPEECH_COLUMNS[1:]] if column in present]


def candidate_answers() -> list[str]:
    """validate's answers: ANSWERS, speaking_share, then the speaking and listening split of
    each of ANSWERS that analyze splits (speech.is_split_measure; those a clip table lacks are
    skipped by validation_table)."""
    from expressiveness.pipeline.speech import is_split_measure

    return [*ANSWERS, SPEECH_COLUMNS[0], *(f"{answer}_{side}" for answer in ANSWERS if is_split_measure(answer)
                                           for side in SPLIT_SIDES)]


def describe(answer: str) -> str:
    """What an answer column is, in words."""
    if answer in SINGLE_BLENDSHAPES:
        return f"mean score of blendshape {answer[3:-5]} (0-1)"
    if answer == SPEECH_COLUMNS[0]:
        return "share of the usable frames with speech in the recording (0-1)"
    base, _, side = answer.rpartition("_")
    if side in SPLIT_SIDES and base in ANSWERS:
        return f"{ANSWERS[base]}, {SPLIT_SIDES[side]}"
    return ANSWERS.get(answer, answer)
