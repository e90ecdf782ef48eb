"""Bad sound through a whole `analyze` run (pipeline/speech.py, results_folder.RunReport): each
kind the issue names gets its recorded audio status and notes, the video is still analysed, the
batch goes on, and the console says once per video when its sound could not be used. Clips are
3 s of the demo footage at 320x180, every 6th frame analysed: only the sound matters here."""

import random
import re
import subprocess

import pytest

from audio_material import face_footage, track_with_speech_at, write_wav
from expressiveness.audio.reading import ffmpeg_exe

PICTURE_S = 3.0


def ffmpeg(*arguments):
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *map(str, arguments)], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.run import AnalysisRun

    folder = tmp_path_factory.mktemp("speech_inputs")
    videos = folder / "videos"
    videos.mkdir()
    picture = folder / "picture.mp4"
    ffmpeg("-i", face_footage(folder), "-t", PICTURE_S, "-vf", "scale=320:180", "-an", "-c:v", "libx264",
           "-preset", "ultrafast", picture)
    speech = write_wav(folder / "speech.wav", track_with_speech_at(0.5, 7.0))

    def mux(name, *sound, codec=("-c:a", "aac")):
        ffmpeg("-i", picture, *sound, "-map", "0:v", "-c:v", "copy", *codec, videos / name)

    ffmpeg("-i", picture, "-c", "copy", videos / "no_audio.mp4")
    mux("two_streams.mp4", "-i", speech, "-f", "lavfi", "-t", PICTURE_S, "-i", "sine=f=220", "-map", "1:a", "-map",
        "2:a", "-shortest")
    mux("surround.mp4", "-i", speech, "-map", "1:a", "-af", "pan=5.1(side)|FC=c0|FL=0.5*c0|FR=0.5*c0", "-shortest",
        codec=("-c:a", "aac", "-ar", "48000"))
    mux("late.mp4", "-itsoffset", 1.0, "-t", 1.5, "-i", speech, "-map", "1:a")
    mux("short.mp4", "-t", 1.5, "-i", speech, "-map", "1:a")
    mux("long.mp4", "-i", speech, "-map", "1:a")  # 7 s of sound on 3 s of picture
    avi = folder / "pcm.avi"
    ffmpeg("-i", picture, "-i", speech, "-map", "0:v", "-map", "1:a", "-c:v", "mjpeg", "-c:a", "pcm_s16le",
           "-shortest", avi)
    data = bytearray(avi.read_bytes())
    tag = data.find(b"strf", data.find(b"auds")) + 8
    data[tag:tag + 2] = b"\x99\x99"  # a WAVEFORMATEX tag no decoder knows
    (videos / "unknown_codec.avi").write_bytes(bytes(data))
    # Damaged halfway: random bytes over the audio packets of the second half of a WAV-in-MKV
    # (PCM, so each damaged packet is an error and the rest still decodes).
    ffmpeg("-i", picture, "-i", speech, "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "mp3", "-shortest",
           folder / "damaged_source.mkv")
    data = bytearray((folder / "damaged_source.mkv").read_bytes())
    generator = random.Random(1)
    for index in range(int(len(data) * 0.5), int(len(data) * 0.8)):
        data[index] = generator.randrange(256)
    (videos / "damaged.mkv").write_bytes(bytes(data))
    analysis = AnalysisRun(folder / "out", None, AnalysisOptions(every=6))
    report = analysis.analyze([videos], progress=False)
    return {summary["name"]: summary for summary in report.summaries}, report


def test_every_bad_sound_is_a_status_and_the_batch_goes_on(run):
    summaries, report = run
    names = {"no_audio", "two_streams", "surround", "late", "short", "long", "unknown_codec"}
    assert names <= set(summaries), report.failures
    status = {name: summaries[name]["audio"]["status"] for name in summaries}
    assert status["no_audio"] == "no_audio" and status["unknown_codec"] == "undecodable"
    assert all(status[name] == "ok" for name in ("two_streams", "surround", "late", "short", "long"))
    notes = {name: " ".join(summaries[name]["audio"]["notes"]) for name in summaries}
    assert "2 audio streams; the first (aac) is used" in notes["two_streams"]
    assert "(5.1, 48000 Hz) is mixed down to mono" in notes["surround"]
    late_s = re.search(r"The sound starts ([\d.]+) s after the picture", notes["late"])
    assert late_s and float(late_s.group(1)) == pytest.approx(1.0, abs=0.1)  # less the AAC priming
    assert "ends 1.5" in notes["short"] and "before the picture" in notes["short"]
    assert "runs" in notes["long"] and "past the picture" in notes["long"]
    assert "FFmpeg cannot decode the sound" in notes["unknown_codec"]
    if "damaged" in summaries:  # whatever FFmpeg makes of it, a status and the frames analysed
        assert summaries["damaged"]["audio"]["status"] in ("ok", "partial", "undecodable")
    for summary in summaries.values():
        assert summary["frames_analyzed"] > 0 and summary["expressivity_mean"] is not None


def test_speech_placed_late_is_speaking_at_its_time(run):
    summaries, _ = run
    late = summaries["late"]
    assert late["speech_split"]["status"] == "ok" and late["audio"]["speech_s"] > 0.5


def test_the_console_says_it_once_per_video_without_usable_sound(run):
    summaries, report = run
    notes = [line for line in report.warnings() if line.startswith("note: ")]
    assert sorted(line.split(": ")[1].rsplit("/", 1)[-1] for line in notes) == sorted(
        summaries[name]["video"].rsplit("/", 1)[-1] for name in summaries
        if summaries[name]["audio"]["status"] not in ("ok",))
    assert any(line.endswith("no_audio.mp4: no sound (the video has no audio stream): speech and speaking are empty "
                             "and the measures are not split.") for line in notes)
