"""VideoWriter: real frames from the demo footage, encoded by the bundled ffmpeg and read back."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import count_decodable_frames
from expressiveness.video import VideoWriter, iter_frames, probe_video


def stream_line(path) -> str:
    """The "Video:" line ffmpeg prints for a file (what ffprobe would report)."""
    import imageio_ffmpeg

    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                            capture_output=True, text=True)
    return next(line for line in result.stderr.splitlines() if "Video:" in line)


def test_writes_h264_yuv420p_that_reads_back(demo_dir, tmp_path):
    source = demo_dir / "videos" / "vid_0001.mp4"
    frames = [frame.image for frame in iter_frames(source)]
    out = tmp_path / "clip.mp4"
    with VideoWriter(out, fps=24.0) as writer:
        for image in frames:
            writer.write(image)
    assert writer.codec == "h264" and writer.frames_written == len(frames) == 40
    line = stream_line(out)
    assert "Video: h264" in line and "yuv420p" in line
    info = probe_video(out)
    assert (info.width, info.height, info.fps) == (640, 480, 24.0)
    assert count_decodable_frames(out) == 40
    decoded = next(iter(iter_frames(out, [20]))).image
    assert np.abs(decoded.astype(int) - frames[20].astype(int)).mean() < 6  # lossy, but the same picture
    assert [path.name for path in tmp_path.iterdir()] == ["clip.mp4"]  # no temporary file left


def test_odd_size_is_padded_to_even(face_frame, tmp_path):
    out = tmp_path / "odd.mp4"
    with VideoWriter(out, fps=10) as writer:
        for _ in range(3):
            writer.write(face_frame[:-1, :-3])
    assert writer.size == (637, 479)
    info = probe_video(out)
    assert (info.width, info.height) == (638, 480)


def test_an_error_inside_the_block_leaves_no_file(face_frame, tmp_path):
    out = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(out, fps=10) as writer:
            writer.write(face_frame)
            raise RuntimeError("analysis failed")
    assert list(tmp_path.iterdir()) == []


def test_no_frame_writes_no_file(tmp_path):
    with VideoWriter(tmp_path / "empty.mp4", fps=10) as writer:
        pass
    assert writer.frames_written == 0 and list(tmp_path.iterdir()) == []


def test_bad_input_is_one_clear_sentence(face_frame, tmp_path):
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        VideoWriter(tmp_path / "nowhere" / "a.mp4", fps=10)
    with pytest.raises(ValueError, match=r"fps is 0; expected a positive number"):
        VideoWriter(tmp_path / "a.mp4", fps=0)
    with pytest.raises(ValueError, match=r"frame 1 is 320x240; expected 640x480, the size of the first frame"):
        with VideoWriter(tmp_path / "a.mp4", fps=10) as writer:
            writer.write(face_frame)
            writer.write(face_frame[:240, :320])
    with pytest.raises(ValueError, match=r"dtype float64 and shape \(4, 4\); expected BGR uint8"):
        with VideoWriter(tmp_path / "a.mp4", fps=10) as writer:
            writer.write(np.zeros((4, 4)))
    assert list(tmp_path.iterdir()) == []


def test_without_imageio_ffmpeg_falls_back_to_mp4v_with_a_warning(face_frame, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails as if not installed
    out = tmp_path / "fallback.mp4"
    with pytest.warns(UserWarning, match="imageio-ffmpeg is not installed.*'mp4v'"):
        writer = VideoWriter(out, fps=10)
    with writer:
        for _ in range(5):
            writer.write(face_frame)
    assert writer.codec == "mp4v"
    assert count_decodable_frames(out) == 5
    monkeypatch.undo()
    assert "Video: mpeg4" in stream_line(out)


def test_the_temporary_file_is_one_the_stale_cleanup_knows(face_frame, tmp_path):
    """A run killed mid-video leaves its .STEM.HOST.PID.tmp.mp4; the next run's cleanup
    (remove_stale_temporaries) recognises it by name and removes it once its process is dead."""
    from expressiveness._io import _TEMPORARY, remove_stale_temporaries

    import time

    writer = VideoWriter(tmp_path / "clip.mp4", fps=10)
    writer.write(face_frame)
    deadline = time.monotonic() + 30
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:  # ffmpeg creates it as it starts
        time.sleep(0.05)
    [temporary] = [path for path in tmp_path.iterdir()]
    match = _TEMPORARY.match(temporary.name)
    assert match is not None and int(match["pid"]) == __import__("os").getpid(), temporary.name
    assert remove_stale_temporaries(tmp_path) == []  # this process is alive: its file stays
    writer.abort()
    dead = temporary.with_name(temporary.name.replace(f".{match['pid']}.", ".999999999."))
    dead.write_bytes(b"left by a killed run")
    assert remove_stale_temporaries(tmp_path) == [dead] and list(tmp_path.iterdir()) == []


def test_ffmpeg_dying_mid_video_is_one_sentence_and_leaves_no_file(tmp_path):
    """A file-size limit (as a full disk) kills the encoder after a few hundred kB: the writer says
    which video and at which frame, in one line, and leaves neither the video nor a temporary."""
    script = (
        "import resource, sys\nimport numpy as np\nfrom expressiveness.video import VideoWriter\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))\n"
        "noise = np.random.default_rng(0).integers(0, 256, (200, 48, 64, 3), dtype=np.uint8)\n"
        "try:\n"
        f"    with VideoWriter({str(tmp_path / 'big.mp4')!r}, fps=10, crf=0) as writer:\n"
        "        for image in noise:\n"
        "            writer.write(np.kron(image, np.ones((8, 8, 1), np.uint8)))\n"
        "except OSError as error:\n"
        "    print(error)\n"
        "    sys.exit(3)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith(f"{tmp_path / 'big.mp4'}: ffmpeg ") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
