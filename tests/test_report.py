"""HTML reports from real `expressiveness analyze` outputs on the demo footage, in the three
kinds an analysis can be: levels and facial measures (a model, the default measures), facial
measures only (no model), levels only (--no-measures).

The main session fixture analyses five videos with a really trained model through the CLI (its
main(), in this process): a clip with a face throughout, one where the face leaves the picture,
one without a face, a one-frame video, and a copy whose name holds quotes and "<script>"; then
writes the reports with the metadata records (one question carries markup too). Two small
fixtures analyse the clip whose face leaves the picture without a model (plus the clip without a
face) and with the model but --no-measures, through `analyze --html`.
"""

import base64
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np
import pandas as pd
import pytest

from conftest import main_output, make_record, write_jsonl
from expressiveness.measures.quality import usable_rows
from expressiveness.report.findings import find_moments, percent
from expressiveness.pipeline.results_folder import write_reports
from expressiveness.report.pages import write_index, write_video_report
from expressiveness.video import VideoWriter, iter_frames

ODD = "it's \"odd\" <script>alert(1)"
ODD_QUESTION = "Why </script><script>alert(2)</script> & <b>you</b>?"
LEVEL_WORDS = re.compile(r"\b(levels?|Reserved|Balanced|Expressive)\b", re.IGNORECASE)


class Page(HTMLParser):
    """Every start tag with its attributes, the text of each <script>, and the visible text
    (neither scripts nor style sheets)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.text, self._inside = [], [], [], None
        self.feed(html)
        self.text = " ".join(" ".join(self.text).split())

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._inside = tag
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data):
        if self._inside == "script":
            self.scripts[-1] += data
        elif self._inside is None:
            self.text.append(data)

    def all(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="session")
def analysed(demo_dir, trained_model, tmp_path_factory):
    """(out folder, {name: summary}, {name: table}) after analyze + write_reports."""
    root = tmp_path_factory.mktemp("report")
    videos = root / "videos"
    videos.mkdir()
    for number in (1, 17, 19):
        shutil.copy(demo_dir / "videos" / f"vid_{number:04d}.mp4", videos)
    shutil.copy(demo_dir / "videos" / "vid_0002.mp4", videos / f"{ODD}.mp4")
    with VideoWriter(videos / "one_frame.mp4", fps=30) as writer:
        writer.write(next(iter(iter_frames(demo_dir / "videos" / "vid_0001.mp4", [10]))).image)
    demo_records = {json.loads(line)["id"]: json.loads(line)
                    for line in (demo_dir / "metadata.jsonl").read_text().splitlines()}
    records = [demo_records[f"{number:04d}"] for number in (1, 17, 19)]
    records.append(make_record(40, file_name=f"videos/{ODD}.mp4", question=ODD_QUESTION, facial_expression=-0.5,
                               transcript="I said <i>hello</i>."))
    metadata = write_jsonl(root / "metadata.jsonl", records)
    out = root / "out"
    result = main_output("analyze", videos, "--out", out, "--model", trained_model.model_path, "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    summaries = {path.name[:-len("_summary.json")]: json.loads(path.read_text())
                 for path in out.glob("*_summary.json")}
    tables = {name: pd.read_csv(out / f"{name}_frames.csv") for name in summaries}
    write_reports(out, metadata)
    return out, summaries, tables


def analyze_html(videos: list[Path], out: Path, *options: str) -> tuple[dict, dict]:
    """Run `expressiveness analyze VIDEOS --out OUT --html` in out's parent folder (where there
    is no default model) and return ({name: summary}, {name: table})."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(out.parent)
        result = main_output("analyze", *videos, "--out", out, "--html", "--no-progress", *options)
    assert result.returncode == 0, result.stderr[-2000:]
    summaries = {path.name[:-len("_summary.json")]: json.loads(path.read_text())
                 for path in out.glob("*_summary.json")}
    return summaries, {name: pd.read_csv(out / f"{name}_frames.csv") for name in summaries}


