"""Fast statistics of a RecruitView metadata.jsonl, in seconds, without decoding video:
facial_expression statistics, candidate cut points (tertiles) beside the default, level balance.

    python quick_analysis.py                       # first 500 records of FYP/RecruitView_Data/metadata.jsonl
    python quick_analysis.py --all --metadata path/to/metadata.jsonl
    python quick_analysis.py --json

The work is done by `expressiveness stats`.
"""

import sys

from expressiveness.cli import main

if __name__ == "__main__":
    sys.exit(main(["stats", *sys.argv[1:]], prog="quick_analysis.py"))
