import numpy as np
import pytest

from expressiveness.video import UnreadableVideoError, iter_frames, probe_video, sample_indices


def test_probe_demo_clip(demo_dir):
    info = probe_video(demo_dir / "videos" / "vid_0001.mp4")
    assert (info.width, info.height, info.frame_count) == (640, 480, 40)
    assert info.fps == pytest.approx(23.976, abs=0.01)
    assert info.duration_s == pytest.approx(40 / info.fps)


def test_iter_frames_streams_selected_frames_in_order(demo_dir):
    path = demo_dir / "videos" / "vid_0001.mp4"
    every = list(iter_frames(path))
    assert [frame.index for frame in every] == list(range(40))
    picked = list(iter_frames(path, [3, 17, 39]))
    assert [frame.index for frame in picked] == [3, 17, 39]
    assert picked[1].timestamp_s == pytest.approx(17 / probe_video(path).fps)
    assert picked[1].image.shape == (480, 640, 3) and picked[1].image.dtype == np.uint8
    np.testing.assert_array_equal(picked[1].image, every[17].image)


def test_sampling_rules():
    assert sample_indices(10, every=3).tolist() == [0, 3, 6, 9]
    assert sample_indices(100, count=4).tolist() == [12, 37, 62, 87]
    assert sample_indices(3, count=8).tolist() == [0, 1, 2]
    assert sample_indices(90, rate_fps=10, fps=30).tolist() == list(range(0, 90, 3))
    with pytest.raises(ValueError, match="needs exactly one of every, count, rate_fps"):
        sample_indices(10, every=2, count=3)
    with pytest.raises(ValueError, match="expected a whole number >= 1"):
        sample_indices(10, every=0)


def test_missing_file(tmp_path):
    path = tmp_path / "gone.mp4"
    with pytest.raises(FileNotFoundError) as caught:
        probe_video(path)
    assert str(caught.value) == f"{path}: video file not found."


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(UnreadableVideoError) as caught:
        probe_video(path)
    assert str(caught.value) == f"{path}: the file is empty (0 bytes); expected a video such as an MP4."


def test_text_file_renamed_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    with pytest.raises(UnreadableVideoError) as caught:
        list(iter_frames(path))
    assert str(caught.value) == (f"{path}: OpenCV cannot open it as a video (not a video file, truncated, "
                                 f"or an unsupported codec).")


@pytest.mark.parametrize("name, codec, found", [("tone.m4a", "aac", "aac"), ("tone.mp4", "aac", "aac"),
                                                ("tone.wav", "pcm_s16le", "pcm_s16le")])
def test_an_audio_only_file_is_named_as_having_no_video_stream(tmp_path, name, codec, found):
    from broken_videos import ffmpeg

    path = tmp_path / name
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", codec, path)
    for read in (probe_video, lambda video: list(iter_frames(video))):
        with pytest.raises(UnreadableVideoError) as caught:
            read(path)
        assert str(caught.value) == (f"{path}: has no video stream, only audio ({found}); expected a video file "
                                     f"with pictures of the face, such as an MP4.")


def test_truncated_mp4(demo_dir, tmp_path):
    path = tmp_path / "truncated.mp4"
    path.write_bytes((demo_dir / "videos" / "vid_0001.mp4").read_bytes()[:100_000])
    with pytest.raises(UnreadableVideoError, match=rf"^{path}: "):
        probe_video(path)
