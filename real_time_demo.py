"""Live expressiveness demo: webcam (default camera 0) or a video file, with boxes, levels and FPS.

    python real_time_demo.py                      # camera 0; 'q' or Esc quits
    python real_time_demo.py --camera 1
    python real_time_demo.py --source interview.mp4 --no-display --output annotated.mp4 --csv frames.csv

Options: python real_time_demo.py --help. The work is done by `expressiveness live`.
"""

import sys

from expressiveness.cli import main

if __name__ == "__main__":
    sys.exit(main(["live", *sys.argv[1:]], prog="real_time_demo.py"))
