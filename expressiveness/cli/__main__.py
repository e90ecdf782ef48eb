"""`python -m expressiveness.cli` runs the command line, as the `expressiveness` script does."""

import sys

from . import main

sys.exit(main())
