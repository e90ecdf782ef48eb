"""Broken and unusual videos made from real demo footage (issue 25, item 2; broken_videos.py):
every one of them through analyze's per-video function (pipeline.per_video.analyze_video), and a
mix of them with good clips through `expressiveness analyze` and `expressiveness extract` in
subprocesses. No file gives a traceback: each gives a valid result or a recorded status with
one sentence naming it, and the good clips' results are those of a clean run of them alone.

The files are made once per module from a fixed seed that their names carry (s25_...): a
failure names the file, and broken_videos.generate(clip, folder, seed=25) makes it again.
`make test` judges a representative fifth of them (each kind, and each family's outcomes) through
the Python API and the command line; `make test-slow` judges every file through the Python API.
"""

import contextlib
import csv
import json
import re
import subprocess
import sys
import traceback

import numpy as np
import pandas as pd
import pytest

import broken_videos
from broken_videos import FAILURE, RESULT
from conftest import main_output, make_record, write_jsonl
from expressiveness.errors import ExpressivenessError
from expressiveness.pipeline.tasks import failure_status
from expressiveness.pipeline.frame_engine import build_analyzer
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.per_video import analyze_video, completeness

SOURCE_CLIP = "vid_0001"  # the real footage the broken files are cut from
GOOD_CLIPS = {"0901": "vid_0002", "0902": "vid_0013"}  # metadata id -> demo clip, beside the broken files

# What a file that cannot be analysed is recorded with, after "PATH: " (one sentence each).
SENTENCES = (
    r"the file is empty \(0 bytes\); expected a video such as an MP4\.",
    r"OpenCV cannot open it as a video \(not a video file, truncated, or an unsupported codec\)\.",
    r"no frame could be decoded; the file is damaged or its codec is not supported by OpenCV\.",
    r"is a (PNG|JPEG) picture, not a video; expected a video file such as an MP4\.",
    r"the video reports \S+ fps, \d+x\d+; expected a positive frame rate and size\.",
    r"has no video stream, only audio \(aac\); expected a video file with pictures of the face, such as an MP4\.",
)
SENTENCE_OF_KIND = {"zero_length": SENTENCES[0], "audio_only": SENTENCES[5], "picture": SENTENCES[3]}


def sentence_problem(message: str, path) -> str | None:
    """Why `message` is not the one sentence recorded for an unreadable file at `path`, or None."""
    if "Traceback" in message or "\n" in message:
        return f"not one line: {message!r}"
    if not message.startswith(f"{path}: "):
        return f"does not start with the file's path {path}: {message!r}"
    rest = message[len(f"{path}: "):]
    if not any(re.fullmatch(sentence, rest) for sentence in SENTENCES):
        return f"not one of the known sentences: {rest!r}"
    return None


# ---------------------------------------------------------------- every file through the Python API

@pytest.fixture(scope="module")
def every_case(demo_dir, tmp_path_factory):
    return broken_videos.generate(demo_dir / "videos" / f"{SOURCE_CLIP}.mp4", tmp_path_factory.mktemp("broken"))


def representative(cases) -> list:
    """Every case of a kind made once (zero length, 4K, rotated, ...), and of each family made at
    many random offsets (truncated at, flipped at, ...) every fourth and the last: each outcome
    every family reaches (failure, complete, incomplete) stays among them, at a fifth of the work."""
    families: dict[str, list] = {}
    for case in cases:
        families.setdefault(re.sub(r"_at_\d+.*", "", case.name), []).append(case)
    chosen = {case.name for family in families.values() for case in (*family[::4], family[-1])}
    return [case for case in cases if case.name in chosen]


@pytest.fixture(scope="module")
def analyse(every_case):
    """analyse(CASES) -> {file name: VideoAnalysis, or (error, its traceback)} of analyze_video on
    those cases and on the base clip they were made from ("base"), with one analyzer, as a worker
    of `analyze` has it; each file is analysed once per module."""
    analyzer = build_analyzer(None, AnalysisOptions())
    found = {"base": analyze_video(every_case[0].path.parent / "base" / "base_index_front.mp4", analyzer)}

    def analysed(chosen) -> dict:
        for case in chosen:
            if case.name not in found:
                try:
                    found[case.name] = analyze_video(case.path, analyzer)
                except Exception as error:  # judged by the tests: recorded (unreadable) or a crash
                    found[case.name] = (error, traceback.format_exc())
        return found

    yield analysed
    analyzer.close()


