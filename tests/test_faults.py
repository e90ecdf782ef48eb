"""Fault injection: real processes killed with SIGKILL, two runs on one folder, a full disk, and
bad input given to the command line. Nothing is mocked: the outputs of every faulted run, once
rerun, must be those of a run that met no fault (crop files byte for byte; manifest, per-frame
tables and summaries but for their timing), and every failure must be one line naming what is
wrong, never a traceback.

The tests that start real processes and kill them, or run two at once, are marked slow: they
take about two and a half minutes together on 2 cores, and `make test-slow` (CI's last step)
and `make test-all` run them; the one-line messages of bad input run with `make test`.
"""

import csv
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict

import pandas as pd
import pytest

from expressiveness.pipeline.run import analyze_paths
from expressiveness.pipeline.extract import extract_dataset
from expressiveness.data.cache import ExtractSettings
from expressiveness.pipeline.options import AnalysisOptions

from conftest import make_record, write_jsonl

FRAMES_PER_CLIP = 4  # few frames and every third frame keep each run short; the logic is the same
EVERY = 3
CLIP_IDS = ("0001", "0005", "0013", "0016", "0019")  # analysed: faces, a face that leaves, no face
TIMING = ("seconds", "frames_per_second")


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "expressiveness.cli", *map(str, args)]


def run_cli(*args, **kwargs):
    return subprocess.run(cli(*args), capture_output=True, text=True, **kwargs)


def kill_when(command: list[str], ready, timeout_s: float = 300) -> None:
    """Start `command` in its own process group and SIGKILL the group (workers included) as soon
    as ready() holds. Fails if the run ended before being killed: then nothing was tested."""
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before the fault was injected"


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def our_lines(stderr: str) -> list[str]:
    """The toolkit's own lines on stderr (native libraries may add theirs)."""
    return [line for line in stderr.splitlines() if line.startswith(("expressiveness ", "skipped ", "warning: "))]


# ---------------------------------------------------------------- extraction

@pytest.fixture(scope="module")
def data_set(demo_dir, tmp_path_factory):
    """The 19 demo clips and one record whose video is missing."""
    folder = tmp_path_factory.mktemp("faults") / "data"
    records = [json.loads(line) for line in (demo_dir / "metadata.jsonl").read_text().splitlines()]
    shutil.copytree(demo_dir / "videos", folder / "videos")
    records.append(dict(records[0], id="0099", file_name="videos/gone.mp4"))
    return write_jsonl(folder / "metadata.jsonl", records)


@pytest.fixture(scope="module")
def reference_cache(data_set, tmp_path_factory):
    cache = tmp_path_factory.mktemp("reference") / "cache"
    extract_dataset(data_set, cache, ExtractSettings(frames_per_clip=FRAMES_PER_CLIP), workers=1, progress=False)
    return cache


def extract_command(data_set, cache, workers=1):
    return cli("extract", "--metadata", data_set, "--cache", cache, "--frames-per-clip", FRAMES_PER_CLIP,
               "--workers", workers, "--no-progress")


def _manifest_without_timing(cache):
    with open(cache / "manifest.csv", newline="") as handle:
        return [{key: value for key, value in row.items() if key != "seconds"} for row in csv.DictReader(handle)]


def assert_same_cache(cache, reference):
    """Same files (and no temporary left), crop files byte for byte, manifest but for timing."""
    names = sorted(os.listdir(reference / "crops"))
    assert sorted(os.listdir(cache / "crops")) == names
    for name in names:
        assert (cache / "crops" / name).read_bytes() == (reference / "crops" / name).read_bytes(), name
    assert sorted(os.listdir(cache)) == sorted(os.listdir(reference)) == ["crops", "manifest.csv", "settings.json"]
    assert (cache / "settings.json").read_bytes() == (reference / "settings.json").read_bytes()
    assert _manifest_without_timing(cache) == _manifest_without_timing(reference)


def _crop_files(cache):
    return len(list((cache / "crops").glob("*.npz"))) if (cache / "crops").is_dir() else 0


@pytest.mark.slow
def test_extraction_killed_at_any_point_resumes_to_the_same_cache(data_set, reference_cache, tmp_path):
    cache = tmp_path / "cache"
    # Before the first crop file, as soon as the cache exists.
    kill_when(extract_command(data_set, cache), lambda: (cache / "settings.json").exists())
    # In the middle of a video, after this run finished one.
    before = _crop_files(cache)
    kill_when(extract_command(data_set, cache), lambda: _crop_files(cache) > before)
    # Two worker processes, one of them mid-video, the other between videos.
    before = _crop_files(cache)
    kill_when(extract_command(data_set, cache, workers=2), lambda: _crop_files(cache) > before)
    assert _crop_files(cache) < 19, "every video was done before the last fault"
    result = run_cli(*extract_command(data_set, cache)[3:])
    assert result.returncode == 0 and result.stdout.startswith("Videos: 18 ok, 1 no_face, 0 unreadable, 1 missing ("), \
        result.stdout + result.stderr
    assert_same_cache(cache, reference_cache)


