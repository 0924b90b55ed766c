"""The run driver: materialise the whole asset graph for one reporting year, in-process.

Why here, outside `pipeline/`: this is the one place (with `pwb.cli`) that imports both
the domain library and Dagster. Every run is recorded in the project's Dagster instance
(`dagster_home()`), the same one `pwb serve` shows, so the UI lists what ran.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
# Exceptions of pwb whose messages are Dutch and never hold a cell value.
DUTCH_ERRORS = {"RunLocked", "ReferenceError", "AccountingError", "FileRejected",
                "NoRegistrations", "EmptyYear", "KeyMismatch"}


def dagster_home() -> Path:
    """The one Dagster instance of `pwb run`, `pwb demo` and `pwb serve`.

    $DAGSTER_HOME when set (e.g. the shared PostgreSQL instance of deploy/), else
    .dagster/home in the project (SQLite). A new home gets a dagster.yaml that switches
    telemetry off (the project runs offline) and the UI's newsletter pop-up; an existing
    one is used as it is.
    """
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT / ".dagster" / "home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n",
                          encoding="utf-8")
    return home


def run_year(input_dir: Path, year: int, out_dir: Path, reference_dir: Path | None = None,
             *, synthetic: bool = False, lang: str = "nl", run_date=None,
             progress: Callable[[str, str], None] | None = None) -> dict:
    """Materialise the whole graph for one year, in-process; return results.json's content.

    The run is recorded in the instance of `dagster_home()`; its dagster.yaml decides the
    storage. The report is Dutch; ``lang='en'`` adds rapport.en.html. `progress(kind,
    text)` hears every step start ('start') and end ('klaar', 'fout'), and the messages
    of the assets ('info': e.g. one line per file read; 'let op': a warning), in Dutch.
    """
    from pipeline.gx_workers import start_gx_workers_for  # light: no polars yet

    start_gx_workers_for(input_dir)  # GX imports in its worker while Dagster imports here
    imports = ImportPhase()
    try:
        return _run_year(imports, input_dir, year, out_dir, reference_dir,
                         synthetic=synthetic, lang=lang, run_date=run_date, progress=progress)
    finally:
        imports.done()


#: Set by the `pwb` command (pwb.cli.entry) for its own process: the run's imports are
#: set aside from the garbage collector (ImportPhase). Never in a process that runs many
#: runs (the tests): objects set aside are never collected as cycles.
SET_ASIDE_IMPORTS = False


class ImportPhase:
    """Dagster, scipy, matplotlib and the storage modules build ~300,000 objects while they
    are imported; the cyclic garbage collector walks them again at every full collection
    (measured: 0.5 s of the 2.4 s the imports take, and ~0.1 s per collection after).
    In the `pwb` command's own process the collector pauses while they are imported and
    they are set aside once imported (`gc.freeze`); objects made later are collected as
    always."""

    def __init__(self) -> None:
        global SET_ASIDE_IMPORTS
        self.active = SET_ASIDE_IMPORTS and gc.isenabled()
        SET_ASIDE_IMPORTS = False  # once per process: a second run imports nothing new
        if self.active:
            gc.disable()

    def done(self) -> None:
        if self.active:
            self.active = False
            gc.freeze()
            gc.enable()


def _run_year(imports: ImportPhase, input_dir: Path, year: int, out_dir: Path,
              reference_dir: Path | None, *, synthetic: bool, lang: str, run_date,
              progress: Callable[[str, str], None] | None) -> dict:
    from dagster import DagsterInstance, materialize

    from assets.definitions import ASSETS, resources, storage_dir
    from assets.resources import PwbSettings
    from pipeline.lock import year_lock
    from pwb.sqlite_storage import engines_kept, quick_sqlite_commits

    settings = PwbSettings(input_dir=str(input_dir.resolve()), out_dir=str(out_dir.resolve()),
                           reference_dir=str(reference_dir.resolve()) if reference_dir else None,
                           synthetic=synthetic,
                           run_date=run_date.isoformat() if run_date else None)
    # The run's own store lock (assets.locking), taken here first so that a year held by
    # another run is refused with one Dutch line (RunLocked), before Dagster starts.
    token = uuid.uuid4().hex
    with year_lock(storage_dir(), year, source="pwb run", label="opslag"), \
            quick_sqlite_commits(), \
            DagsterInstance.from_config(str(dagster_home())) as instance, \
            engines_kept(instance), \
            warnings.catch_warnings():
        imports.done()  # the instance's storage modules are imported now too
        warnings.simplefilter("ignore")
        watcher = StepWatcher(instance, token, progress) if progress else None
        try:
            result = materialize(
                ASSETS, partition_key=str(year), instance=instance,
                resources=resources(settings=settings),
                # Dagster's own console lines (English, stack traces) stay in the run's log
                # in the UI; the command shows progress, warnings and one Dutch line.
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
                            "ops": {"jaarrapport": {"config": {
                                "languages": sorted({"nl", lang})}}}},
                tags={"pwb/bron": "pwb run", PROGRESS_TAG: token},
                raise_on_error=False,
            )
        finally:
            if watcher:
                watcher.finish()
    if not result.success:
        raise RuntimeError(failure_message(result, year))
    return json.loads((out_dir / str(year) / "results.json").read_text(encoding="utf-8"))


def failure_message(result, year: int) -> str:
    """One Dutch line for a failed run. Our own errors carry a Dutch message without cell
    values: shown as is. Any other error (a library's) may quote a value, so only its
    step is named."""
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        while error is not None:
            if error.cls_name in DUTCH_ERRORS:
                message = error.message.partition(": ")[2].strip()
                # a held year is no failure of this run: its message stands alone
                return (message if error.cls_name == "RunLocked" else
                        f"De run voor {year} is mislukt: {message}")
            error = error.cause
    failure = next((e for e in result.all_events if e.is_failure), None)
    step = STEP_LABELS.get(failure.step_key, failure.step_key) if failure else None
    where = f"bij '{step}'" if step else "onderweg"
    return (f"De run voor {year} is mislukt {where} (een fout buiten de gekende meldingen). "
            f"Wat nu: open de Dagster-UI (pwb serve), zoek run {result.run_id[:8]} en lees de "
            f"fout van die stap; meld ze met dat run-id als ze niet aan de bestanden ligt.")


PROGRESS_TAG = "pwb/voortgang"
# Dutch names of the graph's steps (op names: the asset keys, and the multi-asset's op);
# a step without a label here shows its (Dutch) asset key.
STEP_LABELS = {
    "validated_registrations": "inlezen, pseudonimiseren en valideren",
    "trajecten": "trajecten van het jaar",
    "duur_tot_afsluiting": "model: duur tot afsluiting",
    "afsluitingsmodel": "model: Cox per afsluiting",
    "afsluitingsuitkomsten": "model: afloop (cumulatieve incidentie)",
    "uithuiszetting_vermeden": "model: uithuiszetting vermeden",
    "duur_van_het_jaar": "duur van het jaar (periodeanalyse, RMST, cohorten)",
    "uitkomstmodellen": "modellen per afloop (oorzaakspecifiek, Fine-Gray)",
    "regiovergelijking": "regio's vergelijken (funnel)",
    "evolutie": "evolutie over de jaren",
    "programma_indicatoren": "programma-indicatoren",
    "nood_aanbod": "nood tegenover aanbod",
    "jaarrapport": "rapport en tabellen schrijven",
}


class StepWatcher(threading.Thread):
    """Reads the run's step events from the instance while `materialize` runs, and tells
    `progress` about each step (a thread beside the run: Ctrl-C still reaches Dagster)."""

    def __init__(self, instance, token: str, progress: Callable[[str, str], None]):
        super().__init__(daemon=True)
        self.instance, self.token, self.progress = instance, token, progress
        self.run_id: str | None = None
        self.cursor: str | None = None
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.4):
            self.poll()

    def finish(self) -> None:
        self.done.set()
        self.join(timeout=5)
        self.poll()

    def poll(self) -> None:
        from dagster import DagsterEventType, RunsFilter

        try:
            if self.run_id is None:
                found = self.instance.get_run_records(
                    filters=RunsFilter(tags={PROGRESS_TAG: self.token}), limit=1)
                if not found:
                    return
                self.run_id = found[0].dagster_run.run_id
            page = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        except Exception:  # noqa: BLE001 - progress is a courtesy, never a failure
            return
        self.cursor = page.cursor
        for record in page.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:  # a message of our assets (context.log): Dutch, no values
                if entry.level >= logging.INFO:
                    kind = "let op" if entry.level >= logging.WARNING else "info"
                    self.progress(kind, entry.user_message)
                continue
            if event.event_type not in (DagsterEventType.STEP_START,
                                        DagsterEventType.STEP_SUCCESS,
                                        DagsterEventType.STEP_FAILURE):
                continue
            label = STEP_LABELS.get(event.step_key, event.step_key)
            if event.event_type == DagsterEventType.STEP_START:
                self.progress("start", label)
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                seconds = event.event_specific_data.duration_ms / 1000
                self.progress("klaar", f"{label} ({seconds:.1f} s)".replace(".", ","))
            else:
                self.progress("fout", label)