@pytest.fixture(scope="module", params=["representative", pytest.param("every", marks=pytest.mark.slow)])
def cases(request, every_case):
    """The files the sweep's tests judge: `make test` the representative fifth, `make test-slow`
    all of them (the same seed, so the same files)."""
    return representative(every_case) if request.param == "representative" else every_case


@pytest.fixture(scope="module")
def outcomes(cases, analyse):
    return analyse(cases)


def outcome_of(result) -> str:
    """failure, crash, complete or incomplete."""
    if isinstance(result, tuple):
        error = result[0]
        return "failure" if isinstance(error, ExpressivenessError) and failure_status(error, "x") == "unreadable" \
            else "crash"
    return "complete" if result.summary["complete"] else "incomplete"


def test_over_a_hundred_files_of_every_kind_are_made_with_their_seed_in_the_name(every_case):
    cases = every_case
    assert len(cases) >= 100
    assert {case.kind for case in cases} >= {
        "truncated", "flipped_header", "flipped_middle", "wrong_extension", "zero_length", "one_frame", "odd_size",
        "uhd", "rotated", "variable_frame_rate", "audio_only", "picture", "streamed", "frame_count"}
    assert all(case.name.startswith(f"s{broken_videos.SEED}_") for case in cases)
    assert len({case.name for case in cases}) == len(cases)


def test_every_file_gives_a_result_or_a_recorded_sentence_never_a_crash(cases, outcomes):
    problems = []
    for case in cases:
        result = outcomes[case.name]
        outcome = outcome_of(result)
        if outcome == "crash":
            problems.append(f"{case.name} ({case.note}) crashed:\n{result[1]}")
        elif outcome == "failure":
            message = str(result[0])
            if case.expect == RESULT:
                problem = f"expected a result, got: {message}"
            elif case.kind in SENTENCE_OF_KIND and not re.fullmatch(rf"{re.escape(str(case.path))}: "
                                                                     rf"{SENTENCE_OF_KIND[case.kind]}", message):
                problem = f"expected the sentence for {case.kind}, got: {message}"
            else:
                problem = sentence_problem(message, case.path)
            if problem:
                problems.append(f"{case.name} ({case.note}): {problem}")
        elif case.expect == FAILURE:
            problems.append(f"{case.name} ({case.note}): expected to be recorded as unreadable, but was analysed")
    assert not problems, "\n".join(problems)


def test_every_result_is_a_valid_table_and_summary(cases, outcomes):
    """Also what still decodes of a damaged file: a row per decoded frame in order, strictly
    increasing times, and `complete` (with its warning when not) telling whether decoding reached
    the frame count the file declares."""
    problems = []
    for case in cases:
        result = outcomes[case.name]
        if isinstance(result, tuple):
            continue
        table, summary = result.table, result.summary
        rows = len(table)
        checks = {
            "rows": rows == summary["frames_analyzed"] == summary["frames_decoded"] >= 1,
            "frames in order": table["frame"].tolist() == list(range(rows)),
            "times increase": bool(np.all(np.diff(table["timestamp"].to_numpy()) > 0)),
            "complete": summary["complete"] == (abs(rows - summary["frames_total"]) <= 1),
            "warning": summary.get("warning") == completeness(rows, summary["frames_total"], summary["analysed_s"],
                                                              summary["duration_s"]),
            "no traceback": "Traceback" not in json.dumps(summary),
        }
        failed = [name for name, ok in checks.items() if not ok]
        if failed:
            problems.append(f"{case.name} ({case.note}): {', '.join(failed)}; summary frames_total "
                            f"{summary['frames_total']}, frames_decoded {summary['frames_decoded']}, rows {rows}")
    assert not problems, "\n".join(problems)


