"""The figures of `expressiveness validate`: each answer per clip against the rating, and the
within-participant view (each clip's answer and rating minus its participant's means). Functions
take data (expressiveness/agreement/validate.py makes it), return a matplotlib Figure, and save it when
given a path (written atomically)."""

from __future__ import annotations

import matplotlib.pyplot as plt  # without a display, matplotlib falls back to the Agg backend
import numpy as np
import pandas as pd

from expressiveness.report.plots import save_figure


def _rho(value) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _grid(panels: int, width: float = 4.6, height: float = 3.6):
    columns = min(3, panels)
    lines = int(np.ceil(panels / columns))
    figure, axes = plt.subplots(lines, columns, figsize=(width * columns, height * lines), squeeze=False)
    for axis in list(axes.flat)[panels:]:
        axis.set_visible(False)
    return figure, list(axes.flat)[:panels]


def plot_validation(clips: pd.DataFrame, rows: list[dict], path=None, target: str | None = None):
    """One scatter per validated answer: the answer per clip against the rating column
    (target; by default the rows' own "target", else facial_expression), with its Spearman
    correlations (clips, participant means, within participants, other ratings held
    constant) in the title. Rows chosen
    after looking say so. rows: validation.validation_table rows of one target."""
    target = target or (rows[0].get("target", "facial_expression") if rows else "facial_expression")
    figure, axes = _grid(len(rows))
    for axis, row in zip(axes, rows):
        answer = row["answer"]
        axis.scatter(clips[answer].astype("float64"), clips[target], s=18, alpha=0.7)
        chosen = "\nchosen after looking (exploratory)" if row.get("chosen_after_looking") else ""
        axis.set_title(f"{answer}\nrho {_rho(row['clip_spearman'])} (clips), {_rho(row['participant_spearman'])} "
                       f"(participants), {_rho(row.get('within_spearman'))} (within),\n"
                       f"{_rho(row.get('partial_spearman'))} (other ratings held constant){chosen}", fontsize=9,
                       color="#B03A2E" if chosen else "black")
        axis.set(xlabel=answer, ylabel=target)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return save_figure(figure, path)


def save_validation(clips: pd.DataFrame, rows: list[dict], path) -> None:
    plt.close(plot_validation(clips, rows, path))


def plot_within_person(panels: list[tuple[dict, pd.DataFrame]], path=None):
    """One scatter per answer of each clip's answer minus its participant's mean against its
    rating minus the participant's mean rating, one colour per participant, with the
    within-participant Spearman rho and its interval in the title. panels: (row,
    validation.within_person frame with columns user_no, row's answer, row's target)."""
    figure, axes = _grid(len(panels), width=5.0, height=4.0)
    colours = plt.get_cmap("tab10")
    for axis, (row, centred) in zip(axes, panels):
        answer, target = row["answer"], row["target"]
        for number, (_, person) in enumerate(centred.groupby("user_no", sort=True)):
            axis.scatter(person[answer], person[target], s=20, alpha=0.8, color=colours(number % 10))
        axis.axhline(0, color="#999999", linewidth=0.8)
        axis.axvline(0, color="#999999", linewidth=0.8)
        interval = row.get("within_spearman_ci95")
        detail = (f"[{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval is not None
                  else row.get("within_note") or "no interval")
        axis.set_title(f"{answer}: rho {_rho(row.get('within_spearman'))} {detail}\n"
                       f"{row.get('within_clips', len(centred))} clips of {row.get('within_participants', 0)} "
                       f"participants with >= 2 clips", fontsize=9)
        axis.set(xlabel=f"{answer} minus the participant's mean", ylabel=f"{target} minus the participant's mean")
        axis.grid(alpha=0.3)
    figure.suptitle("Within participants: does a person's more expressive clip get the higher rating?", fontsize=10)
    figure.tight_layout()
    return save_figure(figure, path)


def save_within_person(panels: list[tuple[dict, pd.DataFrame]], path) -> None:
    plt.close(plot_within_person(panels, path))
