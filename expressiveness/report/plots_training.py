"""Figures of a CNN's training and evaluation: the learning curves and the confusion matrix.
Each function takes data, returns a matplotlib Figure and saves it as PNG when given a path
(plots.save_figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt  # without a display, matplotlib falls back to the Agg backend
import numpy as np
import pandas as pd

from expressiveness.config import LABELS
from expressiveness.report.plots import save_figure


def plot_training_curves(history, path=None):
    """Loss and accuracy per epoch for training and validation."""
    history = pd.DataFrame(history)
    epochs = np.arange(1, len(history) + 1)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, metric in zip(axes, ("loss", "accuracy")):
        axis.plot(epochs, history[metric], marker="o", label="training")
        axis.plot(epochs, history[f"val_{metric}"], marker="o", label="validation (held-out participants)")
        axis.set(xlabel="epoch", ylabel=metric, title=f"Training curve: {metric}")
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return save_figure(figure, path)


def plot_confusion_matrix(matrix, path=None, title="Confusion matrix (test participants)"):
    """Counts with row-normalised shading: rows are true levels, columns predicted levels."""
    matrix = np.asarray(matrix)
    shares = matrix / np.maximum(1, matrix.sum(axis=1, keepdims=True))
    figure, axis = plt.subplots(figsize=(6, 5))
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            axis.text(column, row, f"{matrix[row, column]}\n({shares[row, column]:.0%})", ha="center",
                      va="center", color="white" if shares[row, column] > 0.6 else "black")
    names = [label.replace(" ", "\n") for label in LABELS]
    axis.set_xticks(range(len(LABELS)), names)
    axis.set_yticks(range(len(LABELS)), names)
    axis.set(xlabel="predicted level", ylabel="true level", title=title)
    figure.colorbar(image, ax=axis, label="share of the true level")
    figure.tight_layout()
    return save_figure(figure, path)