def test_damaged_files_that_still_decode_give_results_and_the_others_are_recorded(cases, outcomes):
    """Both ways occur among the truncated and flipped files: the generator reaches both paths."""
    seen = {(case.kind, outcome_of(outcomes[case.name])) for case in cases}
    for kind in ("truncated", "flipped_header"):
        assert {(kind, "failure"), (kind, "complete")} <= seen, kind
    assert ("truncated", "incomplete") in seen


def _case(cases, kind):
    return next(case for case in cases if case.kind == kind)


def test_unusual_videos_are_measured_like_the_clip_they_come_from(cases, outcomes):
    base = outcomes["base"].table
    for kind, rows in (("wrong_extension", 12), ("streamed", 12), ("rotated", 12), ("odd_size", 12),
                       ("frame_count", 12), ("fragmented", 12), ("one_frame", 1), ("uhd", 3)):
        for case in (case for case in cases if case.kind == kind):
            table = outcomes[case.name].table
            assert len(table) == rows and (table["success"] == 1).all() and (table["usable"] == 1).all(), case.name
    # A phone's video: frames coded sideways stand up by their rotation metadata, so the face is
    # found where it is in the clip, upright.
    rotated = outcomes[_case(cases, "rotated").name].table
    for column in ("face_x", "face_y", "face_width"):
        np.testing.assert_allclose(rotated[column], base[column], atol=3, err_msg=column)
    np.testing.assert_allclose(rotated["head_roll_deg"], base["head_roll_deg"], atol=3)
    # 4K: the same face, 9 times larger.
    uhd = outcomes[_case(cases, "uhd").name].table.iloc[0]
    scale, left = broken_videos.UHD_SCALE, broken_videos.UHD_LEFT
    assert uhd["face_width"] == pytest.approx(scale * base["face_width"].iloc[0], rel=0.05)
    assert uhd["face_x"] == pytest.approx(left + scale * base["face_x"].iloc[0], rel=0.05)
    # A header declaring billions of frames: the 12 the file holds, all of them, complete.
    declared = outcomes[_case(cases, "frame_count").name].summary
    assert (declared["frames_total"], declared["complete"]) == (12, True)


def test_a_variable_frame_rate_keeps_each_frames_own_time(cases, outcomes):
    case = _case(cases, "variable_frame_rate")
    table = outcomes[case.name].table
    assert table["timestamp"].tolist() == pytest.approx(broken_videos.variable_frame_times(case), abs=1e-3)
    assert (table["success"] == 1).all()


# ---------------------------------------------------------------- the command line, on a mix

def cli_selection(cases, outcomes) -> list:
    """For each kind of file and suffix, its first case of each outcome (failure, complete,
    incomplete): the files the command line gets beside the good clips."""
    chosen = {}
    for case in cases:
        chosen.setdefault((case.kind, case.path.suffix, outcome_of(outcomes[case.name])), case)
    return list(chosen.values())


def _link_good_clips(demo_dir, folder):
    for name in GOOD_CLIPS.values():  # links: the same resolved source, so the same provenance
        (folder / f"{name}.mp4").symlink_to(demo_dir / "videos" / f"{name}.mp4")


def _metadata(folder, names: dict):
    """metadata.jsonl in folder, one record per {id: video file name in folder/videos}."""
    return write_jsonl(folder / "metadata.jsonl", [
        make_record(int(video_id), id=video_id, file_name=f"videos/{name}") for video_id, name in names.items()])


