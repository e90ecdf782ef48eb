"""Drawing on video frames (OpenCV, BGR): a box and level per face, the interviewee's facial
expressivity and strongest blendshapes; and the live demo's window. `expressiveness analyze
--annotate` and `expressiveness live` use these."""

from __future__ import annotations

import numpy as np

from expressiveness.config import LABELS
from expressiveness.report.plots import LEVEL_COLORS


def level_color_bgr(label: str) -> tuple[int, int, int]:
    """OpenCV BGR colour of a level (the same hues as the figures); white for any other label."""
    hex_color = LEVEL_COLORS[LABELS.index(label)] if label in LABELS else "#FFFFFF"
    red, green, blue = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return blue, green, red


def annotate_frame(image: np.ndarray, faces, probabilities, labels=LABELS, info: dict | None = None,
                   fps: float | None = None) -> np.ndarray:
    """A copy of a BGR frame with a box per face, labelled "Balanced Expression: 0.87" in the
    level's colour, and an FPS readout when fps is given."""
    import cv2

    canvas = image.copy()
    for face, face_probabilities in zip(faces, probabilities):
        best = int(np.argmax(face_probabilities))
        label = labels[best]
        color = level_color_bgr(label)
        cv2.rectangle(canvas, (face.x, face.y), (face.x + face.width, face.y + face.height), color, 2)
        text = f"{label}: {face_probabilities[best]:.2f}"
        (width, height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
        top = max(0, face.y - height - baseline - 6)
        cv2.rectangle(canvas, (face.x, top), (face.x + width + 6, top + height + baseline + 6), color, -1)
        cv2.putText(canvas, text, (face.x + 3, top + height + 3), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (255, 255, 255), 2, cv2.LINE_AA)
    if fps is not None:
        cv2.putText(canvas, f"FPS: {fps:.1f}", (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 255, 0), 2, cv2.LINE_AA)
    return canvas


def draw_result(result, labels=LABELS, fps: float | None = None, blendshapes: int = 0) -> np.ndarray:
    """A frames.FrameResult drawn: every face's box and level (annotate_frame), the interviewee's
    facial expressivity when the measures ran, and its `blendshapes` strongest blendshape scores
    (0: none) in a column beside the box."""
    import cv2

    from expressiveness.face import BLENDSHAPE_NAMES

    canvas = annotate_frame(result.frame.image, result.faces, result.probabilities, labels, fps=fps)
    expressivity = result.row.get("expressivity")
    if result.subject is not None and expressivity is not None:
        face = result.faces[result.subject]
        if not len(result.probabilities):  # measures only: the box is not drawn by annotate_frame
            cv2.rectangle(canvas, (face.x, face.y), (face.x + face.width, face.y + face.height), (255, 255, 255), 2)
        text = f"expressivity {expressivity:.1f}%"
        below = min(canvas.shape[0] - 8, face.y + face.height + 22)
        cv2.putText(canvas, text, (face.x, below), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(canvas, text, (face.x, below), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
    landmarks = result.overlay.get("landmarks")
    if blendshapes and result.subject is not None and landmarks is not None:
        face = result.faces[result.subject]
        scores = landmarks.blendshapes
        strongest = [index for index in np.argsort(-scores) if BLENDSHAPE_NAMES[index] != "_neutral"][:blendshapes]
        left = face.x + face.width + 8 if face.x + face.width + 190 < canvas.shape[1] else max(0, face.x - 190)
        panel = canvas[max(0, face.y):face.y + 26 * len(strongest) + 8, left:left + 185]
        panel[:] = (0.45 * panel).astype(panel.dtype)  # darkened, so the text reads on any background
        for line, index in enumerate(strongest):  # the name and score, a bar of the score under them
            top = face.y + 18 + 26 * line
            text = f"{BLENDSHAPE_NAMES[index]} {scores[index]:.2f}"
            cv2.putText(canvas, text, (left + 4, top), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(canvas, text, (left + 4, top), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
            cv2.rectangle(canvas, (left + 4, top + 4), (left + 104, top + 8), (60, 60, 60), -1)
            cv2.rectangle(canvas, (left + 4, top + 4), (left + 4 + int(round(100 * scores[index])), top + 8), (0, 200, 255), -1)
    return canvas


def show_frame(image: np.ndarray, title: str = "Expressiveness (q or Esc quits)") -> bool:
    """Show a BGR frame in a window; False once the viewer pressed q or Esc."""
    import cv2

    cv2.imshow(title, image)
    return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)


def close_windows() -> None:
    """Close the windows show_frame opened."""
    import cv2

    cv2.destroyAllWindows()