@pytest.fixture(scope="session")
def measures_only(demo_dir, tmp_path_factory):
    """(out folder, summaries, tables) of vid_0017 and vid_0019 analysed without a model."""
    out = tmp_path_factory.mktemp("measures_only") / "out"
    videos = [demo_dir / "videos" / f"vid_{number:04d}.mp4" for number in (17, 19)]
    return (out, *analyze_html(videos, out))


@pytest.fixture(scope="session")
def levels_only(demo_dir, trained_model, tmp_path_factory):
    """(out folder, summaries, tables) of vid_0017 analysed with the model and --no-measures."""
    out = tmp_path_factory.mktemp("levels_only") / "out"
    return (out, *analyze_html([demo_dir / "videos" / "vid_0017.mp4"], out, "--model",
                               str(trained_model.model_path), "--no-measures"))


def read(out: Path, name: str) -> tuple[str, Page]:
    html = (out / name).read_text(encoding="utf-8")
    return html, Page(html)


def test_every_page_is_self_contained(analysed):
    out, summaries, _ = analysed
    pages = sorted(out.glob("*.html"))
    assert len(pages) == len(summaries) + 1 == 6
    for path in pages:
        html, page = read(out, path.name)
        assert "http://" not in html and "https://" not in html
        assert not page.all("link") and not page.all("iframe")
        assert all(attrs["src"].startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
                   for attrs in page.all("img"))
        assert all("src" not in attrs for attrs in page.all("script"))
        for attrs in page.all("a"):
            target = unquote(attrs["href"])
            assert not target.startswith(("/", "http", "//")) and ":" not in target
            if path.name == "index.html":
                assert target.endswith("_report.html") and (out / target).exists()
            else:
                assert target == "index.html" or target == path.name.replace("_report.html", "_frames.csv")
                assert (out / target).exists()
        assert len(page.scripts) == (1 if path.name == "index.html" else 0)


def test_words_and_numbers_equal_the_summary(analysed, demo_dir):
    out, summaries, tables = analysed
    summary, table = summaries["vid_0017"], tables["vid_0017"]
    faced = int(table["success"].sum())
    assert 0 < faced < len(table)  # the face leaves the picture in this clip
    _, page = read(out, "vid_0017_report.html")
    share = round(100 * faced / len(table))
    assert f"A face was visible in {share}% of the analysed frames ({faced} of {len(table)})" in page.text
    assert percent(summary["face_share"]) == f"{share}%"
    for label, key in (("Reserved Expression", "share_reserved"), ("Balanced Expression", "share_balanced"),
                       ("Expressive", "share_expressive")):
        expected = round(100 * (table.loc[table["success"] == 1, "level"] == label).mean())
        assert f"{label}: {expected}%" in page.text and round(100 * summary[key]) == expected
    assert f"the most likely level is {summary['dominant_level']}, an expected level of " \
           f"{summary['expected_level']:.2f}" in page.text
    assert f"Mean expressivity was {summary['expressivity_mean']:.1f}% of the inter-ocular distance (90th " \
           f"percentile {summary['expressivity_p90']:.1f}%)" in page.text
    score = next(json.loads(line)["facial_expression"] for line in (demo_dir / "metadata.jsonl").open()
                 if json.loads(line)["id"] == "0017")
    assert score > 0.294 and f"Human rating (facial_expression) {score:+.2f} → Expressive" in page.text
    assert "Participant 7" in page.text and "640 x 480 px" in page.text
    assert len(page.all("img")) >= 1 + 2  # level chart and at least two face thumbnails


def test_no_face_video_has_no_chart(analysed):
    out, summaries, _ = analysed
    assert summaries["vid_0019"]["face_share"] == 0
    _, page = read(out, "vid_0019_report.html")
    assert page.all("img") == []
    assert "No face was found in any of the 80 analysed frames" in page.text
    assert "Level over time" not in page.text and "Moments" not in page.text
    _, index = read(out, "index.html")
    row = next(tr for tr in index.text.split("vid_0019")[1:2])
    assert "no face" in row