@pytest.fixture(scope="module")
def cli_runs(every_case, analyse, demo_dir, tmp_path_factory):
    """`expressiveness analyze` (a folder of broken files and good clips, plus an .m4a named on its
    own) and `expressiveness extract` (a metadata.jsonl listing the same files) in subprocesses;
    and the same two commands in this process on the good clips alone. Run in an empty folder,
    so that no default model is found there: facial measures only, in both runs."""
    root = tmp_path_factory.mktemp("cli")
    cases = representative(every_case)  # the whole sweep gives the same selection: a first case of each
    outcomes = analyse(cases)
    chosen = cli_selection(cases, outcomes)
    mixed, clean = root / "mixed" / "videos", root / "clean" / "videos"
    for folder in (mixed, clean):
        folder.mkdir(parents=True)
        _link_good_clips(demo_dir, folder)
    for case in chosen:
        (mixed / case.name).symlink_to(case.path)
    # The folder search takes video suffixes only: an .m4a is named on the command line.
    named = [mixed / case.name for case in chosen if case.path.suffix == ".m4a"]
    broken_ids = {f"{number:04d}": case.name for number, case in enumerate(chosen, start=1)}
    good_names = {video_id: f"{name}.mp4" for video_id, name in GOOD_CLIPS.items()}
    mixed_metadata = _metadata(mixed.parent, {**broken_ids, **good_names})
    clean_metadata = _metadata(clean.parent, good_names)

    def command(*args):
        return subprocess.run([sys.executable, "-m", "expressiveness.cli", *map(str, args)], capture_output=True,
                              text=True, cwd=root, timeout=600)

    runs = {
        "analyze": command("analyze", mixed, *named, "--out", root / "analysis", "--no-progress", "--no-figures"),
        "extract": command("extract", "--metadata", mixed_metadata, "--cache", root / "cache", "--workers", 1,
                           "--no-progress"),
    }
    with contextlib.chdir(root):
        runs["clean_analyze"] = main_output("analyze", clean, "--out", root / "clean_analysis", "--no-progress",
                                            "--no-figures")
        runs["clean_extract"] = main_output("extract", "--metadata", clean_metadata, "--cache", root / "clean_cache",
                                            "--workers", 1, "--no-progress")
    return {"root": root, "chosen": chosen, "mixed": mixed, "named": named, "broken_ids": broken_ids,
            "outcomes": outcomes, **runs}


def _texts(folder):
    return {path: path.read_text(errors="replace") for path in folder.rglob("*")
            if path.is_file() and path.suffix in (".json", ".csv", ".txt", ".log")}


def test_the_command_line_gets_at_least_ten_broken_files_of_every_outcome(cli_runs):
    outcomes = cli_runs["outcomes"]
    chosen = cli_runs["chosen"]
    assert len(chosen) >= 10
    assert {outcome_of(outcomes[case.name]) for case in chosen} == {"failure", "complete", "incomplete"}


def test_analyze_records_each_broken_file_with_one_sentence_and_no_traceback(cli_runs):
    outcomes = cli_runs["outcomes"]
    run, root = cli_runs["analyze"], cli_runs["root"]
    assert run.returncode == 0, run.stderr
    for text in (run.stdout, run.stderr, *_texts(root / "analysis").values()):
        assert "Traceback" not in text and "Error:" not in text
    report = json.loads((root / "analysis" / "run_report.json").read_text())
    failures = {failure["video"]: failure for failure in report["failures"]}
    given = {case.name: cli_runs["mixed"] / case.name for case in cli_runs["chosen"]}
    problems = []
    for case in cli_runs["chosen"]:
        shown, outcome = str(given[case.name]), outcome_of(outcomes[case.name])
        if outcome == "failure":
            failure = failures.pop(shown, None)
            if failure is None:
                problems.append(f"{case.name} ({case.note}): not recorded in run_report.json")
                continue
            problem = sentence_problem(failure["error"], shown)
            if failure["status"] != "unreadable" or problem:
                problems.append(f"{case.name}: status {failure['status']}, {problem}")
            if f"skipped (unreadable): {failure['error']}" not in run.stderr.splitlines():
                problems.append(f"{case.name}: its sentence is not on stderr")
        else:
            summary = json.loads((root / "analysis" / f"{given[case.name].stem}_summary.json").read_text())
            if summary["complete"] != (outcome == "complete"):
                problems.append(f"{case.name}: complete {summary['complete']}, the Python API found it {outcome}")
    assert not problems, "\n".join(problems)
    assert failures == {}, f"recorded but not expected to fail: {sorted(failures)}"
    incomplete = {entry["video"] for entry in report["incomplete"]}
    assert incomplete == {str(given[case.name]) for case in cli_runs["chosen"]
                          if outcome_of(outcomes[case.name]) == "incomplete"}
    analysed = sum(outcome_of(outcomes[case.name]) != "failure" for case in cli_runs["chosen"]) + len(GOOD_CLIPS)
    assert (report["analyzed"], report["failed"]) == (analysed, len(cli_runs["chosen"]) + len(GOOD_CLIPS) - analysed)
    assert len(pd.read_csv(root / "analysis" / "summary.csv")) == analysed


