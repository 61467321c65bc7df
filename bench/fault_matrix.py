"""Prints the HTTP fault matrix: the machinery is `testing/fault_matrix.py`, which the tests drive too."""

import sys

from testing.fault_matrix import main

if __name__ == "__main__":
    sys.exit(main())
