"""The pre-pass of subject.py for a video with several persons in view, and the choice of its subject.

`find_persons` reads the frames the analysis will read (and the reference sample's) once: the
detector and a PersonTracker on every one, and, when the speaker may be asked, the face
landmarker (as many faces as the sample showed) on about PRE_PASS_FPS frames a second, while
the sound's voice activity runs in its child process (audio/vad.py) and its loudness is read
(audio/loudness.py). `choose` applies the rule (subject.py's docstring) and records why.
"""

from __future__ import annotations

import math

import numpy as np

from expressiveness.errors import SubjectError
from expressiveness.face import box_iou
from expressiveness.face.persons import PersonTracker
from expressiveness.pipeline.subject import (MIN_SPEECH_S, MIN_SYNCHRONY_READINGS, PRE_PASS_FPS, FoundPersons,
                                             pack_faces)

MIN_LANDMARK_IOU = 0.3  # a landmark box and a detector box are one face (engine.MIN_SUBJECT_IOU)
INNER_LIPS = (13, 14)  # face mesh: the middle of the upper and of the lower inner lip


def mouth_opening(face) -> float:
    """The gap between the inner lips over the inter-ocular distance (0 closed, about 0.2-0.5 wide
    open). Not the jawOpen blendshape: on the demo footage it stayed below 0.005 while the lips
    parted by 0.07 inter-ocular distances, a movement the gap shows."""
    from expressiveness.measures.geometry import inter_ocular_distance

    upper, lower = (face.points[index, :2] for index in INNER_LIPS)
    return float(np.linalg.norm(upper - lower) / max(inter_ocular_distance(face.points), 1e-6))


def _frame_indices(info, every: int) -> np.ndarray | None:
    """The analysed frames and the reference sample's, in order (None: every frame)."""
    from expressiveness.pipeline.scorers import REFERENCE_SAMPLE_FRAMES
    from expressiveness.video import sample_indices

    if every == 1:
        return None
    sample = sample_indices(info.frame_count, count=REFERENCE_SAMPLE_FRAMES)
    return np.union1d(sample_indices(info.frame_count, every=every), sample)


def find_persons(path, info, analyzer, with_mouths: bool, job=None) -> FoundPersons:
    """Every person of the video, tracked over the frames the analysis will read (see the module).
    with_mouths: also each person's mouth opening and the sound's loudness, for the speaker rule;
    job: the video's voice-activity child, already running (None with --no-audio: sound "off")."""
    from expressiveness.audio import OK, PARTIAL, probe_sound
    from expressiveness.face import FaceLandmarker
    from expressiveness.video import decode_ahead, iter_frames

    sound = {} if not with_mouths else {"status": "off"} if job is None else {"status": probe_sound(path).status}
    readable = sound.get("status") in (OK, PARTIAL)
    most = max(2, max((len(faces) for faces in analyzer._found.values()), default=2))
    landmarker = FaceLandmarker(tracking="image", max_faces=most) if readable else None
    tracker, known, mouths, shape = PersonTracker(), {}, {}, ()
    detector = analyzer.detector
    frames = ((frame, detector.detect(frame.image))
              for frame in iter_frames(path, _frame_indices(info, analyzer.options.every), info))
    next_s = -math.inf
    try:
        for frame, faces in decode_ahead(frames, 4):
            ids = tracker.update(frame.index, frame.timestamp_s, faces, frame.image)
            shape = frame.image.shape
            known[frame.index] = (pack_faces(faces), np.array(ids, np.int32))
            if landmarker is not None and faces and frame.timestamp_s >= next_s:
                next_s = max(next_s + 1 / PRE_PASS_FPS, frame.timestamp_s - 0.5 / PRE_PASS_FPS)
                for face in landmarker.detect(frame.image):
                    overlaps = [box_iou(face.box, found.corners) for found in faces]
                    best = int(np.argmax(overlaps))
                    if overlaps[best] >= MIN_LANDMARK_IOU:
                        mouths.setdefault(ids[best], []).append((frame.timestamp_s, mouth_opening(face)))
    finally:
        if landmarker is not None:
            landmarker.close()
    if readable:
        from expressiveness.audio.loudness import window_power

        power, start_s, status = window_power(path)
        try:  # the same child the main pass collects later (result() can be read twice)
            activity = job.result(timeout=120 + 2 * info.duration_s)
        except TimeoutError:
            sound.update(status="failed")
        else:
            sound.update(status=status, start_s=start_s, power=power, activity=activity)
    return FoundPersons(tracker.summary(), known, mouths, sound, shape)


