"""Full analysis of a data set before training: score distributions and correlations,
facial_expression by question, duration and quality, variance within and between
participants, level balance, a video check, optional face coverage; figures and report.md.

    python analyze_facial_data.py                  # -> reports/report.md
    python analyze_facial_data.py --faces 8 --out reports/full
    python analyze_facial_data.py --no-videos

The work is done by `expressiveness report`.
"""

import sys

from expressiveness.cli import main

if __name__ == "__main__":
    sys.exit(main(["report", *sys.argv[1:]], prog="analyze_facial_data.py"))
