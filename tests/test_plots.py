"""plots.py, what the figure modules share (writing a figure out), and the size rule of the
report package's modules."""

from pathlib import Path

from expressiveness import report

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from expressiveness.report import plots

REPORT_DIR = Path(report.__file__).resolve().parent  # the package under test, also when installed
MAX_MODULE_LINES = 350


def test_every_report_module_is_under_the_line_limit():
    lengths = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in REPORT_DIR.glob("*.py")}
    assert {"plots.py", "plots_dataset.py", "plots_overlay.py", "plots_timeline.py", "plots_training.py"} <= set(lengths)
    assert {name: lines for name, lines in lengths.items() if lines >= MAX_MODULE_LINES} == {}


def test_save_figure_writes_a_png_and_data_uri_closes_the_figure(tmp_path):
    figure, axis = plt.subplots()
    axis.plot([0, 1], [0, 1])
    assert plots.save_figure(figure, tmp_path / "line.png") is figure
    assert (tmp_path / "line.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [path.name for path in tmp_path.iterdir()] == ["line.png"]  # no temporary file left
    assert plots.figure_data_uri(figure).startswith("data:image/png;base64,iVBORw0KGgo")
    assert not plt.fignum_exists(figure.number)
