"""`python -m pwb` is `pwb`."""

import sys

from pwb.cli import main

sys.exit(main())