def test_one_frame_video(analysed):
    out, summaries, _ = analysed
    assert summaries["one_frame"]["frames_analyzed"] == 1
    _, page = read(out, "one_frame_report.html")
    assert "A face was visible in 100% of the analysed frames (1 of 1)" in page.text
    assert "Too few frames with a face to show the lowest moments separately." in page.text
    images = [attrs["src"] for attrs in page.all("img")]
    # level, expressivity, blendshape and head pose charts, the one face: ranked by expected level,
    # as the single face's expressivity is 0 by construction (it is its own typical face)
    assert len(images) == 5 and images[4].startswith("data:image/jpeg")
    assert "The face mesh found the face's landmarks in only 1 frame: too few for facial measures" in page.text
    assert "Highest expected level" in page.text and "expressivity" not in page.text.split("Moments")[1].split(
        "What was analysed")[0]


def test_names_and_metadata_text_are_escaped(analysed):
    out, summaries, _ = analysed
    assert ODD in summaries
    html, page = read(out, f"{ODD}_report.html")
    assert page.scripts == [] and page.all("i") == []  # the markup stayed text
    assert len(page.all("b")) == len(read(out, "vid_0001_report.html")[1].all("b"))
    assert f"Expressiveness report: {ODD}" in page.text
    assert f"Question {ODD_QUESTION}" in page.text and "I said <i>hello</i>." in page.text
    assert "Human rating (facial_expression) -0.50 → Reserved Expression" in page.text
    csv_link = [attrs["href"] for attrs in page.all("a") if attrs["href"] != "index.html"]
    assert [unquote(href) for href in csv_link] == [f"{ODD}_frames.csv"]
    html, index = read(out, "index.html")
    assert len(index.scripts) == 1 and "alert" not in index.scripts[0]
    assert ODD in index.text and ODD_QUESTION in index.text


def test_index_has_one_linked_row_per_video(analysed):
    out, summaries, _ = analysed
    html, page = read(out, "index.html")
    links = sorted(unquote(attrs["href"]) for attrs in page.all("a"))
    assert links == sorted(f"{name}_report.html" for name in summaries)
    assert len(page.all("tr")) == len(summaries) + 1  # and the heading row
    assert html.count("<svg") == len(summaries) - 1  # a sparkline per video with a face
    assert re.findall(r"<th[^>]*>([^<]*)</th>", html) == [
        "Video", "Clip id", "Participant", "Question", "Human rating", "Seconds", "Face", "Usable", "Dominant",
        "Reserved", "Balanced", "Expressive", "Expressivity", "Timeline"]


def test_moment_thumbnails_show_the_face(analysed, demo_dir):
    from expressiveness.face import FaceDetector

    out, _, tables = analysed
    _, page = read(out, "vid_0001_report.html")
    thumbnails = [attrs["src"] for attrs in page.all("img") if attrs["src"].startswith("data:image/jpeg")]
    moments = find_moments(tables["vid_0001"])  # one-second stretches: this 1.6 s clip holds one
    assert len(thumbnails) == len(moments["highest"]) + len(moments["lowest"]) >= 1
    with FaceDetector() as detector:
        for uri in thumbnails:
            image = cv2.imdecode(np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), "uint8"), cv2.IMREAD_COLOR)
            assert image.shape == (112, 112, 3)
            faces = detector.detect(cv2.copyMakeBorder(image, 56, 56, 56, 56, cv2.BORDER_CONSTANT))
            assert len(faces) == 1


