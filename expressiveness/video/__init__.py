"""Video: reading files (probe, sampling, decoder timestamps, frames), the camera, and writing
annotated MP4s. The job's public names, re-exported."""

from expressiveness.video.camera import iter_camera
from expressiveness.video.reading import (DECODE_AHEAD, Frame, VideoInfo, decode_ahead, iter_frames, probe_video,
                                          sample_indices)
from expressiveness.video.writing import VideoWriter
from expressiveness.errors import CameraError, UnreadableVideoError

__all__ = ["DECODE_AHEAD", "CameraError", "Frame", "UnreadableVideoError", "VideoInfo", "VideoWriter", "decode_ahead",
           "iter_camera", "iter_frames", "probe_video", "sample_indices"]
