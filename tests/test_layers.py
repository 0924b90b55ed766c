"""Layers: `pipeline/` is free of Dagster and of the Dagster layer; only `pwb/` joins them.

Every module of pipeline/ is imported in a fresh interpreter whose meta-path finder
refuses `dagster` (and its plugins), `assets` and `pwb`: a module that imports one of
them, at import time, fails this test with the module's name.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

BLOCKER = r'''
import importlib, importlib.abc, sys
BLOCKED = ("dagster", "dagster_webserver", "dagster_postgres", "dagster_graphql",
           "assets", "pwb")

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked in pipeline/: {name}")
        return None

sys.meta_path.insert(0, Refuse())
failed = []
for module in sys.argv[1:]:
    try:
        importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - report every module
        failed.append(f"{module}: {type(exc).__name__}: {exc}")
print("\n".join(failed))
sys.exit(1 if failed else 0)
'''


def pipeline_modules() -> list[str]:
    modules = []
    for path in sorted((PROJECT / "pipeline").rglob("*.py")):
        parts = path.relative_to(PROJECT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_pipeline_module_imports_with_dagster_blocked() -> None:
    modules = pipeline_modules()
    assert len(modules) > 30 and "pipeline.ingest" in modules and "pipeline.report" in modules
    done = subprocess.run([sys.executable, "-c", BLOCKER, *modules], capture_output=True,
                          text=True, cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_blocker_does_block(tmp_path: Path) -> None:
    """The test above can fail: a module that imports Dagster does not import."""
    (tmp_path / "leaky.py").write_text("import polars\nfrom dagster import asset\n")
    done = subprocess.run([sys.executable, "-c", BLOCKER, "leaky", "pipeline.years"],
                          capture_output=True, text=True, cwd=PROJECT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1
    assert done.stdout.strip() == "leaky: ImportError: blocked in pipeline/: dagster"


def _imports(path: Path) -> set[str]:
    """Top-level packages a module imports anywhere (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_pwb_joins_the_layers() -> None:
    """No code of pipeline/ imports dagster or assets, not even inside a function; nothing
    of pipeline/ or assets/ imports pwb; in pwb/, only cli.py and driver.py import both."""
    for path in (PROJECT / "pipeline").rglob("*.py"):
        assert not _imports(path) & {"dagster", "assets", "pwb"}, path
    for path in (PROJECT / "assets").rglob("*.py"):
        assert "pwb" not in _imports(path), path
    both = {path.name for path in (PROJECT / "pwb").rglob("*.py")
            if {"pipeline"} <= _imports(path) and _imports(path) & {"dagster", "assets"}}
    assert both <= {"cli.py", "driver.py"}
    assert "driver.py" in both


def test_no_import_cycle_between_agreements_and_indicators() -> None:
    """indicators uses agreements; their shared measures live in pipeline.measures."""
    tree = ast.parse((PROJECT / "pipeline" / "agreements.py").read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "pipeline.measures" in modules and "pipeline.indicators" not in modules
