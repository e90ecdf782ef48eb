"""Figures of one video over time, from its per-frame table: the timeline figure of `expressiveness
analyze` (plot_timeline, NAME_timeline.png), the HTML report's charts (report_figures:
plot_level_timeline, plot_measure_lines) and the index's inline SVG sparklines. The PNG's panels
and the HTML charts are one list, TIMELINE_PANELS.

Frames that are not usable (the table's `usable` column is 0; measures/quality.py) stay on the
lines but are shaded by light grey bands over their slices of time; a table without `usable`
(made before frame quality existed) gets no bands. Stretches of speech (the table's `speaking`
column is 1: a voice in the recording, audio/align.py) are shaded by light yellow bands; a table
without `speaking`, or with no value in it (no sound, --no-audio), gets none."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
import pandas as pd

from expressiveness.config import LABELS, PROBABILITY_COLUMNS
from expressiveness.data.levels import expected_level
from expressiveness.measures.blendshapes import BLENDSHAPE_EXPRESSIVITY_COLUMNS
from expressiveness.measures.quality import usable_rows
from expressiveness.report.findings import columns_with_values
from expressiveness.report.plots import LEVEL_COLORS, figure_text, save_figure, series_color

NO_FACE_COLOR = "#E6E6E6"
UNUSABLE_COLOR = "#BDBDBD"  # drawn at UNUSABLE_ALPHA: a shade darker than the level band's no-face grey
UNUSABLE_ALPHA = 0.35
UNUSABLE_LABEL = "not usable"
SPEAKING_COLOR = "#F2C94C"  # drawn at SPEAKING_ALPHA: a pale yellow, apart from every line's colour and the grey
SPEAKING_ALPHA = 0.3
SPEAKING_LABEL = "speaking (voice in the recording)"
SPEAKING_CHART_LABEL = "speaking (voice\nin the recording)"  # in the HTML charts' narrower legend column


class Panel(NamedTuple):
    """One measure's panel of a video's timeline: a panel of NAME_timeline.png (plot_timeline) and
    a chart of the HTML report (report_figures)."""
    kind: str  # the HTML chart's kind, which picks its caption in templates/report.html
    columns: tuple[str, ...]  # the per-frame columns drawn, one line each
    ylabel: str  # the PNG panel's y label
    title: str  # the HTML chart's heading
    alt: str  # the HTML chart's alt text (capitalised, its title inside the figure)
    html_ylabel: str  # the HTML chart's y label
    reference_lines: tuple[float, ...] = ()  # dashed horizontal lines in the HTML chart
    whole_face_first: bool = True  # the first column is the whole face: "overall", bold in the PNG


TIMELINE_PANELS = (
    Panel("levels", PROBABILITY_COLUMNS, "probability", "Level over time", "level probabilities and level over time",
          "probability"),
    Panel("measures", ("expressivity", "expressivity_brows", "expressivity_eyes", "expressivity_mouth"),
          "% inter-ocular distance", "Facial measures", "expressivity over time", "% of inter-ocular distance"),
    Panel("blendshapes", BLENDSHAPE_EXPRESSIVITY_COLUMNS, "blendshape rise (0-1)", "Blendshape expressivity",
          "blendshape expressivity over time", "mean rise above the neutral (0-1)"),
    Panel("pose", ("head_yaw_deg", "head_pitch_deg", "head_roll_deg"), "head pose (deg)", "Head pose",
          "head yaw, pitch and roll over time", "degrees", (-45, 45), whole_face_first=False))


def _frame_spans(time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and width (s) of each row's slice of time: up to the next row; the last row gets
    the typical step (or 1/30 s for a single row)."""
    steps = np.diff(time_s)
    step = float(np.median(steps)) if len(steps) else 1 / 30
    return time_s, np.append(steps, step if step > 0 else 1 / 30)


