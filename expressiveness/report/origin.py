"""Where a report's levels come from, in words: what each level model learnt from (its card's
training-data record, which analyze copies into the summary as model_trained_on), so that no
page claims human ratings for a model trained on the demo's synthetic labels."""

from __future__ import annotations

from expressiveness.card import DEMO_LABELS, NOT_RECORDED
from expressiveness.report.findings import has_levels


def trained_on(summary: dict) -> str:
    """What the model of a summary with levels learnt from (card.trained_on, recorded by analyze
    as model_trained_on); NOT_RECORDED for a summary from before that record."""
    return summary.get("model_trained_on") or NOT_RECORDED


def levels_origin(summaries: list[dict]) -> str:
    """Where the levels of these summaries come from and what they can say, for "How to read":
    the text after "Levels (...) come from". Never speaks of human ratings for a model trained
    on the demo's synthetic labels or one whose training data is not recorded."""
    models = {}  # what it was trained on -> model names
    for summary in summaries:
        if has_levels(summary):
            models.setdefault(trained_on(summary), []).append(str(summary.get("model", "?")))
    if not models:
        return ""
    if len(models) == 1:
        (words,) = models
        origin = f"a small image classifier trained on {words}"
    else:
        origin = "small image classifiers: " + "; ".join(
            f"{', '.join(dict.fromkeys(names))} trained on {words}" for words, names in models.items())
    if set(models) == {DEMO_LABELS}:
        return (f"{origin} (scores made from how much the picture moves, not human ratings). They show that the "
                f"toolkit runs end to end and say nothing about how people see a face.")
    if set(models) == {NOT_RECORDED}:
        return (f"a small image classifier whose card does not say what it learnt from ({NOT_RECORDED}: the card "
                f"is older than that record), so what they stand for is not known; a model trained on the demo data "
                f"set, for one, learnt synthetic labels.")
    caveat = (" Where a model learnt from human ratings, its levels say how those raters might have seen a face in "
              "similar footage, not how a person feels or what they are like; on other people, cameras or kinds of "
              "interview they may be wrong in ways no one has measured.")
    if len(models) == 1:
        caveat = (" They say how those raters might have seen a face in similar footage, not how a person feels or "
                  "what they are like; on other people, cameras or kinds of interview they may be wrong in ways no one "
                  "has measured.")
    return f"{origin}.{caveat}"