@pytest.mark.slow
def test_two_extractions_into_one_cache_at_once(data_set, reference_cache, tmp_path):
    cache = tmp_path / "cache"
    runs = [subprocess.Popen(extract_command(data_set, cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0 and "Traceback" not in stderr, stderr
    assert_same_cache(cache, reference_cache)


def _limit_file_size(limit_bytes):
    def apply():  # in the child, before it runs: every file it writes stops at limit_bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


@pytest.mark.slow
def test_extraction_on_a_full_disk_fails_in_one_line_and_a_rerun_completes(data_set, reference_cache, tmp_path):
    cache = tmp_path / "cache"
    full = subprocess.run(extract_command(data_set, cache), capture_output=True, text=True,
                          preexec_fn=_limit_file_size(4096))  # room for settings.json, not for 4 crops
    no_traceback(full)
    assert full.returncode == 1
    assert our_lines(full.stderr) == [f"expressiveness extract: error: [Errno 27] File too large: "
                                      f"'{cache / 'crops' / '0001.npz'}'"]
    # Nothing a rerun would trust: no crop file, no temporary.
    assert [name for name in os.listdir(cache / "crops")] == []
    result = run_cli(*extract_command(data_set, cache)[3:])
    assert result.returncode == 0, result.stderr
    assert_same_cache(cache, reference_cache)


# ---------------------------------------------------------------- analysis

@pytest.fixture(scope="module")
def clips(data_set):
    return [str(data_set.parent / "videos" / f"vid_{video_id}.mp4") for video_id in CLIP_IDS]


@pytest.fixture(scope="module")
def reference_analysis(clips, trained_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "analysis"
    analyze_paths(clips, trained_model.model_path, out, AnalysisOptions(every=EVERY), progress=False)
    return out


def analyze_command(clips, model, out):
    return cli("analyze", *clips, "--out", out, "--model", model, "--every", EVERY, "--no-figures", "--no-progress")


def _without_timing(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key not in TIMING}


def assert_same_analysis(out, reference):
    """Same files (and no temporary left), per-frame tables byte for byte, summaries but for timing."""
    names = sorted(os.listdir(reference))
    assert sorted(os.listdir(out)) == names
    for name in names:
        if name.endswith("_frames.csv"):
            assert (out / name).read_bytes() == (reference / name).read_bytes(), name
        elif name.endswith("_summary.json"):
            actual, expected = (json.loads((folder / name).read_text()) for folder in (out, reference))
            assert _without_timing(actual) == _without_timing(expected), name
    columns = [column for column in pd.read_csv(reference / "summary.csv").columns if column not in TIMING]
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv")[columns], pd.read_csv(reference / "summary.csv")[columns])


def _count(out, suffix):
    return len(list(out.glob(f"*{suffix}"))) if out.is_dir() else 0


@pytest.mark.slow
def test_analysis_killed_at_any_point_resumes_to_the_same_results(clips, trained_model, reference_analysis, tmp_path):
    out = tmp_path / "out"
    command = analyze_command(clips, trained_model.model_path, out)
    kill_when(command, out.exists)  # before the first file: the model is still loading
    kill_when(command, lambda: _count(out, "_frames.csv") > 0)  # as the first video's outputs are written
    before = _count(out, "_summary.json")
    kill_when(command, lambda: _count(out, "_summary.json") > before)  # between two videos
    assert _count(out, "_summary.json") < len(clips), "every video was done before the last fault"
    report = analyze_paths(clips, trained_model.model_path, out, AnalysisOptions(every=EVERY), progress=False)
    assert len(report.analyzed) + len(report.reused) == len(clips) and not report.failures
    assert_same_analysis(out, reference_analysis)


@pytest.mark.slow
def test_two_analyses_into_one_folder_at_once(clips, trained_model, reference_analysis, tmp_path):
    out = tmp_path / "out"
    runs = [subprocess.Popen(analyze_command(clips, trained_model.model_path, out), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0 and "Traceback" not in stderr, stderr
        assert stdout.startswith("Videos: ") and " 0 failed." in stdout
    assert_same_analysis(out, reference_analysis)


@pytest.mark.slow
def test_analysis_on_a_disk_that_fills_up_fails_in_one_line_per_video_and_a_rerun_completes(
        clips, trained_model, reference_analysis, tmp_path):
    out = tmp_path / "out"
    # The disk fills up once the first video is done (the engines are loaded by then).
    process = subprocess.Popen(analyze_command(clips, trained_model.model_path, out), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    while _count(out, "_summary.json") == 0 and process.poll() is None:
        time.sleep(0.002)
    resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (200, 200))
    stdout, stderr = process.communicate(timeout=600)
    assert "Traceback" not in stderr, stderr
    lines = our_lines(stderr)
    assert lines and all("[Errno 27] File too large: '" + str(out) in line for line in lines), stderr
    assert process.returncode in (0, 1)
    done = {path.name for path in out.glob("*_summary.json")}
    assert 0 < len(done) < len(clips)
    for name in done:  # what the rerun will trust is whole
        assert _without_timing(json.loads((out / name).read_text())) == _without_timing(
            json.loads((reference_analysis / name).read_text()))
    report = analyze_paths(clips, trained_model.model_path, out, AnalysisOptions(every=EVERY), progress=False)
    assert len(report.reused) == len(done) and len(report.analyzed) == len(clips) - len(done)
    assert_same_analysis(out, reference_analysis)


# ---------------------------------------------------------------- bad input: one line, no traceback

def test_bad_outputs_and_inputs_are_one_line_each(demo_dir, data_set, trained_model, tmp_path, capsys):
    clip = demo_dir / "videos" / "vid_0001.mp4"
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder\n")
    lonely = tmp_path / "lonely.keras"  # a model without its card
    shutil.copy(trained_model.model_path, lonely)
    latin1 = tmp_path / "latin1" / "metadata.jsonl"
    latin1.parent.mkdir()
    latin1.write_bytes(json.dumps(make_record(1)).encode() + b"\n" + json.dumps(make_record(2, question="caf\u00e9"),
                       ensure_ascii=False).encode("latin-1") + b"\n")
    foreign = write_jsonl(tmp_path / "real" / "metadata.jsonl", [make_record(1)])
    model = trained_model.model_path
    cases = [
        (("analyze", clip, "--out", a_file, "--model", model),
         f"expressiveness analyze: error: {a_file}: is a file; expected a folder for the outputs (--out)."),
        (("extract", "--metadata", data_set, "--cache", a_file),
         f"expressiveness extract: error: {a_file}: is a file; expected a folder for the outputs (--cache)."),
        (("analyze", clip, clip.with_name("vid_0002.mp4"), "--workers", "2", "--out", tmp_path / "o", "--model", lonely),
         f"expressiveness analyze: error: {lonely.with_suffix('.json')}: model card not found; every model needs "
         f"the .json card that training writes beside it (labels, cut points, input size, crop settings)."),
        (("analyze", clip, "--out", a_file / "sub", "--model", model),
         f"expressiveness analyze: error: {a_file / 'sub'}: cannot be created, {a_file} is a file; expected a folder "
         f"for the outputs (--out)."),
        (("live", "--source", clip, "--no-display", "--csv", tmp_path, "--model", model),
         f"expressiveness live: error: --csv {tmp_path}: is a folder; expected a file name such as session.csv."),
        (("live", "--source", clip, "--no-display", "--output", tmp_path / "no" / "a.mp4", "--model", model),
         f"expressiveness live: error: --output {tmp_path / 'no' / 'a.mp4'}: the folder {tmp_path / 'no'} does "
         f"not exist."),
        (("extract", "--metadata", latin1, "--cache", tmp_path / "c"),
         f"expressiveness extract: error: {latin1}, line 2: not UTF-8 text (byte 0xe9 at position "
         f"{json.dumps(make_record(2, question='caf'), ensure_ascii=False).index('caf') + 3}); expected a file "
         f"saved as UTF-8."),
        (("demo-data", "--out", foreign.parent),
         f"expressiveness demo-data: error: {foreign} exists and is not what the demo builder wrote there; not "
         f"overwriting a real data set. Choose another folder with --out."),
    ]
    from expressiveness.cli import main

    for arguments, expected in cases:  # in this process: what main() does not catch would be a traceback
        code = main([str(argument) for argument in arguments])
        assert (code, capsys.readouterr().err.strip()) == (1, expected), arguments
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*_summary.json"))


def test_evaluate_refuses_crops_cut_another_way_and_names_the_clips_it_lacks(trained_model, separable_data, tmp_path):
    """Issue 11, case 8."""
    from expressiveness.errors import CacheError
    from expressiveness.levels.evaluate import evaluate_model

    metadata, cache = separable_data
    other = tmp_path / "cache"
    shutil.copytree(cache, other)
    settings = json.dumps(dict(asdict(ExtractSettings()), margin=0.3, align=True))
    (other / "settings.json").write_text(settings)
    with pytest.raises(CacheError) as caught:
        evaluate_model(trained_model.model_path, metadata, other, out_path=False)
    assert str(caught.value) == (f"{other} holds crops made with margin 0.3, align True but the model card "
                                 f"{trained_model.card_path} says margin 0.15, align False; extract a cache with "
                                 f"the card's crop settings (--cache NEW_FOLDER).")
    (other / "settings.json").unlink()
    test_clips = trained_model.card["splits"]["test"]["clips"]
    (other / "crops" / f"{test_clips[0]}.npz").unlink()
    evaluation = evaluate_model(trained_model.model_path, metadata, other, out_path=False)
    assert evaluation.report["test_set"]["clips_without_crops"] == [test_clips[0]]
    assert f"1 test clips have no crop in the cache and are left out: {test_clips[0]}." in evaluation.text()