def _runs(rows: np.ndarray, starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """(start_s, width_s) of each run of consecutive True rows, shape (runs, 2), float64, each run
    from its first row's start to its last row's end. rows: bool, one per table row."""
    edges = np.diff(np.concatenate(([0], rows.astype(np.int8), [0])))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return np.column_stack([starts[first], starts[last] + widths[last] - starts[first]]).reshape(-1, 2)


def unusable_spans(table: pd.DataFrame, starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """(start_s, width_s) of each run of consecutive rows whose frame is not usable (the rows
    quality.usable_rows leaves out), shape (runs, 2), float64; none for a table without the
    `usable` column. starts, widths: each row's slice of time (_frame_spans)."""
    if "usable" not in table.columns or not len(table):
        return np.zeros((0, 2))
    unusable = np.ones(len(table), dtype=bool)
    unusable[usable_rows(table[["usable"]].reset_index(drop=True)).index.to_numpy()] = False
    return _runs(unusable, starts, widths)


def speaking_spans(table: pd.DataFrame, starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """(start_s, width_s) of each run of consecutive rows with `speaking` == 1, shape (runs, 2),
    float64; none for a table without the column or without speech. A row without sound (NaN) is
    no speech. starts, widths: each row's slice of time (_frame_spans)."""
    if "speaking" not in table.columns or not len(table):
        return np.zeros((0, 2))
    speaking = pd.to_numeric(table["speaking"], errors="coerce").to_numpy(dtype="float64") == 1
    return _runs(speaking, starts, widths)


def _shade(axis, spans: np.ndarray, label: str = UNUSABLE_LABEL, color: str = UNUSABLE_COLOR,
           alpha: float = UNUSABLE_ALPHA) -> None:
    """Full-height bands over spans (unusable_spans, speaking_spans), behind the lines: one
    collection for every run, so that a long video with many short runs stays cheap to draw."""
    if not len(spans):
        return
    from matplotlib.collections import PolyCollection

    corners = np.zeros((len(spans), 4, 2))
    corners[:, :, 0] = (spans[:, :1] + spans[:, 1:] * np.array([0, 0, 1, 1]))
    corners[:, 1:3, 1] = 1.0  # in axes units: from the bottom to the top of the panel
    bands = PolyCollection(corners, transform=axis.get_xaxis_transform(), facecolor=color,
                           edgecolor="none", alpha=alpha, zorder=0, label=label)
    axis.add_collection(bands, autolim=False)


def _shade_speaking(axis, spans: np.ndarray, label: str = SPEAKING_LABEL) -> None:
    _shade(axis, spans, label, SPEAKING_COLOR, SPEAKING_ALPHA)


def plot_timeline(table: pd.DataFrame, summary: dict | None = None, path=None):
    """Over time, one panel each when present: the three level probabilities, facial
    expressivity (overall and by region, % of the inter-ocular distance), blendshape
    expressivity (overall and by region, 0-1) and head pose (degrees); the face-present track
    at the bottom. Frames that are not usable are shaded grey, stretches of speech yellow, in
    every panel but the track (each named once in the first panel's legend)."""
    import matplotlib.pyplot as plt  # at first use: analyze --no-figures and the live window draw no figure

    time_s = table["timestamp"].to_numpy(dtype="float64")
    starts, widths = _frame_spans(time_s)
    panels = [panel for panel in TIMELINE_PANELS if columns_with_values(table, panel.columns)] or [TIMELINE_PANELS[0]]
    figure, axes = plt.subplots(len(panels) + 1, 1, figsize=(11, 1.2 + 2.6 * len(panels)), sharex=True,
                                gridspec_kw={"height_ratios": [4] * len(panels) + [1]})
    spans, speech = unusable_spans(table, starts, widths), speaking_spans(table, starts, widths)
    for position, (axis, panel) in enumerate(zip(axes, panels)):
        columns = panel.columns
        if panel.kind == "levels":
            for column, label in zip(columns, LABELS):
                values = table[column].to_numpy(dtype="float64", na_value=np.nan) if column in table else time_s * np.nan
                axis.plot(time_s, values, label=label, color=series_color(column))
            axis.set(ylim=(-0.02, 1.02))
        else:
            for line, column in enumerate(columns_with_values(table, columns)):
                name = column.replace("blendshape_expressivity_", "").replace("expressivity_", "")
                axis.plot(time_s, pd.to_numeric(table[column], errors="coerce").to_numpy(dtype="float64"),
                          label="overall" if column == columns[0] and panel.whole_face_first else
                          name.replace("head_", "").replace("_deg", ""), color=series_color(column, line),
                          linewidth=2.0 if column == columns[0] and panel.whole_face_first else 1.0)
        _shade(axis, spans, UNUSABLE_LABEL if position == 0 else f"_{UNUSABLE_LABEL}")  # one legend entry
        _shade_speaking(axis, speech, SPEAKING_LABEL if position == 0 else f"_{SPEAKING_LABEL}")
        axis.set(ylabel=panel.ylabel)
        axis.legend(loc="upper right", fontsize=8, ncol=5)
        axis.grid(alpha=0.3)
    title = "Expressiveness over time"
    if summary:
        parts = [f"face in {summary.get('face_share', 0):.0%} of frames"]
        if "dominant_level" in summary:
            parts.insert(0, f"dominant level {summary['dominant_level'] or 'none'}")
        if summary.get("expressivity_mean") is not None:
            parts.append(f"mean expressivity {summary['expressivity_mean']:.1f}%")
        title = f"{Path(summary.get('video', '')).name}: {', '.join(parts)}"
    title, families = figure_text(title)  # a file name of any script, without a missing-glyph warning
    axes[0].set_title(title, fontfamily=families, parse_math=False)  # a "$" in a file name is no formula
    bottom = axes[-1]
    bottom.fill_between(time_s, table["success"].to_numpy(dtype="float64"), step="mid", color="#55A868")
    bottom.set(xlabel="time (s)", ylabel="face", ylim=(0, 1.05), yticks=[0, 1])
    if len(table):
        bottom.set_xlim(starts[0], starts[-1] + widths[-1])
    figure.tight_layout()
    return save_figure(figure, path)


def save_timeline(table: pd.DataFrame, summary: dict, path) -> None:
    """plot_timeline for batch analysis: write the PNG and free the figure."""
    import matplotlib.pyplot as plt

    plt.close(plot_timeline(table, summary, path))


# The HTML report's charts: the same margins, so that their time axes line up on the page.

def report_figures(table: pd.DataFrame, levels: bool, names: dict[str, str]) -> Iterator[tuple[Panel, object]]:
    """(panel, figure) of each HTML chart of a table with faces, one at a time, in TIMELINE_PANELS'
    order: the levels (plot_level_timeline) when `levels`, then each measure panel with values
    (plot_measure_lines). names: each column's legend entry."""
    for panel in TIMELINE_PANELS:
        if panel.kind == "levels":
            if levels:
                yield panel, plot_level_timeline(table)
            continue
        columns = columns_with_values(table, panel.columns)
        if columns:
            yield panel, plot_measure_lines(table, columns, panel.html_ylabel, panel.alt.capitalize(),
                                            panel.reference_lines, [names[column] for column in columns])


def _report_margins(figure) -> None:
    """The same margins (in inches) for every report figure, so that their time axes line up
    on the page, with room on the right for the legend."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=0.75 / width, right=1 - 1.6 / width, bottom=0.5 / height, top=1 - 0.3 / height,
                           hspace=0.25)


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
    """Level probabilities over time (gaps where no face; grey bands where the frames are not
    usable, yellow ones where there is speech), and below them a band coloured by each frame's
    level, light grey where no face was found."""
    import matplotlib.pyplot as plt

    starts, widths = _frame_spans(table["timestamp"].to_numpy(dtype="float64"))
    time_s = starts + widths / 2  # the middle of each frame's slice of the band below
    figure, (top, band) = plt.subplots(2, 1, figsize=(10, 3.6), sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    _report_margins(figure)
    marker = "o" if len(table) < 3 else None  # a single frame would draw no line
    for column, label in zip(PROBABILITY_COLUMNS, labels):
        top.plot(time_s, table[column].to_numpy(dtype="float64", na_value=np.nan), label=label,
                 color=series_color(column), marker=marker, linewidth=1.4)
    _shade(top, unusable_spans(table, starts, widths))
    _shade_speaking(top, speaking_spans(table, starts, widths), SPEAKING_CHART_LABEL)
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
    """Measure columns over the whole video's time (as plot_level_timeline), each in its colour
    of plots.SERIES_COLORS (as in the timeline figure), the first one bold, gaps where a value
    is missing, grey bands where the frames are not usable, yellow ones where there is speech;
    dashed horizontal reference lines (e.g. +-45 degrees of head turn). names: legend entries
    (default: the column names)."""
    import matplotlib.pyplot as plt

    starts, widths = _frame_spans(table["timestamp"].to_numpy(dtype="float64"))
    time_s = starts + widths / 2
    figure, axis = plt.subplots(figsize=(10, 2.8))
    _report_margins(figure)
    marker = "o" if len(table) < 3 else None
    for position, (column, name) in enumerate(zip(columns, names or columns)):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype="float64")
        axis.plot(time_s, values, label=name, color=series_color(column, position), marker=marker,
                  linewidth=2.0 if position == 0 else 1.1)
    for value in reference_lines:
        axis.axhline(value, color="#999999", linestyle="--", linewidth=0.8)
    _shade(axis, unusable_spans(table, starts, widths))
    _shade_speaking(axis, speaking_spans(table, starts, widths), SPEAKING_CHART_LABEL)
    axis.set(xlabel="time (s)", ylabel=ylabel, title=title, xlim=(starts[0], starts[-1] + widths[-1]))
    axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axis.grid(alpha=0.3)
    return figure


# The index's sparklines: inline SVG, no matplotlib.

def level_sparkline_svg(table: pd.DataFrame, width: int = 160, height: int = 28, bins: int = 80,
                        labels=LABELS) -> str:
    """sparkline_svg of a per-frame table's levels: the strip coloured by level, the line the
    expected level (0 Reserved .. 2 Expressive, probability-weighted)."""
    probabilities = table[list(PROBABILITY_COLUMNS)].to_numpy(dtype="float64", na_value=np.nan)
    return sparkline_svg(expected_level(probabilities), 2.0, table["level"].fillna("").astype(str).to_numpy(),
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
