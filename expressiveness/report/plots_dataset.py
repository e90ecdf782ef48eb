"""Figures of the data set: the facial_expression scores and the levels they give, example face
crops per level, the twelve scores (distributions, correlations, by question, by duration and
video quality) and the level balance under several cut points. Each function takes data,
returns a matplotlib Figure and saves it as PNG when given a path (plots.save_figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt  # without a display, matplotlib falls back to the Agg backend
import numpy as np
import pandas as pd

from expressiveness.config import LABELS, THRESHOLDS
from expressiveness.report.plots import LEVEL_COLORS, save_figure


def plot_level_distribution(scores, thresholds=THRESHOLDS, path=None, title="facial_expression scores and levels"):
    """Histogram of facial_expression scores with the cut points, and the count per level."""
    from expressiveness.data.levels import level_index

    scores = np.asarray(scores, dtype="float64")
    counts = np.bincount(level_index(scores, thresholds), minlength=len(LABELS))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.hist(scores, bins=min(40, max(10, len(scores) // 3)), color="#999999", edgecolor="white")
    for cut in thresholds:
        left.axvline(cut, color="black", linestyle="--", linewidth=1)
    left.set(xlabel="facial_expression score", ylabel="clips", title=title)
    right.bar(range(len(LABELS)), counts, color=LEVEL_COLORS)
    right.set_xticks(range(len(LABELS)), [label.replace(" ", "\n") for label in LABELS])
    right.set(ylabel="clips", title=f"Levels at cut points {thresholds[0]:.3f} / {thresholds[1]:.3f}")
    for index, count in enumerate(counts):
        right.text(index, count, f"{count} ({count / max(1, counts.sum()):.0%})", ha="center", va="bottom")
    figure.tight_layout()
    return save_figure(figure, path)


def plot_crop_grid(crops_by_level: dict[str, np.ndarray], path=None, per_level: int = 8):
    """A row of example 48x48 crops per level."""
    figure, axes = plt.subplots(len(LABELS), per_level, figsize=(per_level * 1.2, len(LABELS) * 1.4))
    for row, label in enumerate(LABELS):
        crops = crops_by_level.get(label, np.zeros((0, 48, 48)))
        for column in range(per_level):
            axis = axes[row, column]
            axis.axis("off")
            if column < len(crops):
                axis.imshow(np.squeeze(crops[column]), cmap="gray", vmin=0, vmax=255)
        axes[row, 0].set_title(label, loc="left", fontsize=10)
    figure.suptitle("Example face crops per level (48x48 grayscale)")
    figure.tight_layout()
    return save_figure(figure, path)


def plot_score_distributions(records: pd.DataFrame, columns, path=None):
    """Histogram with KDE of each score, in one grid."""
    import seaborn as sns

    columns = list(columns)
    rows = int(np.ceil(len(columns) / 4))
    figure, axes = plt.subplots(rows, 4, figsize=(16, 3.2 * rows))
    for axis, column in zip(axes.ravel(), columns):
        sns.histplot(records[column], kde=True, ax=axis, color="#4C72B0")
        axis.set(title=column, xlabel="score", ylabel="clips")
    for axis in axes.ravel()[len(columns):]:
        axis.axis("off")
    figure.suptitle("Distributions of the twelve scores (histogram and KDE)")
    figure.tight_layout()
    return save_figure(figure, path)


def plot_score_correlations(records: pd.DataFrame, columns, path=None):
    """Heat map of the Pearson correlations between scores."""
    import seaborn as sns

    figure, axis = plt.subplots(figsize=(10, 8.5))
    sns.heatmap(records[list(columns)].corr(), annot=True, fmt=".2f", cmap="vlag", vmin=-1, vmax=1, square=True,
                ax=axis, annot_kws={"size": 8}, cbar_kws={"label": "Pearson r"})
    axis.set_title("Correlations between scores")
    figure.tight_layout()
    return save_figure(figure, path)


def plot_score_by_question(records: pd.DataFrame, column: str, path=None):
    """Box plot of a score per question, in question order."""
    import seaborn as sns

    order = sorted(records["question_id"].unique(), key=int)
    figure, axis = plt.subplots(figsize=(max(8, 0.28 * len(order) + 2), 4.5))
    sns.boxplot(data=records, x="question_id", y=column, order=order, ax=axis, color="#8C8C8C", fliersize=2)
    axis.set(xlabel="question_id", ylabel=column, title=f"{column} by question")
    axis.tick_params(axis="x", labelrotation=90, labelsize=7)
    figure.tight_layout()
    return save_figure(figure, path)


def plot_score_by_conditions(records: pd.DataFrame, column: str, path=None):
    """Box plots of a score by clip duration and by video quality."""
    import seaborn as sns

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    durations = [d for d in ("short", "medium", "long") if d in set(records["duration"])]
    sns.boxplot(data=records, x="duration", y=column, order=durations, ax=left, color="#8C8C8C")
    left.set(title=f"{column} by duration", xlabel="duration")
    qualities = [q for q in ("High", "Low") if q in set(records["video_quality"])]
    sns.boxplot(data=records, x="video_quality", y=column, order=qualities, ax=right, color="#8C8C8C")
    right.set(title=f"{column} by video quality", xlabel="video_quality")
    figure.tight_layout()
    return save_figure(figure, path)


def plot_level_balance(balances: dict[str, dict], path=None):
    """Grouped bars: clips per level under each named balance (e.g. default, tertiles, splits)."""
    names = list(balances)
    figure, axis = plt.subplots(figsize=(max(7, 1.6 * len(names) + 3), 4.2))
    width = 0.8 / len(LABELS)
    for offset, (label, color) in enumerate(zip(LABELS, LEVEL_COLORS)):
        shares = [balances[name][label]["share"] for name in names]
        counts = [balances[name][label]["count"] for name in names]
        bars = axis.bar(np.arange(len(names)) + (offset - 1) * width, shares, width, label=label, color=color)
        for bar, count in zip(bars, counts):
            axis.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), str(count), ha="center", va="bottom",
                      fontsize=8)
    axis.set_xticks(np.arange(len(names)), names)
    axis.set(ylabel="share of clips", ylim=(0, 1), title="Level balance (numbers: clips)")
    axis.legend(fontsize=9)
    figure.tight_layout()
    return save_figure(figure, path)