def test_levels_and_measures_give_every_chart_and_moments_by_expressivity(analysed, tmp_path):
    out, summaries, tables = analysed
    summary, table = summaries["vid_0001"], tables["vid_0001"]
    _, page = read(out, "vid_0001_report.html")
    assert [attrs["alt"] for attrs in page.all("img")][:4] == [
        "level probabilities and level over time", "expressivity over time", "blendshape expressivity over time",
        "head yaw, pitch and roll over time"]
    assert f"Head turn left-right, 5th-95th percentile range (degrees) {summary['head_yaw_range_deg']:.3g}" \
        in page.text
    moments = find_moments(table)
    assert moments["measure"] == "expressivity" and len(moments["highest"]) >= 1
    # the report's highest moments are the summary's, each shown by a frame inside its stretch
    assert [{key: row[key] for key in summary["top_moments"][0]} for row in moments["highest"]] == summary["top_moments"]
    for row in moments["highest"] + moments["lowest"]:
        assert row["start_s"] <= row["timestamp"] < row["end_s"] and row["end_s"] - row["start_s"] == pytest.approx(1.0)
    assert all(row["moment_score"] <= moments["highest"][-1]["moment_score"] for row in moments["lowest"])
    best = moments["highest"][0]
    assert f"{best['start_s']:.2f}\u2013{best['end_s']:.2f} s · frame {int(best['frame'])} expressivity " \
           f"{best['moment_score']:.2f}% (mean)" in page.text
    path = write_video_report(summary, table, tmp_path, video_path=Path(summary["video"]))
    assert path.name == "vid_0001_report.html"
    assert "not found beside this report" in read(tmp_path, path.name)[1].text  # no CSV in tmp_path: no link


def test_measures_only_speaks_of_expressivity_and_never_of_levels(measures_only):
    out, summaries, tables = measures_only
    summary, table = summaries["vid_0017"], tables["vid_0017"]
    assert "dominant_level" not in summary and "level" not in table and "prob_reserved" not in table
    faced, landmarks = int(table["success"].sum()), int(table["expressivity"].notna().sum())
    assert 0 < landmarks < faced < len(table)  # the face enters the picture; the mesh misses a few faces
    assert summary["expressivity_mean"] == pytest.approx(usable_rows(table)["expressivity"].mean(), abs=1e-4)
    _, page = read(out, "vid_0017_report.html")
    assert f"A face was visible in {percent(faced / len(table))} of the analysed frames ({faced} of {len(table)})." \
        in page.text
    def degrees(value):
        return f"{value:.0f} degree" + ("" if round(value) == 1 else "s")

    assert f"Mean expressivity was {summary['expressivity_mean']:.1f}% of the inter-ocular distance (90th " \
           f"percentile {summary['expressivity_p90']:.1f}%); the head turned over a range of " \
           f"{degrees(summary['head_yaw_range_deg'])} and nodded over {degrees(summary['head_pitch_range_deg'])} " \
           f"(5th to 95th percentile)" in page.text
    assert f"The facial measures cover the {percent(landmarks / len(table))} of the analysed frames" in page.text
    assert f"Expressivity, whole face (% of the inter-ocular distance) mean {summary['expressivity_mean']:.3g}, " \
           f"90th percentile {summary['expressivity_p90']:.3g}" in page.text
    assert "Model none: facial measures only" in page.text
    assert LEVEL_WORDS.findall(page.text) == []
    images = page.all("img")
    assert [attrs["alt"] for attrs in images[:3]] == ["expressivity over time", "blendshape expressivity over time",
                                                      "head yaw, pitch and roll over time"]
    moments = find_moments(table)
    assert len(images) == 3 + len(moments["highest"]) + len(moments["lowest"])
    assert all(attrs["src"].startswith("data:image/jpeg") for attrs in images[3:])
    _, index = read(out, "index.html")
    assert re.findall(r"<th[^>]*>([^<]*)</th>", (out / "index.html").read_text()) == [
        "Video", "Seconds", "Face", "Usable", "Expressivity", "Timeline"]
    assert f"{summary['expressivity_mean']:.1f}%" in index.text and LEVEL_WORDS.findall(index.text) == []
    faceless = re.search(r'href="vid_0019_report.html">.*?</tr>', (out / "index.html").read_text(), re.S).group(0)
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', faceless)[2:] == ["0%", "\u2013"]  # no usable frame
    assert [attrs["aria-label"] for attrs in index.all("svg")] == ["expressivity timeline"]  # vid_0019: no face


def test_a_clip_without_a_usable_second_has_no_moments(measures_only):
    out, summaries, tables = measures_only
    table, summary = tables["vid_0017"], summaries["vid_0017"]
    # the face appears after a second, first unconfirmed by the landmarker, then for 0.9 s
    assert {"no_face", "low_presence", "ok"} <= set(table["quality"])
    assert summary["top_moments"] == [] and find_moments(table)["measure"] is None
    _, page = read(out, "vid_0017_report.html")
    assert "Moments" not in page.text