def synchrony(readings: list[tuple[float, float]], sound: dict) -> float | None:
    """Pearson correlation in [-1, 1] of a person's mouth_opening readings with the sound's loudness in
    dB over each reading's 1 / PRE_PASS_FPS interval, over the readings with speech (voice
    activity >= SPEECH_THRESHOLD; all readings when fewer than MIN_SYNCHRONY_READINGS have it).
    None without sound, or with fewer readings than that, or no variation."""
    from expressiveness.audio import SPEECH_THRESHOLD, frame_speech
    from expressiveness.audio.loudness import loudness_db

    if "power" not in sound or len(readings) < MIN_SYNCHRONY_READINGS:
        return None
    times_s, opening = (np.array(values) for values in zip(*readings))
    loudness = loudness_db(sound["power"], sound["start_s"], times_s, 1 / PRE_PASS_FPS)
    activity = sound["activity"]
    speech = frame_speech(times_s, activity.probabilities, activity.start_s, activity.window_s, 1 / PRE_PASS_FPS)
    heard = np.isfinite(loudness)
    kept = heard & (speech >= SPEECH_THRESHOLD)
    if kept.sum() < MIN_SYNCHRONY_READINGS:
        kept = heard
    if kept.sum() < MIN_SYNCHRONY_READINGS or np.std(opening[kept]) == 0 or np.std(loudness[kept]) == 0:
        return None
    return round(float(np.corrcoef(opening[kept], loudness[kept])[0, 1]), 4)


def speech_seconds(sound: dict) -> float:
    """Seconds of the sound whose voice activity is at or above SPEECH_THRESHOLD."""
    from expressiveness.audio import SPEECH_THRESHOLD

    activity = sound.get("activity")
    if activity is None:
        return 0.0
    return float((activity.probabilities >= SPEECH_THRESHOLD).sum() * activity.window_s)


def _largest(found: FoundPersons, candidates) -> int:
    return max(candidates, key=lambda person: (person.median_box[2] * person.median_box[3], -person.person)).person


def _central(found: FoundPersons, candidates) -> int:
    height, width = found.frame_shape[:2]

    def distance(person):
        x, y, box_width, box_height = person.median_box
        return math.hypot(x + box_width / 2 - width / 2, y + box_height / 2 - height / 2), person.person
    return min(candidates, key=distance).person


def choose(rule, found: FoundPersons, path) -> dict:
    """The subject by `rule` among the persons found: {"rule", "used", "fallback" (why the rule
    used is not the one asked, or None), "person", "synchrony" {id: score}, "speech_s"}. Raises
    SubjectError for a person id the video does not have."""
    summary = found.summary
    persons = summary.persons
    if isinstance(rule, int):
        if rule not in {person.person for person in persons}:
            seen = ", ".join(f"{person.person} ({person.seconds_in_view:.1f} s)" for person in persons) or "none"
            raise SubjectError(f"--subject {rule}: {path} has no person {rule}; the persons found are {seen}.")
        return {"rule": rule, "used": rule, "fallback": None, "person": rule}
    candidates = [person for person in persons if person.in_view] or \
        ([max(persons, key=lambda person: person.frames)] if persons else [])
    if not candidates:
        return {"rule": rule, "used": "largest", "fallback": "no face in the video", "person": None}
    scores = {person.person: synchrony(found.mouths.get(person.person, []), found.sound) for person in candidates}
    speech_s = speech_seconds(found.sound)
    used, fallback = rule, None
    if rule in ("auto", "speaker"):
        status = found.sound.get("status")
        if len(candidates) < 2:
            fallback = "one person in view"
        elif status not in ("ok", "partial"):
            fallback = {"no_audio": "the video has no sound", "off": "the sound is off (--no-audio)",
                        "failed": "voice activity did not finish"}.get(status, f"the sound cannot be read ({status})")
        elif speech_s < MIN_SPEECH_S:
            fallback = f"{speech_s:.1f} s of speech in the sound, fewer than {MIN_SPEECH_S:g} s"
        elif all(score is None for score in scores.values()):
            fallback = "no mouth readings to compare with the sound"
        used = "largest" if fallback else "speaker"
        if fallback and rule == "auto":
            fallback = f"auto: {fallback}"
    if used == "speaker":
        person = max(scores, key=lambda key: (-math.inf if scores[key] is None else scores[key], -key))
    elif used == "center":
        person = _central(found, candidates)
    else:
        person = _largest(found, candidates)
    return {"rule": rule, "used": used, "fallback": fallback, "person": person,
            "synchrony": {key: value for key, value in scores.items() if value is not None},
            "speech_s": round(speech_s, 2) if found.sound else None}
