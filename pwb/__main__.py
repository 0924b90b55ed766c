"""`python -m pwb` is `pwb`."""

from pwb.cli import entry

entry()
