"""The per-video figures shade the frames that are not usable (and the stretches of speech):
plot_timeline (every line panel), and the HTML report's charts plot_level_timeline and
plot_measure_lines; shading on real footage is in test_speech_words.py. Real small
tables, real matplotlib figures (Agg): the bands are read back from the axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from expressiveness.config import LABELS
from expressiveness.measures.blendshapes import BLENDSHAPE_EXPRESSIVITY_COLUMNS
from expressiveness.report.plots_timeline import (SPEAKING_LABEL, plot_level_timeline, plot_measure_lines,
                                                  plot_timeline, save_timeline, speaking_spans, unusable_spans)

STEP_S = 0.1


def frames_table(frames: int = 10, usable=None, blendshapes: bool = True) -> pd.DataFrame:
    """A per-frame table at 10 frames/s with levels, landmark and blendshape expressivity and head
    pose; `usable` (one 1/0 per frame) only when given."""
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet([1, 1, 1], frames)
    table = pd.DataFrame({"frame": np.arange(frames), "timestamp": np.arange(frames) * STEP_S, "success": 1,
                          "prob_reserved": probabilities[:, 0], "prob_balanced": probabilities[:, 1],
                          "prob_expressive": probabilities[:, 2],
                          "level": np.array(LABELS)[probabilities.argmax(axis=1)]})
    for column in ("expressivity", "expressivity_brows", "expressivity_eyes", "expressivity_mouth",
                   "head_yaw_deg", "head_pitch_deg", "head_roll_deg"):
        table[column] = rng.random(frames)
    for column in BLENDSHAPE_EXPRESSIVITY_COLUMNS:
        table[column] = rng.random(frames) if blendshapes else np.nan
    if usable is not None:
        table["usable"] = usable
        table["quality"] = np.where(np.asarray(usable) == 1, "ok", "turned")
    return table


# Frames 3-5 and 8 not usable: two bands, 0.3-0.6 s and 0.8-0.9 s.
USABLE = [1, 1, 1, 0, 0, 0, 1, 1, 0, 1]
EXPECTED_BANDS = [(0.3, 0.6), (0.8, 0.9)]


def bands(axis) -> list[tuple[float, float]]:
    """(start_s, end_s) of every "not usable" band of an axis, checked to span the axis' full height."""
    figure = axis.figure
    figure.canvas.draw()
    box = axis.get_window_extent()
    found = []
    for artist in [*axis.collections, *axis.patches]:
        if artist.get_label().lstrip("_") != "not usable":
            continue
        paths = artist.get_paths() if hasattr(artist, "get_paths") else [artist.get_path()]
        for path in paths:
            display = artist.get_transform().transform(path.vertices)
            assert display[:, 1].min() == pytest.approx(box.y0) and display[:, 1].max() == pytest.approx(box.y1)
            corners = axis.transData.inverted().transform(display)[:, 0]
            found.append((round(corners.min(), 6), round(corners.max(), 6)))
    return sorted(found)


def legend_texts(figure) -> list[str]:
    return [text.get_text() for axis in figure.axes if axis.get_legend() for text in axis.get_legend().get_texts()]


def test_unusable_spans_are_runs_of_frames_with_their_time_spans():
    table = frames_table(usable=USABLE)
    starts = table["timestamp"].to_numpy()
    spans = unusable_spans(table, starts, np.full(len(table), STEP_S))
    assert spans.round(6).tolist() == [[0.3, 0.3], [0.8, 0.1]]
    # A missing usable value counts as not usable (quality.usable_rows); the last run ends one step on.
    table["usable"] = [1.0] * 7 + [np.nan, 0.0, 0.0]
    assert unusable_spans(table, starts, np.full(len(table), STEP_S)).round(6).tolist() == [[0.7, 0.3]]
    assert unusable_spans(frames_table(), starts, np.full(10, STEP_S)).shape == (0, 2)


def test_timeline_shades_each_line_panel_and_names_the_bands_once():
    figure = plot_timeline(frames_table(usable=USABLE))
    *panels, track = figure.axes
    assert [axis.get_ylabel() for axis in panels] == ["probability", "% inter-ocular distance",
                                                      "blendshape rise (0-1)", "head pose (deg)"]
    for axis in panels:
        assert bands(axis) == EXPECTED_BANDS
        band_zorder = min(artist.get_zorder() for artist in axis.collections)
        assert band_zorder < min(line.get_zorder() for line in axis.lines)  # behind the lines
    assert bands(track) == []
    assert legend_texts(figure).count("not usable") == 1
    assert [text.get_text() for text in panels[2].get_legend().get_texts()] == \
        ["overall", "brows", "eyes", "cheeks_nose", "mouth_jaw"]
    plt.close(figure)


def test_a_measures_only_timeline_names_the_bands_once_in_its_first_panel():
    table = frames_table(usable=USABLE)
    table = table.drop(columns=[column for column in table.columns if column.startswith("prob_")])
    figure = plot_timeline(table)
    first, *_ = figure.axes
    assert first.get_ylabel() == "% inter-ocular distance"
    assert legend_texts(figure).count("not usable") == 1
    assert "not usable" in [text.get_text() for text in first.get_legend().get_texts()]
    plt.close(figure)


@pytest.mark.parametrize("usable", [None, [1] * 10], ids=["no usable column", "every frame usable"])
def test_timeline_without_unusable_frames_has_no_bands(usable):
    figure = plot_timeline(frames_table(usable=usable))
    assert all(bands(axis) == [] for axis in figure.axes)
    assert "not usable" not in legend_texts(figure)
    plt.close(figure)


