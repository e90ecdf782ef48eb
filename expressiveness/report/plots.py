"""Every figure of the toolkit. Functions take data, return a matplotlib Figure, and save it
when given a path (written atomically). Only scripts, the notebook and cli.py import this."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt  # without a display, matplotlib falls back to the Agg backend
import numpy as np
import pandas as pd

from expressiveness._io import atomic_write
from expressiveness.config import LABELS, THRESHOLDS

LEVEL_COLORS = ("#4C72B0", "#8C8C8C", "#DD8452")  # Reserved, Balanced, Expressive


def save_figure(figure, path: str | Path | None, dpi: int = 120):
    """Write a figure as PNG atomically (when path is given) and return it."""
    if path is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        atomic_write(path, buffer.getvalue())
    return figure


def plot_level_distribution(scores, thresholds=THRESHOLDS, path=None, title="facial_expression scores and levels"):
    """Histogram of facial_expression scores with the cut points, and the count per level."""
    from expressiveness.data.metadata import level_index

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


def plot_timeline(table: pd.DataFrame, summary: dict | None = None, path=None):
    """Over time, one panel each when present: the three level probabilities, facial
    expressivity (overall and by region, % of the inter-ocular distance) and head pose
    (degrees); the face-present track at the bottom."""
    time_s = table["timestamp"].to_numpy(dtype="float64")

    def has(columns):
        return all(column in table for column in columns) and \
            table[list(columns)].astype("float64").notna().to_numpy().any()

    levels = ("prob_reserved", "prob_balanced", "prob_expressive")
    expressivity = ("expressivity", "expressivity_brows", "expressivity_eyes", "expressivity_mouth")
    pose = ("head_yaw_deg", "head_pitch_deg", "head_roll_deg")
    panels = [name for name, columns in (("levels", levels), ("expressivity", expressivity), ("pose", pose))
              if has(columns)] or ["levels"]
    figure, axes = plt.subplots(len(panels) + 1, 1, figsize=(11, 1.2 + 2.6 * len(panels)), sharex=True,
                                gridspec_kw={"height_ratios": [4] * len(panels) + [1]})
    for axis, panel in zip(axes, panels):
        if panel == "levels":
            for column, label, color in zip(levels, LABELS, LEVEL_COLORS):
                values = table[column].to_numpy(dtype="float64", na_value=np.nan) if column in table else time_s * np.nan
                axis.plot(time_s, values, label=label, color=color)
            axis.set(ylabel="probability", ylim=(-0.02, 1.02))
        else:
            columns = expressivity if panel == "expressivity" else pose
            for column in columns:
                name = column.replace("expressivity_", "").replace("head_", "").replace("_deg", "")
                axis.plot(time_s, table[column].to_numpy(dtype="float64", na_value=np.nan),
                          label="overall" if column == "expressivity" else name,
                          linewidth=2.0 if column == "expressivity" else 1.0)
            axis.set(ylabel="% inter-ocular distance" if panel == "expressivity" else "head pose (deg)")
        axis.legend(loc="upper right", fontsize=8, ncol=4)
        axis.grid(alpha=0.3)
    title = "Expressiveness over time"
    if summary:
        parts = [f"face in {summary.get('face_share', 0):.0%} of frames"]
        if "dominant_level" in summary:
            parts.insert(0, f"dominant level {summary['dominant_level'] or 'none'}")
        if summary.get("expressivity_mean") is not None:
            parts.append(f"mean expressivity {summary['expressivity_mean']:.1f}%")
        title = f"{Path(summary.get('video', '')).name}: {', '.join(parts)}"
    axes[0].set_title(title)
    bottom = axes[-1]
    bottom.fill_between(time_s, table["success"].to_numpy(dtype="float64"), step="mid", color="#55A868")
    bottom.set(xlabel="time (s)", ylabel="face", ylim=(0, 1.05), yticks=[0, 1])
    figure.tight_layout()
    return save_figure(figure, path)


def level_color_bgr(label: str) -> tuple[int, int, int]:
    """OpenCV BGR colour of a level (the same hues as the figures)."""
    hex_color = LEVEL_COLORS[LABELS.index(label)] if label in LABELS else "#FFFFFF"
    red, green, blue = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return blue, green, red


def annotate_frame(image: np.ndarray, faces, probabilities, labels=LABELS, info: dict | None = None,
                   fps: float | None = None) -> np.ndarray:
    """A copy of a BGR frame with a box per face, labelled "Balanced Expression: 0.87" in the
    level's colour, and an FPS readout when fps is given."""
    import cv2

    canvas = image.copy()
    for face, face_probabilities in zip(faces, probabilities):
        best = int(np.argmax(face_probabilities))
        label = labels[best]
        color = level_color_bgr(label)
        cv2.rectangle(canvas, (face.x, face.y), (face.x + face.width, face.y + face.height), color, 2)
        text = f"{label}: {face_probabilities[best]:.2f}"
        (width, height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
        top = max(0, face.y - height - baseline - 6)
        cv2.rectangle(canvas, (face.x, top), (face.x + width + 6, top + height + baseline + 6), color, -1)
        cv2.putText(canvas, text, (face.x + 3, top + height + 3), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (255, 255, 255), 2, cv2.LINE_AA)
    if fps is not None:
        cv2.putText(canvas, f"FPS: {fps:.1f}", (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 255, 0), 2, cv2.LINE_AA)
    return canvas


def draw_result(result, labels=LABELS, fps: float | None = None, blendshapes: int = 0) -> np.ndarray:
    """A frames.FrameResult drawn: every face's box and level (annotate_frame), the interviewee's
    facial expressivity when the measures ran, and its `blendshapes` strongest blendshape scores
    (0: none) in a column beside the box."""
    import cv2

    from expressiveness.face import BLENDSHAPE_NAMES

    canvas = annotate_frame(result.frame.image, result.faces, result.probabilities, labels, fps=fps)
    expressivity = result.row.get("expressivity")
    if result.subject is not None and expressivity is not None:
        face = result.faces[result.subject]
        if not len(result.probabilities):  # measures only: the box is not drawn by annotate_frame
            cv2.rectangle(canvas, (face.x, face.y), (face.x + face.width, face.y + face.height), (255, 255, 255), 2)
        text = f"expressivity {expressivity:.1f}%"
        below = min(canvas.shape[0] - 8, face.y + face.height + 22)
        cv2.putText(canvas, text, (face.x, below), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(canvas, text, (face.x, below), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
    landmarks = result.overlay.get("landmarks")
    if blendshapes and result.subject is not None and landmarks is not None:
        face = result.faces[result.subject]
        scores = landmarks.blendshapes
        strongest = [index for index in np.argsort(-scores) if BLENDSHAPE_NAMES[index] != "_neutral"][:blendshapes]
        left = face.x + face.width + 8 if face.x + face.width + 190 < canvas.shape[1] else max(0, face.x - 190)
        panel = canvas[max(0, face.y):face.y + 26 * len(strongest) + 8, left:left + 185]
        panel[:] = (0.45 * panel).astype(panel.dtype)  # darkened, so the text reads on any background
        for line, index in enumerate(strongest):  # the name and score, a bar of the score under them
            top = face.y + 18 + 26 * line
            text = f"{BLENDSHAPE_NAMES[index]} {scores[index]:.2f}"
            cv2.putText(canvas, text, (left + 4, top), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(canvas, text, (left + 4, top), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
            cv2.rectangle(canvas, (left + 4, top + 4), (left + 104, top + 8), (60, 60, 60), -1)
            cv2.rectangle(canvas, (left + 4, top + 4), (left + 4 + int(round(100 * scores[index])), top + 8), (0, 200, 255), -1)
    return canvas


def show_frame(image: np.ndarray, title: str = "Expressiveness (q or Esc quits)") -> bool:
    """Show a BGR frame in a window; False once the viewer pressed q or Esc."""
    import cv2

    cv2.imshow(title, image)
    return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)


def close_windows() -> None:
    import cv2

    cv2.destroyAllWindows()


def save_timeline(table: pd.DataFrame, summary: dict, path) -> None:
    """plot_timeline for batch analysis: write the PNG and free the figure."""
    plt.close(plot_timeline(table, summary, path))


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


# Figures of the HTML reports (report.py): inline images, a level band, a sparkline.

NO_FACE_COLOR = "#E6E6E6"


def figure_data_uri(figure, dpi: int = 110) -> str:
    """A figure as a "data:image/png;base64,..." URI (for a self-contained HTML page); closes it."""
    import base64

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _report_margins(figure) -> None:
    """The same margins (in inches) for every report figure, so that their time axes line up
    on the page, with room on the right for the legend."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=0.75 / width, right=1 - 1.6 / width, bottom=0.5 / height, top=1 - 0.3 / height,
                           hspace=0.25)


def _frame_spans(time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and width (s) of each row's slice of time: up to the next row; the last row gets
    the typical step (or 1/30 s for a single row)."""
    steps = np.diff(time_s)
    step = float(np.median(steps)) if len(steps) else 1 / 30
    return time_s, np.append(steps, step if step > 0 else 1 / 30)


def _level_runs(levels, starts, widths, labels=LABELS):
    """{label or "": [(start, width), ...]} merging consecutive rows of the same level."""
    runs: dict[str, list] = {}
    index = 0
    while index < len(levels):
        end = index
        while end + 1 < len(levels) and levels[end + 1] == levels[index]:
            end += 1
        label = levels[index] if levels[index] in labels else ""
        runs.setdefault(label, []).append((starts[index], starts[end] + widths[end] - starts[index]))
        index = end + 1
    return runs


def plot_level_timeline(table: pd.DataFrame, labels=LABELS):
    """Level probabilities over time (gaps where no face), and below them a band coloured by
    each frame's level, light grey where no face was found."""
    starts, widths = _frame_spans(table["timestamp"].to_numpy(dtype="float64"))
    time_s = starts + widths / 2  # the middle of each frame's slice of the band below
    figure, (top, band) = plt.subplots(2, 1, figsize=(10, 3.6), sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    _report_margins(figure)
    marker = "o" if len(table) < 3 else None  # a single frame would draw no line
    for column, label, color in zip(("prob_reserved", "prob_balanced", "prob_expressive"), labels, LEVEL_COLORS):
        top.plot(time_s, table[column].to_numpy(dtype="float64", na_value=np.nan), label=label, color=color,
                 marker=marker, linewidth=1.4)
    top.set(ylabel="probability", ylim=(-0.02, 1.02), title="Level probabilities over time")
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    top.grid(alpha=0.3)
    levels = table["level"].fillna("").astype(str).to_numpy()
    colors = dict(zip(labels, LEVEL_COLORS), **{"": NO_FACE_COLOR})
    for label, runs in _level_runs(levels, starts, widths, labels).items():
        band.broken_barh(runs, (0, 1), color=colors[label], label=label or "no face")
    band.set(xlabel="time (s)", yticks=[], ylim=(0, 1), xlim=(starts[0], starts[-1] + widths[-1]))
    band.set_ylabel("level", rotation=0, ha="right", va="center")
    if "" in levels:
        band.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=NO_FACE_COLOR)], labels=["no face"], fontsize=8,
                    loc="upper left", bbox_to_anchor=(1.0, 1.2), frameon=False)
    return figure


def plot_measure_lines(table: pd.DataFrame, columns, ylabel: str, title: str, reference_lines=(), names=None):
    """Measure columns over the whole video's time (as plot_level_timeline), the first one
    bold, gaps where a value is missing; dashed horizontal reference lines (e.g. +-45 degrees
    of head turn). names: legend entries (default: the column names)."""
    starts, widths = _frame_spans(table["timestamp"].to_numpy(dtype="float64"))
    time_s = starts + widths / 2
    figure, axis = plt.subplots(figsize=(10, 2.8))
    _report_margins(figure)
    marker = "o" if len(table) < 3 else None
    palette = ("#222222", "#4C72B0", "#55A868", "#C44E52", "#8172B2")
    for position, (column, name) in enumerate(zip(columns, names or columns)):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype="float64")
        axis.plot(time_s, values, label=name, color=palette[position % len(palette)], marker=marker,
                  linewidth=2.0 if position == 0 else 1.1)
    for value in reference_lines:
        axis.axhline(value, color="#999999", linestyle="--", linewidth=0.8)
    axis.set(xlabel="time (s)", ylabel=ylabel, title=title, xlim=(starts[0], starts[-1] + widths[-1]))
    axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axis.grid(alpha=0.3)
    return figure


def level_sparkline_svg(table: pd.DataFrame, width: int = 160, height: int = 28, bins: int = 80,
                        labels=LABELS) -> str:
    """sparkline_svg of a per-frame table's levels: the strip coloured by level, the line the
    expected level (0 Reserved .. 2 Expressive, probability-weighted)."""
    probabilities = table[["prob_reserved", "prob_balanced", "prob_expressive"]].to_numpy(dtype="float64",
                                                                                          na_value=np.nan)
    return sparkline_svg(probabilities @ np.arange(3.0), 2.0, table["level"].fillna("").astype(str).to_numpy(),
                         width, height, bins, labels, "level timeline")


def sparkline_svg(values, top: float, levels=None, width: int = 160, height: int = 28, bins: int = 80,
                  labels=LABELS, name: str = "timeline") -> str:
    """A small inline SVG of a video: a line of `values` (one per analysed frame, NaN where no
    face; averaged in each of `bins` slices of time) from 0 at the bottom to `top` (higher values
    are drawn at the top) and, when `levels` (one label per frame, "" where no face) are given,
    a strip under it coloured by the most frequent level in each slice. Gaps where no face.
    Returns SVG markup (numbers and colours only); name is its accessible label."""
    values = np.asarray(values, dtype="float64")
    slices = np.array_split(np.arange(len(values)), min(bins, max(1, len(values))))
    strip = 6 if levels is not None else 0
    line_height = height - strip - 2 if levels is not None else height
    bin_width = width / len(slices)
    parts, points = [], []
    strip_labels = []
    for position, rows in enumerate(slices):
        x = position * bin_width
        if levels is not None:
            faced = [level for level in levels[rows] if level in labels]
            strip_labels.append(max(labels, key=faced.count) if faced else "")
        finite = values[rows][np.isfinite(values[rows])]
        if len(finite):
            level = min(finite.mean() / top, 1.0) if top > 0 else 0.0
            points.append(f"{x + bin_width / 2:.1f},{1 + (1 - level) * (line_height - 2):.1f}")
        elif len(points) > 0 and points[-1] != "|":
            points.append("|")  # a gap: no face in this slice
    for label, runs in _level_runs(strip_labels, np.arange(len(slices)) * bin_width,
                                   np.full(len(slices), bin_width), labels).items():
        parts += [f'<rect x="{start:.1f}" y="{height - strip}" width="{width_px:.1f}" height="{strip}" '
                  f'fill="{LEVEL_COLORS[labels.index(label)]}"/>' for start, width_px in runs if label]
    for run in " ".join(points).split("|"):
        run = run.split()
        if len(run) == 1:
            x, y = run[0].split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="1.3" fill="#333333"/>')
        elif run:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#333333" stroke-width="1.2"/>')
    parts.insert(0, f'<rect x="0" y="0" width="{width}" height="{line_height}" fill="#F7F7F7"/>')
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} '
            f'{height}" role="img" aria-label="{name}">{"".join(parts)}</svg>')



def plot_validation(clips: pd.DataFrame, rows: list[dict], path=None, target: str = "facial_expression"):
    """One scatter per validated answer: the answer per clip against the human score, with its
    Spearman correlation (clips, and participant means) in the title."""
    columns = min(3, len(rows))
    lines = int(np.ceil(len(rows) / columns))
    figure, axes = plt.subplots(lines, columns, figsize=(4.6 * columns, 3.6 * lines), squeeze=False)
    for axis, row in zip(axes.flat, rows):
        answer = row["answer"]
        axis.scatter(clips[answer].astype("float64"), clips[target], s=18, alpha=0.7)
        rho = "n/a" if row["clip_spearman"] is None else f"{row['clip_spearman']:+.2f}"
        person = "n/a" if row["participant_spearman"] is None else f"{row['participant_spearman']:+.2f}"
        axis.set_title(f"{answer}\nrho {rho} (clips), {person} (participants)", fontsize=9)
        axis.set(xlabel=answer, ylabel=target)
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(rows):]:
        axis.set_visible(False)
    figure.tight_layout()
    return save_figure(figure, path)


def save_validation(clips: pd.DataFrame, rows: list[dict], path) -> None:
    plt.close(plot_validation(clips, rows, path))
