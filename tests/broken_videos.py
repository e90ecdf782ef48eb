"""Broken and unusual video files made from real demo footage (issue 25), for test_broken_videos.py.

`generate(clip, folder)` cuts a short, small clip from a real demo video and writes, beside it,
well over a hundred damaged or unusual files: truncated at many offsets, bytes flipped in the
header and in the media data, the wrong extension, zero length, one frame, an odd size, 4K,
rotated (display-rotation metadata over sideways-coded frames, as phones record), a variable
frame rate, audio only, and pictures renamed .mp4.

Every random choice (offsets, positions, byte values, frame durations) comes from one
`numpy.random.Generator` seeded with `seed`, and the seed starts every file name
(`s25_truncated_at_012345.mp4`), so the file behind a failure is made again, byte for byte, by
`generate(clip, folder, seed=25)`; the case's own numbers are in its name too.

The files are small and quick to make (0.5 s clips at 320x240, the 4K one three frames): about
two seconds in all, most of it one ffmpeg (imageio-ffmpeg's) call per special case.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SEED = 25  # issue 25; change it to explore, keep it fixed in CI
BASE_FRAMES = 12  # frames of the base clip (0.5 s at 24 fps)
BASE_SIZE = (320, 240)  # width, height of the base clip
FPS = 24
UHD_SCALE, UHD_LEFT = 9, 480  # the 4K case: the base clip 9 times larger (2880x2160), 480 px from the left

# What a file must give: "result" a summary (it is a video), "failure" a recorded status with a
# sentence (it is not one, or nothing of it decodes), "either" one of the two, never a crash.
RESULT, FAILURE, EITHER = "result", "failure", "either"


@dataclass(frozen=True)
class BrokenVideo:
    path: Path
    kind: str  # the case: truncated, flipped_header, wrong_extension, ...
    expect: str  # RESULT, FAILURE or EITHER
    note: str  # what the file is, for failure messages

    @property
    def name(self) -> str:
        return self.path.name


def ffmpeg(*arguments) -> bytes:
    """Run imageio-ffmpeg's ffmpeg quietly; returns what it wrote to stdout (an output "pipe:1");
    raises with its stderr when it fails."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
               *map(str, arguments)]
    result = subprocess.run(command, capture_output=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({' '.join(command)}):\n{result.stderr.decode(errors='replace')}")
    return result.stdout


# Matroska and WebM stamp a random segment id and the date unless asked for the same bytes every time.
BITEXACT = ("-fflags", "+bitexact", "-flags:v", "+bitexact")


def _h264(*output_options) -> list[str]:
    # A keyframe every 4 frames, so that damage in one group of pictures leaves the others decodable.
    return ["-c:v", "libx264", "-preset", "ultrafast", "-g", "4", "-pix_fmt", "yuv420p", *output_options]


def _top_boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    """The top-level MP4 boxes: type -> (offset, size)."""
    boxes, at = {}, 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        if size < 8:
            break
        boxes[data[at + 4:at + 8]] = (at, size)
        at += size
    return boxes


def make_base_clips(clip: Path, folder: Path) -> dict[str, Path]:
    """From a real demo clip: the base MP4 (H.264 with an AAC tone, the index at the front, as
    streaming files have it), the same with its index at the end (as cameras write it), and an
    AVI (MPEG-4 part 2); plus the frames as PNGs, for the cases built frame by frame."""
    folder.mkdir(parents=True, exist_ok=True)
    width, height = BASE_SIZE
    picture = ["-vf", f"scale={width}:{height}", "-frames:v", BASE_FRAMES, "-r", FPS]
    tone = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={BASE_FRAMES / FPS}"]
    bases = {"front": folder / "base_index_front.mp4", "end": folder / "base_index_end.mp4",
             "avi": folder / "base.avi"}
    ffmpeg("-i", clip, *tone, *picture, *_h264(), "-c:a", "aac", "-shortest", "-movflags", "+faststart",
           bases["front"])
    ffmpeg("-i", clip, *picture, *_h264(), bases["end"])
    ffmpeg("-i", clip, *picture, "-c:v", "mpeg4", "-q:v", "5", bases["avi"])
    (folder / "frames").mkdir(exist_ok=True)
    ffmpeg("-i", clip, *picture, folder / "frames" / "%03d.png")
    return bases


def generate(clip: str | Path, folder: str | Path, seed: int = SEED) -> list[BrokenVideo]:
    """Write the broken and unusual files into `folder` (the base clips go to folder/base);
    returns them, well over a hundred. The same clip and seed give the same files."""
    clip, folder = Path(clip), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    bases = make_base_clips(clip, folder / "base")
    frames = sorted((folder / "base" / "frames").glob("*.png"))
    cases: list[BrokenVideo] = []

    def add(name: str, kind: str, expect: str, note: str, data: bytes | None = None) -> Path:
        path = folder / f"s{seed}_{name}"
        if data is not None:
            path.write_bytes(data)
        cases.append(BrokenVideo(path, kind, expect, note))
        return path

    # Truncated. With the index at the front, cut anywhere: the frames before the cut may decode.
    front = bases["front"].read_bytes()
    mdat_at = _top_boxes(front)[b"mdat"][0]
    offsets = {1, 8, 32, mdat_at - 1, mdat_at + 8, len(front) - 1} | set(rng.integers(1, len(front), 40).tolist())
    for offset in sorted(offsets):
        add(f"truncated_at_{offset:06d}.mp4", "truncated", FAILURE if offset <= mdat_at + 8 else EITHER,
            f"the base MP4 ({len(front)} bytes, index at the front) cut to its first {offset} bytes", front[:offset])
    # With the index at the end (as cameras write it), any cut loses the index.
    end = bases["end"].read_bytes()
    for offset in sorted(set(rng.integers(1, len(end), 10).tolist())):
        add(f"truncated_index_end_at_{offset:06d}.mp4", "truncated", FAILURE,
            f"the MP4 with its index at the end ({len(end)} bytes) cut to its first {offset} bytes", end[:offset])
    # Fragmented (an index per fragment: what a recorder that may crash writes), whole and cut.
    fragmented = ffmpeg("-i", bases["front"], "-c", "copy", "-movflags", "frag_keyframe+empty_moov", "-f", "mp4",
                        "pipe:1")
    add("fragmented.mp4", "fragmented", RESULT, "a fragmented MP4 (an index per fragment)", fragmented)
    for offset in sorted(set(rng.integers(len(fragmented) // 4, len(fragmented), 6).tolist())):
        add(f"fragmented_truncated_at_{offset:06d}.mp4", "truncated", EITHER,
            f"the fragmented MP4 ({len(fragmented)} bytes) cut to its first {offset} bytes", fragmented[:offset])

    # Bytes flipped (XOR with a random non-zero byte) in the header (ftyp + moov) and in the media data.
    for region, (low, high) in (("header", (0, mdat_at)), ("middle", (mdat_at + 8, len(front)))):
        for position in sorted(set(rng.integers(low, high, 20).tolist())):
            mask = int(rng.integers(1, 256))
            damaged = bytearray(front)
            damaged[position] ^= mask
            add(f"flipped_{region}_at_{position:06d}_x{mask:02x}.mp4", f"flipped_{region}", EITHER,
                f"the base MP4 with byte {position} XOR 0x{mask:02x}", bytes(damaged))
    # A header that declares billions of frames (the video's sample count), for 12 in the file.
    inflated = bytearray(front)
    at = front.index(b"stts") + 12  # version and flags, entry count, then the first entry's sample count
    inflated[at:at + 4] = (0xFFFFFFF0).to_bytes(4, "big")
    add("declares_4294967280_frames.mp4", "frame_count", RESULT,
        f"the base MP4 whose header declares 4294967280 frames for its {BASE_FRAMES}", bytes(inflated))

    # The wrong extension: decoders look at the content.
    add("mp4_named.avi", "wrong_extension", RESULT, "an H.264 MP4 named .avi", front)
    add("avi_named.mp4", "wrong_extension", RESULT, "an MPEG-4 part 2 AVI named .mp4", bases["avi"].read_bytes())
    add("mpegts_named.mp4", "wrong_extension", RESULT, "an MPEG transport stream named .mp4",
        ffmpeg("-i", bases["front"], "-c", "copy", "-f", "mpegts", "pipe:1"))
    # Streamed, as a browser records (MediaRecorder): no duration, so no frame count, in the header.
    add("streamed.webm", "streamed", RESULT, "a streamed VP8 WebM (no duration in its header)",
        ffmpeg("-i", bases["front"], "-c:v", "libvpx", "-deadline", "good", "-cpu-used", 5, "-threads", 1, "-an",
               *BITEXACT, "-f", "webm", "pipe:1"))
    add("streamed.mkv", "streamed", RESULT, "a streamed H.264 Matroska file (no duration in its header)",
        ffmpeg("-i", bases["front"], "-c:v", "copy", "-an", *BITEXACT, "-f", "matroska", "pipe:1"))
    add("zero_length.mp4", "zero_length", FAILURE, "an empty file (0 bytes)", b"")

    # One frame; an odd size; 4K (three frames).
    width = BASE_SIZE[0]
    ffmpeg("-i", bases["front"], "-frames:v", 1, *_h264(), "-an",
           add("one_frame.mp4", "one_frame", RESULT, "a single frame"))
    ffmpeg("-i", bases["front"], "-vf", "scale=641:479", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv444p", "-an", add("odd_size_641x479.mp4", "odd_size", RESULT,
                                             "641x479 H.264 (4:4:4: 4:2:0 needs even sizes)"))
    ffmpeg("-i", bases["front"], "-frames:v", 3, "-vf", f"scale={UHD_SCALE * width}:2160,pad=3840:2160:{UHD_LEFT}:0",
           *_h264(), "-an", add("uhd_3840x2160.mp4", "uhd", RESULT, "three 3840x2160 frames (the clip 9 times, "
                                                                         "its aspect kept)"))

    # Rotated: frames coded sideways with display-rotation metadata that stands them up (phones),
    # and frames coded sideways without it (a camera on its side).
    sideways = folder / "base" / "sideways.mp4"
    ffmpeg("-i", bases["front"], "-vf", "transpose=clock", *_h264(), "-an", sideways)
    ffmpeg("-display_rotation", 90, "-i", sideways, "-c", "copy",
           add("rotated_metadata_90.mp4", "rotated", RESULT, "frames coded sideways, display rotation 90 degrees"))
    add("sideways_no_metadata.mp4", "sideways", RESULT, "frames coded sideways, no rotation metadata",
        sideways.read_bytes())

    # A variable frame rate: each frame lasts a random whole number of 1/25 s (the concat
    # demuxer's time base for pictures), so its presentation times are known exactly.
    ticks = rng.integers(1, 6, len(frames))
    listing = folder / "base" / "vfr.txt"
    listing.write_text("".join(f"file '{frame}'\nduration {tick / 25}\n" for frame, tick in zip(frames, ticks)))
    ffmpeg("-f", "concat", "-safe", 0, "-i", listing, *_h264(), "-fps_mode", "vfr",
           add(f"variable_frame_rate_{'-'.join(map(str, ticks))}.mp4", "variable_frame_rate", RESULT,
               f"{len(frames)} frames lasting {', '.join(str(tick) for tick in ticks)} 25ths of a second"))

    # Audio only: a tone in an MP4 and an M4A.
    for suffix in ("mp4", "m4a"):
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac",
               add(f"audio_only.{suffix}", "audio_only", FAILURE, f"an AAC tone in an .{suffix}, no video"))

    # Pictures renamed .mp4.
    image = cv2.imread(str(frames[0]))
    for suffix in ("png", "jpg"):
        encoded = cv2.imencode(f".{suffix}", image)[1]
        add(f"{suffix}_picture_named.mp4", "picture", FAILURE, f"a {suffix.upper()} picture named .mp4",
            encoded.tobytes())
    return cases


def variable_frame_times(case: BrokenVideo) -> list[float]:
    """The presentation times (s) of the variable-frame-rate case's frames, from its name."""
    ticks = [int(tick) for tick in case.path.stem.rsplit("_", 1)[1].split("-")]
    return [sum(ticks[:index]) / 25 for index in range(len(ticks))]
