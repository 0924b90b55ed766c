"""Test-wide settings."""

import atexit
import os
import shutil
import tempfile

# Tests run with an explicit pseudonym key (the demo-key warning is tested on its own).
os.environ.setdefault("PWB_PSEUDONYM_KEY", "test-key-0123456789abcdef")

# Runs in tests never write into the project's Dagster instance (.dagster/home, the default
# of pwb run/demo/serve) or asset store: both default to a scratch folder of the session.
_SCRATCH = tempfile.mkdtemp(prefix="pwb-tests-")
atexit.register(shutil.rmtree, _SCRATCH, True)
os.environ.setdefault("DAGSTER_HOME", os.path.join(_SCRATCH, "dagster-home"))
os.environ.setdefault("PWB_STORE", os.path.join(_SCRATCH, "store"))
