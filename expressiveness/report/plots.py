"""What the figure modules share: the level colours, text of any script in a title (figure_text)
and writing a figure out, as a PNG file (save_figure, written atomically) or inline in an HTML
page (figure_data_uri).

The figures live in one module per family, each function taking data and returning a matplotlib
Figure: plots_dataset (the data set), plots_training (a CNN's training and evaluation),
plots_timeline (one video over time: the timeline figure, the HTML report's charts and the
index's sparklines), plots_overlay (drawing on video frames, the live window) and
plots_validation (the facial measures against human ratings)."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from expressiveness._io import atomic_write

LEVEL_COLORS = ("#4C72B0", "#8C8C8C", "#DD8452")  # Reserved, Balanced, Expressive
# One colour per series of the per-frame table, the same in NAME_timeline.png and the HTML
# report's charts: the whole face in near-black, each region in its own colour in both kinds of
# expressivity (brows blue, eyes green, mouth red, cheeks and nose purple), head pose apart.
SERIES_COLORS = {
    "prob_reserved": LEVEL_COLORS[0], "prob_balanced": LEVEL_COLORS[1], "prob_expressive": LEVEL_COLORS[2],
    "expressivity": "#222222", "expressivity_brows": "#4C72B0", "expressivity_eyes": "#55A868",
    "expressivity_mouth": "#C44E52",
    "blendshape_expressivity": "#222222", "blendshape_expressivity_brows": "#4C72B0",
    "blendshape_expressivity_eyes": "#55A868", "blendshape_expressivity_cheeks_nose": "#8172B2",
    "blendshape_expressivity_mouth_jaw": "#C44E52",
    "head_yaw_deg": "#222222", "head_pitch_deg": "#4C72B0", "head_roll_deg": "#55A868"}
OTHER_SERIES_COLORS = ("#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD")  # columns not in SERIES_COLORS


def series_color(column: str, position: int = 0) -> str:
    """The colour of a per-frame column's line in every figure (SERIES_COLORS); a column not in
    the table gets OTHER_SERIES_COLORS[position] (position: its place among the lines drawn)."""
    return SERIES_COLORS.get(column) or OTHER_SERIES_COLORS[position % len(OTHER_SERIES_COLORS)]


TEXT_FONT = "DejaVu Sans"  # matplotlib's own font: Latin, Greek, Cyrillic, Arabic, Hebrew; no CJK
# Installed fonts with CJK glyphs, tried first for what TEXT_FONT lacks (any other installed font
# is tried after them): Debian's fonts-noto-cjk, fonts-wqy-zenhei and fonts-ipafont, then macOS's
# and Windows' own. matplotlib and the pip wheels of requirements.txt ship none.
CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR", "Source Han Sans",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "IPAGothic", "IPAexGothic", "TakaoGothic",
             "Droid Sans Fallback", "Hiragino Sans", "PingFang SC", "Apple SD Gothic Neo", "Arial Unicode MS",
             "Yu Gothic", "Meiryo", "MS Gothic", "Microsoft YaHei", "SimHei", "Malgun Gothic")
NOT_FALLBACKS = ("Last Resort High-Efficiency",)  # matplotlib's: a placeholder box for every character


def figure_text(text: str) -> tuple[str, list[str]]:
    """How a figure shows `text` that may hold characters of any script (a file name such as
    面接_山田.mp4): (text, font families) for matplotlib's `fontfamily`. The families are
    TEXT_FONT, then installed fonts that have its other characters (CJK_FONTS first), and
    matplotlib takes each character from the first that has it. A character that no installed
    font has is written as its code point (\\u9762), so that the text stays readable and
    matplotlib warns of no missing glyph."""
    families, shown = [TEXT_FONT], []
    for character in text:
        family = _family_with(character)
        if family is None:
            shown.append(character.encode("unicode_escape").decode("ascii"))
            continue
        shown.append(character)
        if family not in families:
            families.append(family)
    return "".join(shown), families


@functools.lru_cache(maxsize=4096)
def _family_with(character: str) -> str | None:
    """The first installed font family (TEXT_FONT, CJK_FONTS, then the rest) with a glyph for
    `character`; None when none has one. Control characters have none."""
    from matplotlib import font_manager

    if not character.isprintable():
        return None
    rank = {name: position for position, name in enumerate((TEXT_FONT, *CJK_FONTS))}
    fonts = sorted((font for font in font_manager.fontManager.ttflist if font.name not in NOT_FALLBACKS),
                   key=lambda font: rank.get(font.name, len(rank)))
    return next((font.name for font in fonts if ord(character) in _characters(font.fname)), None)


@functools.lru_cache(maxsize=None)
def _characters(font_path: str) -> frozenset:
    """The code points a font file has glyphs for (empty when it cannot be read)."""
    from matplotlib import ft2font

    try:
        return frozenset(ft2font.FT2Font(font_path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


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

    import matplotlib.pyplot as plt  # without a display, matplotlib falls back to the Agg backend

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
