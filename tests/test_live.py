"""The live loop (pipeline/live.py) on a camera: the reference face is learnt while playing, and
every row of the table says so."""

import pandas as pd

from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.live import learn_file_reference, run_live
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.report import plots_overlay
from expressiveness.video import iter_frames, probe_video


def test_a_camera_learns_the_reference_while_playing_and_its_rows_say_so(demo_dir, tmp_path):
    clip = demo_dir / "videos" / "vid_0001.mp4"

    def camera():  # a camera's frames: no look ahead is possible
        yield from iter_frames(clip, range(0, 24, 2))

    analyzer = build_analyzer(None, AnalysisOptions(face_tracking="video"))
    try:
        session = run_live(camera(), analyzer, lambda result, fps: plots_overlay.draw_result(result, ()),
                           csv_path=tmp_path / "camera.csv")
    finally:
        analyzer.close()
    table = pd.read_csv(tmp_path / "camera.csv")
    assert set(table["reference"]) == {"running"} and len(table) == 12
    assert table["expressivity"].iloc[0] == 0  # the first face is its own reference
    assert set(session.table["reference"]) == {"running"}


def test_a_file_with_its_reference_learnt_first_reads_whole_video(demo_dir, tmp_path):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    analyzer = build_analyzer(None)
    try:
        learn_file_reference(analyzer, clip, probe_video(clip))
        session = run_live(iter_frames(clip, range(4)), analyzer, lambda result, fps: result.frame.image)
    finally:
        analyzer.close()
    assert set(session.table["reference"]) == {"whole_video"}
    assert (session.table["expressivity"] > 0).all()


def test_levels_alone_have_no_reference_column(demo_dir, trained_model):
    analyzer = build_analyzer(trained_model.model_path, AnalysisOptions(measures=False))
    try:
        session = run_live(iter_frames(demo_dir / "videos" / "vid_0001.mp4", range(2)), analyzer,
                           lambda result, fps: result.frame.image)
    finally:
        analyzer.close()
    assert "reference" not in session.table and len(session.table) == 2
