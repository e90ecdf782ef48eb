"""What the figure modules share: the level colours and writing a figure out, as a PNG file
(save_figure, written atomically) or inline in an HTML page (figure_data_uri).

The figures live in one module per family, each function taking data and returning a matplotlib
Figure: plots_dataset (the data set), plots_training (a CNN's training and evaluation),
plots_timeline (one video over time: the timeline figure, the HTML report's charts and the
index's sparklines), plots_overlay (drawing on video frames, the live window) and
plots_validation (the facial measures against human ratings)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt  # without a display, matplotlib falls back to the Agg backend

from expressiveness._io import atomic_write

LEVEL_COLORS = ("#4C72B0", "#8C8C8C", "#DD8452")  # Reserved, Balanced, Expressive


def save_figure(figure, path: str | Path | None, dpi: int = 120):
    """Write a figure as PNG atomically (when path is given) and return it."""
    if path is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        atomic_write(path, buffer.getvalue())
    return figure


def figure_data_uri(figure, dpi: int = 110) -> str:
    """A figure as a "data:image/png;base64,..." URI (for a self-contained HTML page); closes it."""
    import base64

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