def test_measures_only_without_a_face(measures_only):
    out, summaries, _ = measures_only
    _, page = read(out, "vid_0019_report.html")
    assert "No face was found in any of the 80 analysed frames, so there is no facial measure to report." \
        in page.text
    assert page.all("img") == [] and "Facial measures over the video" not in page.text
    assert LEVEL_WORDS.findall(page.text) == []


def test_levels_only_has_no_facial_measures(levels_only):
    out, summaries, tables = levels_only
    summary, table = summaries["vid_0017"], tables["vid_0017"]
    assert "expressivity" not in table and "expressivity_mean" not in summary
    _, page = read(out, "vid_0017_report.html")
    faced = int(table["success"].sum())
    assert f"A face was visible in {percent(faced / len(table))} of the analysed frames ({faced} of " \
           f"{len(table)}); among those frames the level was" in page.text
    assert f"the most likely level is {summary['dominant_level']}" in page.text
    assert "expressivity" not in page.text.replace("Facial measures not computed (--no-measures)", "").lower()
    assert "Facial measures not computed (--no-measures)" in page.text
    assert [attrs["alt"] for attrs in page.all("img")][0] == "level probabilities and level over time"
    assert "Highest expected level" in page.text and "head pose" not in page.text.lower()
    html, index = read(out, "index.html")
    assert re.findall(r"<th[^>]*>([^<]*)</th>", html) == [
        "Video", "Seconds", "Face", "Dominant", "Reserved", "Balanced", "Expressive", "Timeline"]
    assert [attrs["aria-label"] for attrs in index.all("svg")] == ["level timeline"]


def test_the_levels_say_what_the_model_was_trained_on(levels_only, separable_data):
    # The tiny model learnt the hand-made ratings of the separable data set (not the demo's).
    out, summaries, _ = levels_only
    metadata, _ = separable_data
    said = f"the facial_expression ratings in {metadata} (sha256 "
    assert summaries["vid_0017"]["provenance"]["model_trained_on"].startswith(said)
    for name in ("vid_0017_report.html", "index.html"):
        _, page = read(out, name)
        assert f"come from a small image classifier trained on {said}" in page.text
        assert "(RecruitView)" not in page.text  # the note no longer names a data set the model never saw
    _, page = read(out, "vid_0017_report.html")
    assert f"Model trained on {said}" in page.text


def test_a_model_card_from_before_the_training_data_record_says_so(trained_model, demo_dir, tmp_path):
    """Issue 33: a card without "training_data" (cards made before it) claims no human ratings."""
    models = tmp_path / "models"
    shutil.copytree(trained_model.model_path.parent, models)
    card_path = models / trained_model.card_path.name
    card = json.loads(card_path.read_text())
    del card["training_data"]
    card_path.write_text(json.dumps(card))
    model = models / trained_model.model_path.name
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        result = main_output("analyze", demo_dir / "videos" / "vid_0017.mp4", "--out", out, "--html", "--no-progress",
                             "--model", model, "--no-measures", "--every", "4", "--no-figures")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (f"Note: {model}: training data not recorded (its card is older than that record), so what its levels "
            f"stand for is not known; retrain it to record it.") in result.stderr
    for name in ("vid_0017_report.html", "index.html"):
        _, page = read(out, name)
        assert ("come from a small image classifier whose card does not say what it learnt from (training data not "
                "recorded: the card is older than that record)") in page.text
        assert "(RecruitView)" not in page.text and "those raters" not in page.text


def test_a_missing_table_gives_a_report_that_says_so(analysed, tmp_path):
    out, summaries, _ = analysed
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("vid_0001", "vid_0017"):
        shutil.copy(out / f"{name}_summary.json", folder)
    shutil.copy(out / "vid_0017_frames.csv", folder)
    written = write_reports(folder)
    assert [path.name for path in written] == ["vid_0001_report.html", "vid_0017_report.html", "index.html"]
    _, page = read(folder, "vid_0001_report.html")
    assert "The per-frame table (vid_0001_frames.csv) is missing" in page.text
    assert page.all("img") == [] and "vid_0001_frames.csv: not found beside this report" in page.text
    assert "A face was visible in 100% of the analysed frames (40 of 40)" in page.text
    html, index = read(folder, "index.html")
    assert html.count("<svg") == 1  # no table, no sparkline for vid_0001


