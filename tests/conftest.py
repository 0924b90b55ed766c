"""Test-wide settings."""

import os

# Tests run with an explicit pseudonym key (the demo-key warning is tested on its own).
os.environ.setdefault("PWB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