def test_timeline_has_a_blendshape_panel_only_with_blendshape_values(tmp_path):
    figure = plot_timeline(frames_table(usable=USABLE, blendshapes=False))
    assert [axis.get_ylabel() for axis in figure.axes] == ["probability", "% inter-ocular distance",
                                                           "head pose (deg)", "face"]
    plt.close(figure)
    save_timeline(frames_table(usable=USABLE), {"video": "clip.mp4", "face_share": 1.0}, tmp_path / "clip.png")
    assert (tmp_path / "clip.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_charts_shade_the_unusable_frames():
    table = frames_table(usable=USABLE)
    figure = plot_level_timeline(table)
    lines, level_band = figure.axes
    assert bands(lines) == EXPECTED_BANDS
    assert bands(level_band) == []  # the level band keeps its colours
    assert legend_texts(figure).count("not usable") == 1
    plt.close(figure)
    figure = plot_measure_lines(table, ["head_yaw_deg", "head_pitch_deg"], "degrees", "Head pose", (-45, 45),
                                ["yaw", "pitch"])
    assert bands(figure.axes[0]) == EXPECTED_BANDS
    assert legend_texts(figure) == ["yaw", "pitch", "not usable"]
    plt.close(figure)


def test_report_charts_of_a_table_without_usable_have_no_bands():
    table = frames_table()
    for figure in (plot_level_timeline(table), plot_measure_lines(table, ["expressivity"], "%", "Expressivity")):
        assert all(bands(axis) == [] for axis in figure.axes)
        assert "not usable" not in legend_texts(figure)
        plt.close(figure)


def test_many_short_runs_are_one_artist():
    frames = 30_000
    table = frames_table(frames, usable=np.arange(frames) % 2)  # every other frame: 15,000 runs
    figure = plot_measure_lines(table, ["expressivity"], "%", "Expressivity")
    axis = figure.axes[0]
    shading = [artist for artist in axis.collections if artist.get_label() == "not usable"]
    assert len(shading) == 1 and len(shading[0].get_paths()) == frames // 2
    assert len(axis.patches) == 0
    plt.close(figure)


@pytest.mark.parametrize("name", ["面接_山田.mp4", "Ελληνικά_интервью.mp4", "x⤀y.mp4", "budget $5 to $6.mp4"],
                         ids=["CJK", "Greek and Cyrillic", "a glyph of DejaVu Serif only", "dollars"])
def test_a_file_name_of_any_script_is_in_the_timeline_title_without_a_warning(tmp_path, name):
    import io
    import warnings

    from expressiveness.report.plots import _family_with, figure_text

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = plot_timeline(frames_table(), {"video": f"/interviews/{name}", "face_share": 1.0})
        figure.savefig(io.BytesIO(), format="png")
    assert [str(warning.message) for warning in caught] == []  # no "Glyph ... missing from font(s) DejaVu Sans"
    title = figure.axes[0].title
    shown, families = figure_text(name)
    assert title.get_text() == f"{shown}: face in 100% of frames" and title.get_fontfamily() == families
    assert not title.get_parse_math()  # "$5 to $" is no formula
    if all(_family_with(character) for character in name):  # a font on this machine has every character
        assert shown == name
    else:  # Debian without fonts-noto-cjk (matplotlib ships no CJK font): code points, readable
        assert name == "面接_山田.mp4" and shown == "\\u9762\\u63a5_\\u5c71\\u7530.mp4"
    if name == "x⤀y.mp4":  # DejaVu Sans has no U+2900: DejaVu Serif, matplotlib's other font, draws it
        assert families == ["DejaVu Sans", "DejaVu Serif"]
    plt.close(figure)


def test_each_series_has_one_colour_in_the_timeline_and_the_html_reports_charts(monkeypatch):
    from matplotlib.colors import to_hex

    from expressiveness.report import pages, plots

    drawn = []  # the HTML report's figures, as pages._charts makes them
    monkeypatch.setattr(plots, "figure_data_uri", lambda figure, dpi=110: drawn.append(figure) or "")
    table = frames_table()
    table["expressivity_brows"] = np.nan  # a region without values: the lines after it must keep their colours
    pages._charts(table, levels=True)

    def colours(axis) -> list[str]:
        return [to_hex(line.get_color()) for line in axis.lines if not line.get_label().startswith("_")]

    timeline = plot_timeline(table)
    in_png = [colours(axis) for axis in timeline.axes[:-1]]  # levels, expressivity, blendshapes, pose
    in_html = [colours(figure.axes[0]) for figure in drawn]  # the same four, in the same order
    assert in_png == in_html
    assert in_png[1] == [plots.SERIES_COLORS[column].lower() for column in
                         ("expressivity", "expressivity_eyes", "expressivity_mouth")]
    assert in_png[0] == [colour.lower() for colour in plots.LEVEL_COLORS]
    for figure in (timeline, *drawn):
        plt.close(figure)


def test_speaking_spans_are_runs_of_speech_and_nothing_without_sound():
    table = frames_table(usable=USABLE)
    starts, widths = table["timestamp"].to_numpy(), np.full(len(table), STEP_S)
    table["speaking"] = [0, 1, 1, np.nan, 0, 1, 1, 1, 0, 1]  # NaN: no sound there, not speech
    assert speaking_spans(table, starts, widths).round(6).tolist() == [[0.1, 0.2], [0.5, 0.3], [0.9, 0.1]]
    assert speaking_spans(table.assign(speaking=np.nan), starts, widths).shape == (0, 2)
    assert speaking_spans(frames_table(), starts, widths).shape == (0, 2)
    figure = plot_timeline(table)
    assert legend_texts(figure).count(SPEAKING_LABEL) == 1 and legend_texts(figure).count("not usable") == 1
    assert bands(figure.axes[1]) == EXPECTED_BANDS  # the grey bands stay as they were
    plt.close(figure)
