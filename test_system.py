"""Check this installation: Python, packages, MediaPipe face models, face detection on real
footage, face finding over a whole clip (the demo's, or yours with --video), the camera, the
model and its card, and end-to-end speed.

    python test_system.py                 # exit code 0 unless a check FAILs
    python test_system.py --no-camera     # servers and CI
    python test_system.py --model models/my_model.keras
    python test_system.py --video my_interview.mp4   # usable faces in your own clip

The work is done by `expressiveness check`.
"""

import sys

from expressiveness.cli import main

if __name__ == "__main__":
    sys.exit(main(["check", *sys.argv[1:]], prog="test_system.py"))
