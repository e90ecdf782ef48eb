import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from expressiveness.data.statistics import quick_stats, variance_by_participant
from expressiveness.data.metadata import load_metadata

from conftest import make_record, write_jsonl

ROOT = Path(__file__).resolve().parents[1]


def run_script(name, *args):
    return subprocess.run([sys.executable, str(ROOT / name), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def scored_metadata(tmp_path):
    rng = np.random.default_rng(5)
    scores = np.round(rng.standard_t(4, size=40), 3)
    records = [make_record(i + 1, user_no=str(i // 4 + 1), question_id=str(i // 10 + 1),
                           facial_expression=float(score)) for i, score in enumerate(scores)]
    lines = records[:12] + ["{broken", make_record(99, openness="high")] + records[12:]
    return write_jsonl(tmp_path / "metadata.jsonl", lines), scores


def test_quick_stats_equal_independent_computations(scored_metadata):
    path, scores = scored_metadata
    result = quick_stats(path, limit=None)
    described = result["facial_expression"]
    assert described["count"] == 40 and result["records_kept"] == 40 and len(result["dropped"]) == 2
    assert described["mean"] == pytest.approx(scores.mean())
    assert described["sd"] == pytest.approx(np.std(scores, ddof=1))
    assert [described[k] for k in ("min", "q1", "median", "q3", "max")] == pytest.approx(
        [scores.min(), *np.percentile(scores, [25, 50, 75]), scores.max()])
    assert described["skew"] == pytest.approx(stats.skew(scores, bias=False))
    assert described["excess_kurtosis"] == pytest.approx(stats.kurtosis(scores, bias=False))
    assert result["tertile_thresholds"] == pytest.approx(list(np.percentile(scores, [100 / 3, 200 / 3])))
    for key in ("levels_default", "levels_tertiles"):
        assert sum(level["count"] for level in result[key].values()) == 40
    low, high = -0.303, 0.294
    assert result["levels_default"]["Balanced Expression"]["count"] == int(np.sum((scores >= low) & (scores <= high)))
    assert result["sample_is_whole_file"]


def test_quick_analysis_script_warns_about_the_first_n(scored_metadata):
    path, _ = scored_metadata
    result = run_script("quick_analysis.py", "--metadata", path, "--limit", "10")
    assert result.returncode == 0
    assert "read 10 of 42 records, kept 10, dropped 0." in result.stdout
    assert "Covers 3 participants and 1 questions." in result.stdout
    assert "WARNING: these are the first 10 records, not a random sample" in result.stdout
    as_json = json.loads(run_script("quick_analysis.py", "--metadata", path, "--all", "--json").stdout)
    assert as_json["records_kept"] == 40 and [bad["line"] for bad in as_json["dropped"]] == [13, 14]


def test_quick_analysis_bad_files(tmp_path):
    missing = run_script("quick_analysis.py", "--metadata", tmp_path / "none.jsonl")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (f"quick_analysis.py: error: {tmp_path / 'none.jsonl'}: metadata file not found; "
                                      f"expected a RecruitView metadata.jsonl (one JSON object per line).")
    all_bad = write_jsonl(tmp_path / "bad.jsonl", ["{", make_record(1, openness="x")])
    result = run_script("quick_analysis.py", "--metadata", all_bad)
    assert result.returncode == 1 and "no valid record; all 2 lines were dropped" in result.stderr


def test_variance_by_participant_by_hand(tmp_path):
    records = [make_record(1, user_no="1", facial_expression=1.0), make_record(2, user_no="1", facial_expression=3.0),
               make_record(3, user_no="2", facial_expression=-1.0), make_record(4, user_no="2", facial_expression=-3.0)]
    frame = load_metadata(write_jsonl(tmp_path / "m.jsonl", records))
    result = variance_by_participant(frame)
    # Means 2 and -2 around 0: SS_between = 2*4 + 2*4 = 16; SS_total = 1+9+1+9 = 20.
    assert result["ss_between"] == pytest.approx(16) and result["share_between"] == pytest.approx(0.8)
    # MSB = 16, MSW = 4 / 2 = 2, k = 2: ICC(1) = 14 / 18.
    assert result["icc1"] == pytest.approx(14 / 18)


def test_full_analysis_writes_every_file_and_flags_bad_videos(demo_dir, tmp_path):
    data = tmp_path / "data"
    (data / "videos").mkdir(parents=True)
    records = [json.loads(line) for line in (demo_dir / "metadata.jsonl").read_text().splitlines()]
    for record in records:
        (data / record["file_name"]).symlink_to(demo_dir / record["file_name"])
    (data / "videos" / "corrupt.mp4").write_bytes((demo_dir / "videos" / "vid_0001.mp4").read_bytes()[:5000])
    records += [dict(records[0], id="0900", file_name="videos/gone.mp4"),
                dict(records[0], id="0901", file_name="videos/corrupt.mp4")]
    metadata = write_jsonl(data / "metadata.jsonl", records + ['{"id": "0902", "facial_expression": "high"'])
    out = tmp_path / "report"
    result = run_script("analyze_facial_data.py", "--metadata", metadata, "--out", out, "--faces", "2",
                        "--no-progress")
    assert result.returncode == 0, result.stderr
    for name in ("scores.png", "correlations.png", "by_question.png", "by_duration_quality.png", "levels.png",
                 "summary.json", "records.csv", "report.md"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["records_kept"] == 21 and len(summary["dropped"]) == 1
    assert (summary["videos"]["missing"], summary["videos"]["unreadable"], summary["videos"]["ok"]) == (1, 1, 19)
    assert sorted(bad["id"] for bad in summary["videos"]["bad"]) == ["0900", "0901"]
    report = (out / "report.md").read_text()
    assert "19 of 21 videos open; 1 missing, 1 unreadable." in report and "![Level balance](levels.png)" in report
    assert "video missing:" in result.stderr and "dropped:" in result.stderr
