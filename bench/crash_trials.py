"""Prints the crash-resume trial table (the machinery, `testing/crash_trials.py`, the tests drive too)."""

import sys

from testing.crash_trials import main

if __name__ == "__main__":
    sys.exit(main())
