"""The persons a video showed, in its report: the sentence that says a second person was in view,
and a card per person in view (a face picture at its thumbnail time, seconds and share in view,
the one measured marked), from the summary's `subject` (pipeline/subject.py)."""

from __future__ import annotations

from pathlib import Path

MAX_CARDS = 12  # persons shown with a picture (a crowd's others are counted in the sentence)


def persons_sentences(summary: dict) -> list[str]:
    """What "In brief" says when a second person was in view: who was measured, by which rule."""
    subject = summary.get("subject") or {}
    return [subject["note"]] if subject.get("status") == "several_persons" and subject.get("note") else []


def person_cards(summary: dict, video_path: str | Path | None) -> list[dict]:
    """One card per person in view when several were, in id order: {"id", "seconds_in_view",
    "share", "measured", "thumbnail" (a JPEG data URI, or None when the video cannot be read)}.
    [] with one person in view or none."""
    from expressiveness.report.pages import face_thumbnails

    subject = summary.get("subject") or {}
    if subject.get("status") != "several_persons":
        return []
    cards = []
    for person in [person for person in subject.get("persons", []) if person.get("in_view")][:MAX_CARDS]:
        x, y, width, height = person["median_box"]
        frame = person.get("thumbnail_frame")
        picture = None
        if video_path is not None and frame is not None:
            row = {"frame": frame, "face_x": x, "face_y": y, "face_width": width, "face_height": height}
            picture = face_thumbnails(video_path, [row]).get(int(frame))
        cards.append({"id": person["id"], "seconds_in_view": person["seconds_in_view"], "share": person["share"],
                      "measured": person["id"] == subject.get("person"), "thumbnail": picture})
    return cards
