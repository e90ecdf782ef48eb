import hashlib
import json
import shutil

import cv2
import pandas as pd
import pytest

from expressiveness.report import plots_timeline
from expressiveness.pipeline.run import Outputs, analyze_paths
from expressiveness.pipeline.options import AnalysisOptions
from conftest import count_decodable_frames

FAST = AnalysisOptions(every=3)


def test_analyze_a_folder_with_bad_videos_and_rerun(demo_dir, trained_model, tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "a.mp4").symlink_to(demo_dir / "videos" / "vid_0017.mp4")
    (folder / "broken.mp4").write_text("not a video\n" * 20)
    out = tmp_path / "out"
    report = analyze_paths([folder, tmp_path / "gone.mp4"], trained_model.model_path, out, workers=1,
                           outputs=Outputs(timeline=True, annotated=True), progress=False)
    assert len(report.analyzed) == 1
    assert sorted((f["status"], f["video"].split("/")[-1]) for f in report.failures) == [
        ("missing", "gone.mp4"), ("unreadable", "broken.mp4")]
    for name in ("a_frames.csv", "a_summary.json", "a_timeline.png", "a_annotated.mp4", "summary.csv",
                 "run_report.json"):
        assert (out / name).stat().st_size > 0, name
    frames = pd.read_csv(out / "a_frames.csv")
    capture = cv2.VideoCapture(str(out / "a_annotated.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames) == count_decodable_frames(folder / "a.mp4")
    capture.release()
    assert json.loads((out / "run_report.json").read_text())["failed"] == 2

    stamp = (out / "a_frames.csv").stat().st_mtime_ns
    again = analyze_paths([folder], trained_model.model_path, out, outputs=Outputs(timeline=True, annotated=True),
                          progress=False)
    assert (len(again.analyzed), len(again.reused)) == (0, 1) and (out / "a_frames.csv").stat().st_mtime_ns == stamp
    assert again.text().startswith("Videos: 0 analysed, 1 reused from an earlier run, 1 failed.")


def _summary(out, name="x"):
    return json.loads((out / f"{name}_summary.json").read_text())


def test_a_result_is_reused_only_when_its_provenance_matches(demo_dir, trained_model, tmp_path):
    """Issue 11, case 1: the same output name from another video, another model card, other options."""
    for folder, clip in (("a", 1), ("b", 13)):
        (tmp_path / folder).mkdir()
        shutil.copy(demo_dir / "videos" / f"vid_{clip:04d}.mp4", tmp_path / folder / "x.mp4")
    model = tmp_path / "m.keras"
    shutil.copy(trained_model.model_path, model)
    shutil.copy(trained_model.model_path.with_suffix(".tflite"), tmp_path / "m.tflite")
    shutil.copy(trained_model.card_path, tmp_path / "m.json")
    out = tmp_path / "out"

    def analyze(video="a", options=FAST):
        report = analyze_paths([tmp_path / video / "x.mp4"], model, out, options, progress=False)
        return len(report.analyzed), len(report.reused)

    assert analyze() == (1, 0)
    video = tmp_path / "a" / "x.mp4"
    assert _summary(out)["provenance"]["source"] == {"path": str(video.resolve()), "size_bytes": video.stat().st_size,
                                                     "modified_ns": video.stat().st_mtime_ns}
    assert _summary(out)["complete"] is True and "warning" not in _summary(out)
    assert analyze() == (0, 1)
    assert analyze("b") == (1, 0) and _summary(out)["video"] == str(tmp_path / "b" / "x.mp4")
    assert analyze("b", AnalysisOptions(every=2)) == (1, 0) and _summary(out)["provenance"]["every"] == 2
    card = json.loads((tmp_path / "m.json").read_text())
    (tmp_path / "m.json").write_text(json.dumps(dict(card, thresholds=[-0.5, 0.5])))  # the model's card changed
    assert analyze("b", AnalysisOptions(every=2)) == (1, 0) and _summary(out)["provenance"]["thresholds"] == [-0.5, 0.5]
    assert analyze("b", AnalysisOptions(every=2)) == (0, 1)


def test_every_option_that_changes_the_output_is_in_the_provenance(trained_model):
    from expressiveness.pipeline.options import analysis_provenance

    base = analysis_provenance(trained_model.model_path, FAST)
    assert base["model_sha256"] == hashlib.sha256(trained_model.model_path.read_bytes()).hexdigest()
    assert base["card_sha256"] == hashlib.sha256(trained_model.card_path.read_bytes()).hexdigest()
    changes = [AnalysisOptions(every=2), AnalysisOptions(every=3, smoothing=0.5),
               AnalysisOptions(every=3, face_tracking="video"), AnalysisOptions(every=3, min_confidence=0.6),
               AnalysisOptions(every=3, face_selection="most_central"), AnalysisOptions(every=3, backend="tf.function"),
               AnalysisOptions(every=3, subject="speaker"), AnalysisOptions(every=3, subject=1)]
    provenances = [analysis_provenance(trained_model.model_path, options) for options in changes]
    assert all(provenance != base for provenance in provenances)
    assert len({json.dumps(provenance, sort_keys=True) for provenance in provenances}) == len(changes)


def test_a_clip_named_twice_is_analysed_once(demo_dir, trained_model, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(demo_dir / "videos" / "vid_0001.mp4", folder / "vid_0001.mp4")
    report = analyze_paths([folder, folder / "vid_0001.mp4", tmp_path / "videos" / ".." / "videos" / "vid_0001.mp4"],
                           trained_model.model_path, tmp_path / "out", FAST, progress=False)
    assert len(report.analyzed) == 1
    assert len(pd.read_csv(tmp_path / "out" / "summary.csv")) == 1


def test_an_output_that_cannot_be_written_is_a_failed_video_and_the_batch_goes_on(demo_dir, trained_model, tmp_path):
    out = tmp_path / "out"
    clips = [demo_dir / "videos" / "vid_0001.mp4", demo_dir / "videos" / "vid_0002.mp4"]
    analyze_paths(clips[:1], trained_model.model_path, out, FAST, progress=False)
    (out / "vid_0001_frames.csv").unlink()
    (out / "vid_0001_frames.csv").mkdir()  # a folder where the table should go
    report = analyze_paths(clips, trained_model.model_path, out, AnalysisOptions(every=2), progress=False)
    assert [summary["name"] for summary in report.analyzed] == ["vid_0002"]
    assert report.failures == [{"video": str(clips[0]), "name": "vid_0001", "status": "failed",
                                "error": f"[Errno 21] Is a directory: '{out / 'vid_0001_frames.csv'}'"}]
    assert not (out / "vid_0001_summary.json").exists()  # the summary of the first run is not left beside it


def _faststart(data: bytes) -> bytes:
    """The MP4 with its index (moov) moved before the media data (mdat), as streaming files are
    written: cutting the end off then leaves a header that declares every frame."""
    import struct

    def boxes(buffer, start, end):
        while start + 8 <= end:
            size, kind = struct.unpack(">I4s", buffer[start:start + 8])
            yield kind, start, size
            start += size

    def shift(moov, start, end, by):
        for kind, position, size in boxes(moov, start, end):
            if kind in (b"trak", b"mdia", b"minf", b"stbl"):
                shift(moov, position + 8, position + size, by)
            elif kind == b"stco":
                for entry in range(struct.unpack(">I", moov[position + 12:position + 16])[0]):
                    at = position + 16 + 4 * entry
                    moov[at:at + 4] = struct.pack(">I", struct.unpack(">I", moov[at:at + 4])[0] + by)

    top = {kind: (position, size) for kind, position, size in boxes(data, 0, len(data))}
    (moov_at, moov_size), (mdat_at, mdat_size) = top[b"moov"], top[b"mdat"]
    moov = bytearray(data[moov_at:moov_at + moov_size])
    shift(moov, 8, moov_size, moov_size)
    return data[:mdat_at] + bytes(moov) + data[mdat_at:mdat_at + mdat_size]


def truncated_clip(source, target, keep=0.5):
    """A copy of an MP4 cut after `keep` of its media data; its header still declares every frame."""
    data = _faststart(source.read_bytes())
    target.write_bytes(data[:len(data) - int((1 - keep) * (len(data) - 2000))])
    return target


def test_a_video_that_stops_early_is_flagged(demo_dir, trained_model, tmp_path, capsys):
    from expressiveness.cli import main

    clip = truncated_clip(demo_dir / "videos" / "vid_0001.mp4", tmp_path / "cut.mp4")
    decodable = count_decodable_frames(clip)
    assert 5 < decodable < 40
    out = tmp_path / "out"
    code = main(["analyze", str(clip), "--out", str(out), "--model", str(trained_model.model_path), "--no-progress",
                 "--no-figures"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    summary = _summary(out, "cut")
    fps = summary["fps"]
    assert summary["analysed_s"] == pytest.approx(decodable / fps, abs=1e-3)  # what was decoded, not the header's
    assert summary["duration_s"] == pytest.approx(40 / fps, abs=1e-3)
    warning = (f"{decodable / fps:.1f} s analysed of {40 / fps:.1f} s declared: the file stops decoding at frame "
               f"{decodable} of 40 (truncated or damaged)")
    assert (summary["complete"], summary["warning"], summary["frames_decoded"]) == (False, warning, decodable)
    assert printed.err == (f"warning: {clip}: {warning}\nnote: {clip}: no sound (the video has no audio stream): "
                           f"speech and speaking are empty and the measures are not split.\n")
    assert "1 incomplete: the frames decoded differ from what the header declares (see the warnings)." in printed.out
    assert json.loads((out / "run_report.json").read_text())["incomplete"] == [
        {"video": str(clip), "name": "cut", "warning": warning}]
    assert pd.read_csv(out / "summary.csv")["complete"].tolist() == [False]


def test_a_worker_that_dies_costs_one_video_and_the_pool_goes_on(demo_dir, tmp_path, monkeypatch):
    from expressiveness.pipeline import extract
    from expressiveness.pipeline.extract import extract_dataset
    from expressiveness.data.cache import ExtractSettings, read_crops
    from expressiveness.pipeline.executors import worker_died
    from fault_tasks import demo_subset, extract_or_die, real_extract_task

    metadata = demo_subset(demo_dir, tmp_path / "data")
    settings = ExtractSettings(frames_per_clip=4)
    monkeypatch.setattr(extract, "_extract_task", extract_or_die)  # 0003 kills its worker every time, 0005 once
    summary = extract_dataset(metadata, tmp_path / "cache", settings, workers=2, progress=False)
    manifest = pd.read_csv(tmp_path / "cache" / "manifest.csv", dtype=str, keep_default_na=False)
    rows = manifest.set_index("id").to_dict("index")
    assert summary.counts == {"ok": 5, "failed": 1}
    assert rows["0003"]["status"] == "failed"
    assert rows["0003"]["error"] == f"worker died while processing {tmp_path}/data/videos/vid_0003.mp4 " \
                                    f"(killed, out of memory or a crash)" == worker_died(metadata.parent / "videos/vid_0003.mp4")
    assert rows["0005"]["status"] == "ok"

    monkeypatch.setattr(extract, "_extract_task", real_extract_task)
    # The rerun has one video left to do: in this process, without starting a pool for it.
    again = extract_dataset(metadata, tmp_path / "cache", settings, workers=1, progress=False)
    assert again.skipped == 5 and again.counts == {"ok": 6}
    assert read_crops(tmp_path / "cache" / "crops" / "0003.npz")["crops"].shape == (4, 48, 48)


def test_ctrl_c_during_a_parallel_run_prints_one_line_and_keeps_finished_work(demo_dir, tmp_path):
    from isolated import default_sigint
    import os
    import signal
    import subprocess
    import sys
    import time

    cache = tmp_path / "cache"
    process = subprocess.Popen([sys.executable, "-m", "expressiveness.cli", "extract", "--metadata",
                                str(demo_dir / "metadata.jsonl"), "--cache", str(cache), "--every", "1",
                                "--workers", "2", "--no-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=default_sigint)
    deadline = time.monotonic() + 120
    while not list(cache.glob("crops/*.npz")) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the parent and both workers
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "expressiveness extract: interrupted; finished work is kept, rerun to resume."
    assert "Traceback" not in stderr
    assert (cache / "manifest.csv").exists() and list(cache.glob("crops/*.npz"))


def test_without_dask_option_nothing_imports_dask(demo_dir, tmp_path):
    import subprocess
    import sys

    script = ("import sys\nfrom expressiveness.cli import main\nfrom expressiveness.pipeline.extract import extract_dataset\n"
              "from expressiveness.data.cache import ExtractSettings\n"
              f"extract_dataset({str(demo_dir / 'metadata.jsonl')!r}, {str(tmp_path / 'c')!r}, "
              "ExtractSettings(frames_per_clip=2), workers=1, progress=False)\n"
              "print(sorted({name.split('.')[0] for name in sys.modules} & {'dask', 'distributed'}))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("tracking", ["image", "video"])
def test_a_video_after_others_in_one_process_gives_the_table_of_a_fresh_process(demo_dir, trained_model, tmp_path,
                                                                               tracking):
    """No result carries another video's landmarks: in VIDEO mode the landmarker's tracking state
    starts afresh per video, so a clip analysed after two others in one process (the engines are
    kept per process, as in a pool worker) has the same per-frame table, byte for byte, as the
    clip analysed alone in a fresh process. Without FaceLandmarker.reset the VIDEO case fails."""
    import subprocess
    import sys
    from dataclasses import replace

    options = replace(FAST, face_tracking=tracking)
    clips = [demo_dir / "videos" / f"vid_{n:04d}.mp4" for n in (1, 13, 17)]
    after_others = analyze_paths(clips, trained_model.model_path, tmp_path / "one", options, progress=False)
    assert len(after_others.analyzed) == 3
    alone = subprocess.run([sys.executable, "-c", (
        "from expressiveness.pipeline.run import Outputs, analyze_paths\n"
        "from expressiveness.pipeline.options import AnalysisOptions\n"
        f"report = analyze_paths([{str(clips[-1])!r}], {str(trained_model.model_path)!r}, {str(tmp_path / 'alone')!r}, "
        f"AnalysisOptions(every=3, face_tracking={tracking!r}), progress=False)\n"
        "assert len(report.analyzed) == 1\n")], capture_output=True, text=True)
    assert alone.returncode == 0, alone.stderr
    name = f"{clips[-1].stem}_frames.csv"
    assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()


# ---------------------------------------------------------------- issue 33: the output folder, the scan, one truth

def _unwritable_folder(tmp_path):
    """An existing folder this process cannot write in: a 0o555 folder, or as root (whom chmod
    does not stop) a sysfs folder, where even root cannot create a file; None when neither."""
    import os

    if os.geteuid() != 0:
        folder = tmp_path / "read_only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    from pathlib import Path

    sysfs = Path("/sys/kernel")
    try:
        os.close(os.open(sysfs / "expressiveness-probe", os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        return sysfs if sysfs.is_dir() else None
    return None


def test_an_output_folder_that_cannot_be_written_fails_before_any_video(demo_dir, tmp_path, capsys):
    """Issue 33, item 4: `--out` is checked at the start, with one sentence, not after every
    video was analysed (the old code analysed the clip, then failed on summary.csv)."""
    import time

    from conftest import run_main

    clip = demo_dir / "videos" / "vid_0001.mp4"
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder\n")
    cases = [(a_file / "sub", f"{a_file / 'sub'}: cannot be created, {a_file} is a file; expected a folder for "
                              f"the outputs (--out).")]
    unwritable = _unwritable_folder(tmp_path)
    if unwritable is not None:
        cases.append((unwritable, None))
    for out, expected in cases:
        started = time.perf_counter()
        result = run_main(capsys, "analyze", clip, "--out", out, "--no-progress", "--no-figures")
        error = result.stderr.strip().splitlines()[-1]
        assert result.returncode == 1, result.stderr
        assert time.perf_counter() - started < 5  # no video was analysed
        if expected is not None:
            assert error == f"expressiveness analyze: error: {expected}"
        else:
            assert error.startswith(f"expressiveness analyze: error: {out}: cannot create or write in this folder (")
            assert error.endswith("); expected a folder for the outputs that this user can write in (--out).")
        assert "skipped" not in result.stderr and not result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["a_file"] + (
        ["read_only"] if unwritable is not None and unwritable.parent == tmp_path else []))


def test_validate_checks_its_output_folder_before_any_clip(demo_dir, tmp_path, capsys):
    from conftest import run_main

    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder\n")
    result = run_main(capsys, "validate", "--metadata", demo_dir / "metadata.jsonl", "--out", a_file,
                      "--no-progress")
    assert (result.returncode, result.stderr.strip().splitlines()[-1]) == (
        1, f"expressiveness validate: error: {a_file}: is a file; expected a folder for the outputs (--out).")


def test_a_folder_scan_finds_transport_streams_and_phone_videos(demo_dir, tmp_path):
    """Issue 33, item 5: .ts and .3gp files in a folder are analysed like the same files named
    directly (the old scan skipped them: 0 analysed, 0 failed); hidden files are not videos."""
    from broken_videos import ffmpeg

    folder = tmp_path / "interviews"
    folder.mkdir()
    clip = demo_dir / "videos" / "vid_0001.mp4"
    # The demo's MPEG-4 part 2 keeps its headers in the MP4 index; a stream repeats them.
    ffmpeg("-i", clip, "-c", "copy", "-bsf:v", "dump_extra=freq=keyframe", folder / "camcorder.ts")
    ffmpeg("-i", clip, "-c:v", "mpeg4", "-q:v", "5", "-an", folder / "phone.3gp")
    (folder / "._camcorder.mp4").write_bytes(b"\x00\x05\x16\x07" + bytes(60))  # macOS metadata, not a video
    report = analyze_paths([folder], None, tmp_path / "out", FAST, progress=False)
    assert report.failures == []
    assert sorted(summary["name"] for summary in report.analyzed) == ["camcorder", "phone"]
    assert all(summary["frames_analyzed"] == 14 for summary in report.analyzed)  # 40 frames, every 3rd


def test_a_folder_without_videos_says_so_and_summary_csv_keeps_its_header(tmp_path, capsys):
    from conftest import run_main

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("no video here\n")
    out = tmp_path / "out"
    result = run_main(capsys, "analyze", folder, "--out", out, "--no-progress")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"skipped (empty): no videos found in {folder}; expected files ending in .mp4 .mov .avi .mkv .webm .m4v "
        f".mpg .mpeg .wmv .ts .mts .m2ts .3gp .3g2 .flv .f4v .ogv .vob .mxf .asf.")
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 0 and list(table.columns[:2]) == ["video", "name"]
    assert json.loads((out / "run_report.json").read_text())["failures"][0]["status"] == "empty"


def test_summary_csv_and_the_index_list_the_same_current_videos(demo_dir, tmp_path, capsys):
    """Issue 33, item 6: one truth per output folder. Both list every summary in the folder
    whose video is still there unchanged (the old summary.csv held only the last run's videos,
    the index every summary); one whose video changed is left out of both and named in
    run_report.json; an earlier measures-model answer nobody asked for this time goes."""
    import os

    from conftest import run_main

    clips = {}
    for folder, number in (("first", 1), ("second", 17)):
        (tmp_path / folder).mkdir()
        clips[folder] = shutil.copy(demo_dir / "videos" / f"vid_{number:04d}.mp4", tmp_path / folder)
    out = tmp_path / "out"

    def analyze(folder):
        result = run_main(capsys, "analyze", tmp_path / folder, "--out", out, "--every", 3, "--no-progress",
                          "--no-figures", "--html")
        assert result.returncode == 0, result.stderr
        index = (out / "index.html").read_text()
        listed = pd.read_csv(out / "summary.csv")["name"].tolist()
        assert sorted(listed) == sorted(name for name in ("vid_0001", "vid_0017") if f'href="{name}_report.html"'
                                        in index)
        return listed, result.stdout

    assert analyze("first")[0] == ["vid_0001"]
    stale = json.loads((out / "vid_0001_summary.json").read_text())
    stale.update(measures_model="old", measures_model_sha256="0" * 64, predicted_score=0.5)  # an earlier answer
    (out / "vid_0001_summary.json").write_text(json.dumps(stale))
    listed, printed = analyze("second")
    assert listed == ["vid_0017", "vid_0001"]  # this run's first, then the earlier ones
    assert "summary.csv also lists 1 other video analysed into this folder before." in printed
    assert "measures_model" not in json.loads((out / "vid_0001_summary.json").read_text())
    assert "predicted_score" not in pd.read_csv(out / "summary.csv").columns

    os.utime(clips["first"], ns=(0, 0))  # the first video changed since its analysis
    listed, printed = analyze("second")
    assert listed == ["vid_0017"] and (out / "vid_0001_summary.json").exists()  # left out, not deleted
    assert json.loads((out / "run_report.json").read_text())["left_out"] == [
        {"name": "vid_0001", "video": str(clips["first"]), "reason": "its video changed or is gone since it was analysed"}]
    assert "1 earlier summary left out of summary.csv: no longer current (see run_report.json for why)." in printed

    # A summary whose facial measures an older version made (blinks over the header's duration)
    # is not current either, though its video is unchanged.
    older = json.loads((out / "vid_0017_summary.json").read_text())
    older["provenance"]["measures_version"] = 2
    (out / "vid_0017_summary.json").write_text(json.dumps(older))
    listed, printed = analyze("first")
    assert listed == ["vid_0001"]
    assert [item["name"] for item in json.loads((out / "run_report.json").read_text())["left_out"]] == ["vid_0017"]

    # A video that fails this time is listed in neither, though an earlier summary of it is there:
    # a baseline of 0-2 s serves vid_0017 (2.3 s), not vid_0001 (1.7 s).
    result = run_main(capsys, "analyze", tmp_path / "first", tmp_path / "second", "--out", out, "--every", 3,
                      "--no-progress", "--no-figures", "--html", "--baseline", "0:2")
    assert result.returncode == 0 and "skipped (failed)" in result.stderr, result.stderr
    index = (out / "index.html").read_text()
    assert pd.read_csv(out / "summary.csv")["name"].tolist() == ["vid_0017"] and (out / "vid_0001_summary.json").exists()
    assert 'href="vid_0017_report.html"' in index and 'href="vid_0001_report.html"' not in index


def test_an_interrupted_run_says_so_and_keeps_what_finished(demo_dir, tmp_path):
    """Issue 33, item 6: Ctrl-C (KeyboardInterrupt) while the second video is being written:
    run_report.json says interrupted, with the finished and the unfinished videos, and
    summary.csv holds the finished one."""
    clips = [demo_dir / "videos" / f"vid_{n:04d}.mp4" for n in (1, 17)]
    figures = []

    save_timeline = plots_timeline.save_timeline

    def figure_then_ctrl_c(table, summary, path):  # drawing the figure is where the user presses Ctrl-C
        figures.append(path)
        if len(figures) == 2:
            raise KeyboardInterrupt
        save_timeline(table, summary, path)

    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(plots_timeline, "save_timeline", figure_then_ctrl_c)
        analyze_paths(clips, None, out, FAST, outputs=Outputs(timeline=True), progress=False)
    run_report = json.loads((out / "run_report.json").read_text())
    assert run_report["interrupted"] is True
    assert run_report["finished"] == [{"video": str(clips[0]), "name": "vid_0001"}]
    assert run_report["unfinished"] == [str(clips[1])]
    assert pd.read_csv(out / "summary.csv")["name"].tolist() == ["vid_0001"]
    report = analyze_paths(clips, None, out, FAST, outputs=Outputs(timeline=True), progress=False)
    assert (len(report.reused), len(report.analyzed)) == (1, 1)
    assert json.loads((out / "run_report.json").read_text())["interrupted"] is False
