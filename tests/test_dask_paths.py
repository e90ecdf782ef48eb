"""Relative paths on a cluster whose workers run in another folder (as on any cluster started
apart from the command): the command resolves the model, the videos, the metadata's videos and
the output folders before it sends a task, and the results say the paths as the user gave them."""

import json
import shutil

import pytest

pytest.importorskip("distributed")

from expressiveness.pipeline.run import analyze_paths
from expressiveness.pipeline.extract import extract_dataset  # noqa: E402
from expressiveness.data.cache import ExtractSettings, read_crops  # noqa: E402
from expressiveness.pipeline.executors import start_local_cluster  # noqa: E402
from expressiveness.pipeline.options import AnalysisOptions  # noqa: E402
from tests.conftest import make_record, write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def elsewhere_cluster(tmp_path_factory):
    """A one-worker cluster whose worker's working folder is an empty folder of its own."""
    import os

    worker_folder = tmp_path_factory.mktemp("worker_folder")
    before = os.getcwd()
    os.chdir(worker_folder)  # the worker process starts here
    try:
        cluster = start_local_cluster(1)
    finally:
        os.chdir(before)
    yield cluster.scheduler_address, worker_folder
    cluster.close()


def test_relative_paths_reach_workers_that_run_elsewhere(elsewhere_cluster, demo_dir, trained_model, tmp_path,
                                                         monkeypatch):
    address, worker_folder = elsewhere_cluster
    (tmp_path / "data" / "videos").mkdir(parents=True)
    shutil.copy(demo_dir / "videos" / "vid_0001.mp4", tmp_path / "data" / "videos" / "clip.mp4")
    (tmp_path / "models").mkdir()
    for suffix in (".keras", ".tflite", ".json"):
        shutil.copy(trained_model.model_path.with_suffix(suffix), tmp_path / "models" / f"tiny{suffix}")
    write_jsonl(tmp_path / "data" / "metadata.jsonl", [make_record(1, file_name="videos/clip.mp4")])
    monkeypatch.chdir(tmp_path)

    report = analyze_paths(["data/videos/clip.mp4"], "models/tiny.keras", "out", AnalysisOptions(every=10),
                           progress=False, dask=address)
    assert report.failures == [] and [summary["name"] for summary in report.analyzed] == ["clip"]
    summary = json.loads((tmp_path / "out" / "clip_summary.json").read_text())
    assert summary["video"] == "data/videos/clip.mp4" and summary["frames_analyzed"] > 0
    assert summary["face_share"] > 0.5  # the worker read the video and ran the model

    extraction = extract_dataset("data/metadata.jsonl", "cache", ExtractSettings(frames_per_clip=4), progress=False,
                                 dask=address)
    assert extraction.counts["ok"] == 1
    assert len(read_crops(tmp_path / "cache" / "crops" / "0001.npz")["crops"]) == 4
    assert list(worker_folder.iterdir()) == []  # nothing was written where the worker runs