def test_bad_input_is_one_clear_sentence(analysed, tmp_path):
    out, summaries, tables = analysed
    with pytest.raises(ValueError, match=r"^the per-frame table of vid_0001 has no column level; expected the "
                                         r"NAME_frames.csv written by `expressiveness analyze`.$"):
        write_video_report(summaries["vid_0001"], tables["vid_0001"].drop(columns="level"), tmp_path)
    with pytest.raises(ValueError, match=r"^the per-frame table of vid_0001 has no column expressivity, "
                                         r"expressivity_brows; expected"):
        write_video_report(summaries["vid_0001"], tables["vid_0001"].drop(columns=["expressivity",
                                                                                   "expressivity_brows"]), tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no NAME_summary.json in this folder; run `expressiveness "
                                                r"analyze VIDEOS --out .*` first.$"):
        write_reports(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"gone: folder not found; expected the --out folder"):
        write_reports(tmp_path / "gone")
    with pytest.raises(ValueError, match=r'the summary has neither "name" nor "video"'):
        write_index([{"face_share": 1.0}], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_index_shows_the_usable_share_and_a_dash_for_a_measure_too_few_frames_had(tmp_path):
    """Issue 33, item 9: usable share beside face share; "\u2013" (not a blank) where a clip had too
    few usable frames for a measure (its value is null)."""
    summaries = [{"name": "steady", "duration_s": 2.0, "face_share": 0.9, "usable_share": 0.75,
                  "expressivity_mean": 3.25},
                 {"name": "glimpse", "duration_s": 0.1, "face_share": 0.5, "usable_share": None,
                  "expressivity_mean": None}]
    html = write_index(summaries, tmp_path).read_text()
    assert re.findall(r"<th[^>]*>([^<]*)</th>", html) == ["Video", "Seconds", "Face", "Usable", "Expressivity",
                                                          "Timeline"]
    cells = {name: re.findall(r'<td class="num"([^>]*)>([^<]*)</td>', row) for name, row in
             re.findall(r'href="(\w+)_report.html">.*?</a></td>(.*?)</tr>', html, re.S)}
    assert [text for _, text in cells["steady"]] == ["2.0", "90%", "75%", "3.2%"]
    assert [text for _, text in cells["glimpse"]] == ["0.1", "50%", "\u2013", "\u2013"]
    assert all('data-sort="" title="too few usable frames for this measure"' in attrs for attrs, _ in
               cells["glimpse"][2:])  # sorted last, explained on hover
    assert "\u2013 where a clip had too few usable frames for this measure." in html


def test_sparkline_colours_runs_of_levels_and_leaves_gaps():
    from expressiveness.report.plots import LEVEL_COLORS
    from expressiveness.report.plots_timeline import level_sparkline_svg

    levels = ["Reserved Expression"] * 2 + [""] + ["Expressive"]
    probabilities = [[1, 0, 0], [1, 0, 0], [np.nan] * 3, [0, 0, 1]]
    table = pd.DataFrame(probabilities, columns=["prob_reserved", "prob_balanced", "prob_expressive"])
    table["level"] = levels
    svg = level_sparkline_svg(table, width=40, height=28, bins=4)
    page = Page(svg)
    rects = [(attrs["x"], attrs["width"], attrs["fill"]) for attrs in page.all("rect")][1:]  # after the background
    assert rects == [("0.0", "20.0", LEVEL_COLORS[0]), ("30.0", "10.0", LEVEL_COLORS[2])]
    assert [attrs["points"] for attrs in page.all("polyline")] == ["5.0,19.0 15.0,19.0"]  # expected level 0
    assert [(attrs["cx"], attrs["cy"]) for attrs in page.all("circle")] == [("35.0", "1.0")]  # level 2, alone
