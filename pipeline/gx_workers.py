"""Great Expectations in worker processes, beside the run's main process (issue 16).

Great Expectations is slow to import (seconds) and runs its expectations in Python,
on one core. Worker processes run the suite beside the main process: `pwb run` starts
one before it imports Dagster, so that GX's import overlaps with the run's own, and
on a large frame two workers share the suite's GX runs (both cores) while the main
process computes the polars twins (pipeline.gx_suite decides what each runs). A
worker is a plain `python -c` child talking pickles over its stdin/stdout (no
multiprocessing: its spawn re-imports the caller's main script); it ends when its
stdin closes, so it never outlives the run's process. The frame reaches it as an
Arrow IPC file in a private temporary folder (pseudonymised rows, as in the store),
removed as soon as GX is done.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

#: The machine's two cores. PWB_GX_WORKERS=0 runs GX in the main process only (the
#: benchmarks compare both; 1 keeps one worker for every frame).
GX_WORKERS = int(os.environ.get("PWB_GX_WORKERS", "2"))
LARGE_DELIVERY_BYTES = 15_000_000  # about 100,000 rows of CSV (validation.PARALLEL_FROM_ROWS)


class WorkerGone(RuntimeError):
    """A worker process ended without an answer (killed, out of memory)."""


class Worker:
    """One GX worker process; one request at a time (the caller holds LOCK)."""

    def __init__(self) -> None:
        import subprocess
        import sys

        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "GX_ANALYTICS_ENABLED": "False",
               "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH"))
                                             if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from pipeline.gx_workers import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def close(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass

    def send(self, *request: Any) -> None:
        import pickle

        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.process.stdin is not None
        self.process.stdin.write(len(data).to_bytes(8, "little") + data)
        self.process.stdin.flush()

    def receive(self) -> Any:
        import pickle

        assert self.process.stdout is not None
        header = self.process.stdout.read(8)
        if len(header) < 8:
            raise WorkerGone()
        status, value = pickle.loads(self.process.stdout.read(int.from_bytes(header, "little")))
        if status == "fout":
            raise value
        return value


def serve() -> None:
    """The worker's loop: import GX, then answer (path, batches, run date) requests."""
    import gc
    import pickle
    import sys

    # GX's import builds ~300,000 objects the cyclic collector would walk again and again
    # (0.4-0.5 s of its 2.7 s); collect once after it and set them aside (gc.freeze)
    gc.disable()
    from pipeline.gx_suite import ValidationMismatch, _worker_task

    reply = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the replies
    import great_expectations  # noqa: F401  (the slow part, done before work arrives)

    gc.freeze()
    gc.enable()

    requests = sys.stdin.buffer
    while len(header := requests.read(8)) == 8:
        path, batches, run_date = pickle.loads(requests.read(int.from_bytes(header, "little")))
        try:
            answer: tuple[str, Any] = ("ok", _worker_task(path, batches, run_date))
        except ValidationMismatch as exc:  # our own: a Dutch message without cell values
            answer = ("fout", exc)
        except Exception as exc:  # a library's message may quote a cell: only its type
            answer = ("fout", ValidationMismatch(f"GX-werkproces: {type(exc).__name__}"))
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        reply.write(len(data).to_bytes(8, "little") + data)
        reply.flush()


workers: list[Worker] = []
LOCK = threading.Lock()  # one validation at a time talks to the workers


def start_gx_workers(count: int = 1) -> None:
    """Start GX worker processes (at most GX_WORKERS) now; they import GX in the background.

    `pwb run` calls this before it imports Dagster (one worker for a small delivery, two
    for a large one); `validate` starts them itself for a large frame.
    """
    with LOCK:
        _exiting[:] = [p for p in _exiting if p.poll() is None]
        for gone in [w for w in workers if w.process.poll() is not None]:
            gone.close()
            workers.remove(gone)
        while len(workers) < min(count, GX_WORKERS):
            workers.append(Worker())


_exiting: list[Any] = []  # stopped workers not yet reaped (GX's own exit takes ~1 s)


def stop_gx_workers() -> None:
    """End the workers: a closed stdin ends a worker's loop. Not waited for (GX's exit
    handlers take a second); reaped at the next start or stop."""
    with LOCK:
        for worker in workers:
            worker.close()
            _exiting.append(worker.process)
        workers.clear()
        _exiting[:] = [p for p in _exiting if p.poll() is None]


def start_gx_workers_for(folder: Path) -> None:
    """Start GX workers for the delivery in `folder`: two for a large one (>= ~100,000
    rows), one otherwise. What `pwb run` calls first, before its own imports."""
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) \
        if folder.is_dir() else 0
    start_gx_workers(GX_WORKERS if size >= LARGE_DELIVERY_BYTES else 1)