VOLATILE = ("video", "seconds", "frames_per_second")  # where the file was named, and timing


def test_analyze_gives_the_good_clips_the_results_of_a_clean_run(cli_runs):
    root = cli_runs["root"]
    assert cli_runs["clean_analyze"].returncode == 0, cli_runs["clean_analyze"].stderr
    for name in GOOD_CLIPS.values():
        mixed, clean = root / "analysis", root / "clean_analysis"
        assert (mixed / f"{name}_frames.csv").read_bytes() == (clean / f"{name}_frames.csv").read_bytes(), name
        summaries = [json.loads((out / f"{name}_summary.json").read_text()) for out in (mixed, clean)]
        for summary in summaries:
            for key in VOLATILE:
                summary.pop(key)
        assert summaries[0] == summaries[1], name


def _manifest(cache):
    with open(cache / "manifest.csv", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def test_extract_records_each_broken_file_with_one_sentence_and_no_traceback(cli_runs):
    outcomes = cli_runs["outcomes"]
    run, root = cli_runs["extract"], cli_runs["root"]
    assert run.returncode == 0, run.stderr
    for text in (run.stdout, run.stderr, *_texts(root / "cache").values()):
        assert "Traceback" not in text and "Error:" not in text
    manifest = _manifest(root / "cache")
    assert set(manifest) == set(cli_runs["broken_ids"]) | set(GOOD_CLIPS)
    problems = []
    for video_id, name in cli_runs["broken_ids"].items():
        row, outcome = manifest[video_id], outcome_of(outcomes[name])
        if outcome == "failure":
            problem = sentence_problem(row["error"], cli_runs["mixed"] / name)
            if row["status"] != "unreadable" or problem:
                problems.append(f"{name}: status {row['status']}, {problem}")
            if (root / "cache" / "crops" / f"{video_id}.npz").exists():
                problems.append(f"{name}: unreadable, yet it has a crop file")
        elif row["status"] not in ("ok", "no_face") or int(row["frames_sampled"]) < 1:
            problems.append(f"{name}: status {row['status']} ({row['error']}), the Python API found it {outcome}")
        elif outcome == "incomplete" and not row["error"].startswith("decoding stopped at frame "):
            problems.append(f"{name}: incomplete, yet its manifest row has no note: {row['error']!r}")
    assert not problems, "\n".join(problems)


def test_extract_gives_the_good_clips_the_crops_of_a_clean_run(cli_runs):
    root = cli_runs["root"]
    assert cli_runs["clean_extract"].returncode == 0, cli_runs["clean_extract"].stderr
    mixed, clean = _manifest(root / "cache"), _manifest(root / "clean_cache")
    for video_id in GOOD_CLIPS:
        assert mixed[video_id].pop("seconds") and clean[video_id].pop("seconds")
        assert mixed[video_id] == clean[video_id] and mixed[video_id]["status"] == "ok"
        crops = f"crops/{video_id}.npz"
        assert (root / "cache" / crops).read_bytes() == (root / "clean_cache" / crops).read_bytes(), video_id


def test_the_console_shows_only_the_toolkits_own_lines(cli_runs):
    """Native chatter (FFmpeg's, OpenCV's) about the broken files stays off the console: stderr
    holds the toolkit's sentences only."""
    own = ("No model at ", "skipped (", "warning: ", "note: ")
    for command in ("analyze", "extract"):
        foreign = [line for line in cli_runs[command].stderr.splitlines() if line and not line.startswith(own)]
        assert foreign == [], command
