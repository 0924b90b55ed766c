"""The Great Expectations side of the row rules: the suite, its runs, its workers' tasks.

The suite in `expectations/registraties.json` is generated from the contract
(`suite_dict`, `make suite`). `run_suite` validates a frame with GX in this process;
`_Pending` hands the frame to the GX worker processes (pipeline.gx_workers) and
collects their verdict. Only counts per rule come back, never a cell value.
Split from pipeline/validation.py, which compares GX's counts with the polars twins.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import gx_workers
from pipeline.contract import FORMAT_VERSION, ROW_RULES, RUN_DATE_PARAMETER
from pipeline.gx_workers import GX_WORKERS, start_gx_workers, stop_gx_workers
from pipeline.ingest import timed

SUITE_NAME = "registraties"
SUITE_PATH = Path(__file__).resolve().parent.parent / "expectations" / f"{SUITE_NAME}.json"


class ValidationMismatch(RuntimeError):
    """Great Expectations could not evaluate a rule: a bug, never a data problem."""


# --------------------------------------------------------------------------- the suite


def _condition(spec: tuple) -> dict[str, Any]:
    """The contract's small condition tuples in GX's serialised Condition form."""
    match spec:
        case ("not_null", column):
            return {"type": "nullity", "column": {"name": column}, "is_null": False}
        case ("null", column):
            return {"type": "nullity", "column": {"name": column}, "is_null": True}
        case ("equals", column, value):
            return {"type": "comparison", "column": {"name": column}, "operator": "==",
                    "parameter": value}
    raise ValueError(f"unknown condition {spec!r}")


def suite_dict() -> dict[str, Any]:
    """The GX suite of the row rules, as the JSON kept in expectations/."""
    expectations = []
    for rule in ROW_RULES:
        kwargs = dict(rule.expectation_kwargs)
        if "row_condition" in kwargs:
            kwargs["row_condition"] = _condition(kwargs["row_condition"])
        expectations.append({"type": rule.expectation_type, "kwargs": kwargs,
                             "meta": {"regel": rule.name, "melding": rule.message}})
    return {"name": SUITE_NAME,
            "meta": {"registratieformaat": FORMAT_VERSION,
                     "parameters": {RUN_DATE_PARAMETER: "de dag van de run (geen datum in de "
                                                        "toekomst)"},
                     "gegenereerd_uit": "pipeline/contract.py (make suite)"},
            "expectations": expectations}


def write_suite(path: Path = SUITE_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite_dict(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def load_suite_dict(path: Path = SUITE_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- GX run


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    expectation: str
    checked: int
    broken: int
    rows: tuple[int, ...] | None = None  # positions in the frame, only when asked for


@dataclass(frozen=True)
class SuiteOutcome:
    """GX's verdict on one batch, per rule."""

    success: bool
    rules: tuple[RuleOutcome, ...]
    gx_version: str

    @property
    def evaluated(self) -> int:
        return len(self.rules)

    @property
    def failed(self) -> int:
        return sum(r.broken > 0 for r in self.rules)


def _to_pandas(frame: pl.DataFrame) -> Any:
    """Plain numpy-backed pandas (GX's pair expectations break on arrow dtypes with nulls).

    Text becomes categorical (the same values and nulls, but GX's row filters copy
    integer codes instead of Python objects, and the compound uniqueness hashes codes):
    Arrow's dictionary encoding, about twice as fast as a polars Categorical cast. A
    column of mostly distinct texts (the pseudonymised dossier ids) stays plain text:
    pandas checks a million categories for uniqueness when it builds them (1.6 s, against
    0.5 s for the texts themselves). Dates become datetime64[ns]; other columns convert
    as polars converts them.
    """
    import pandas as pd
    import pyarrow.compute as pc

    columns = {}
    for name, dtype in frame.schema.items():
        series = frame.get_column(name)
        if dtype == pl.String and series.n_unique() * 2 > frame.height:
            columns[name] = series.to_pandas()
        elif dtype == pl.String:
            columns[name] = pc.dictionary_encode(series.to_arrow()).to_pandas()
        elif dtype == pl.Date:
            columns[name] = series.cast(pl.Datetime("ns")).to_pandas()
        else:
            columns[name] = series.to_pandas()
    return pd.DataFrame(columns, index=pd.RangeIndex(frame.height), copy=False)


def _columns_of(expectation: dict[str, Any]) -> set[str]:
    kwargs = expectation["kwargs"]
    columns = {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
    columns |= set(kwargs.get("column_list", ()))
    if "row_condition" in kwargs:
        columns.add(kwargs["row_condition"]["column"]["name"])
    return columns


SPLIT_FROM_ROWS = 0  # one GX run per row condition pays off at every size (CPU, 15k rows)
PARALLEL_FROM_ROWS = 100_000  # below this, one worker runs the whole suite (when started)
_UNCONDITIONED_PER_BATCH = 8  # expectations without a condition, per GX run (balance)


def _batches(suite: dict[str, Any], split: bool) -> dict[str | None, list[dict[str, Any]]]:
    """The suite's expectations grouped by the column their row condition filters on.

    GX applies a row condition (and, per expectation, its null filter) by copying the
    whole batch: each condition's expectations run as one GX run on a batch of just the
    columns they read. The expectations without a condition are cut into runs of a few
    columns each, so that the runs can be spread over two workers.
    """
    if not split:
        return {None: list(suite["expectations"])}
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for expectation in suite["expectations"]:
        condition = expectation["kwargs"].get("row_condition")
        groups.setdefault(condition["column"]["name"] if condition else None,
                          []).append(expectation)
    free = groups.pop(None, [])
    part: list[dict[str, Any]] = []
    for expectation in free:  # the suite keeps a column's expectations together
        if len(part) >= _UNCONDITIONED_PER_BATCH and _columns_of(part[-1]) != \
                _columns_of(expectation):
            groups[f"deel {len(groups)}"] = part
            part = []
        part.append(expectation)
    if part:
        groups[f"deel {len(groups)}"] = part
    return groups


def _result_format(with_rows: bool) -> dict[str, Any]:
    """What GX returns per expectation: counts, and no cell values.

    GX's BASIC format carries up to 20 offending values (`partial_unexpected_list`):
    a name typed in the `caw` column, say. Only the counts are used, so no value is
    asked for, and none can reach a log, an event or an error message. The tests'
    `with_rows` asks for row positions (COMPLETE), still without the values.
    """
    if with_rows:
        return {"result_format": "COMPLETE", "exclude_unexpected_values": True,
                "partial_unexpected_count": 0}
    return {"result_format": "BASIC", "partial_unexpected_count": 0}


def run_suite(frame: pl.DataFrame, run_date: dt.date, suite: dict[str, Any] | None = None,
              *, with_rows: bool = False, split_from_rows: int = SPLIT_FROM_ROWS
              ) -> SuiteOutcome:
    """Validate a validation frame with Great Expectations, for real, in this process.

    Every expectation of the suite runs on every row; expectations that share a
    row condition run as one GX validation on the columns they need (same
    verdicts, a fraction of GX's copying). `with_rows` asks GX for the position
    of every failing row (slow on large frames: the tests use it to prove the
    polars twins find the same rows).
    """
    suite = suite or load_suite_dict()
    batches = list(_batches(suite, frame.height >= split_from_rows).values())
    data = _to_pandas(frame.select(sorted(set().union(*map(_columns_of,
                                                           suite["expectations"])))))
    outcomes, success, version = _run_batches(data, batches, run_date, with_rows)
    return _collect(suite, [(outcomes, success, version)])


def _run_batches(data: Any, batches: Sequence[list[dict[str, Any]]],
                 run_date: dt.date, with_rows: bool = False
                 ) -> tuple[list[RuleOutcome], bool, str]:
    """Run GX on each batch of expectations (a batch: the columns of `data`, a pandas
    frame, that its expectations read)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with timed("GX import"):
        import great_expectations as gx
        from great_expectations.core.expectation_suite import ExpectationSuite
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

    _skip_batch_fingerprint()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("registraties")
             .add_dataframe_asset("registratiebestanden")
             .add_batch_definition_whole_dataframe("run"))
    needed = [sorted(set().union(*map(_columns_of, b))) for b in batches]
    outcomes: list[RuleOutcome] = []
    success = True
    for number, (expectations, columns) in enumerate(zip(batches, needed, strict=True)):
        # The suite validated on the batch directly (Batch.validate): the same run of every
        # expectation as a ValidationDefinition's, without storing suite and definition in
        # the context first (0.1-0.3 s of GX's 0.6 s on a small delivery).
        gx_suite = ExpectationSuite(
            name=f"{SUITE_NAME}-{number}",
            expectations=[ExpectationConfiguration(**e).to_domain_obj() for e in expectations],
        )
        result = batch.get_batch(batch_parameters={"dataframe": data[columns]}).validate(
            gx_suite,
            expectation_parameters={RUN_DATE_PARAMETER: f"{run_date.isoformat()}T00:00:00"},
            result_format=_result_format(with_rows),
        )
        success &= bool(result.success)
        outcomes += [_outcome(item, with_rows) for item in result.results]
    return outcomes, success, gx.__version__


def _skip_batch_fingerprint() -> None:
    """GX's pandas engine hashes every batch under 1 GB (its `HASH_THRESHOLD`) for a
    fingerprint it only keeps as the batch's metadata (`pandas_data_fingerprint`), which
    nothing here reads: 1.2 s of GX's 5.9 s on 1.37M rows. Threshold 0: no batch is
    hashed; every expectation still runs on every row. A GX without the setting fails
    here instead of running slower unnoticed."""
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        raise ValidationMismatch("GX: HASH_THRESHOLD ontbreekt (andere versie van GX?)")
    pandas_execution_engine.HASH_THRESHOLD = 0


def _collect(suite: dict[str, Any], parts: Sequence[tuple[list[RuleOutcome], bool, str]]
             ) -> SuiteOutcome:
    """One SuiteOutcome in the suite's order from the outcomes of one or more runs."""
    by_rule = {o.rule: o for outcomes, _, _ in parts for o in outcomes}
    missing = [e["meta"]["regel"] for e in suite["expectations"]
               if e["meta"]["regel"] not in by_rule]
    if missing:
        raise ValidationMismatch(f"GX gaf geen uitkomst voor: {', '.join(missing)}")
    return SuiteOutcome(all(ok for _, ok, _ in parts),
                        tuple(by_rule[e["meta"]["regel"]] for e in suite["expectations"]),
                        parts[0][2])


# --------------------------------------------------------------------------- GX workers
# (the processes live in pipeline.gx_workers; here what they run and how a frame is split)


def _worker_task(path: str, batches: list[list[dict[str, Any]]], run_date: dt.date
                 ) -> tuple[list[RuleOutcome], bool, str]:
    needed = sorted(set().union(*(_columns_of(e) for b in batches for e in b)))
    return _run_batches(_to_pandas(pl.read_ipc(path, columns=needed)), batches, run_date)


def _tasks(batches: list[list[dict[str, Any]]], count: int) -> list[list[list[dict[str, Any]]]]:
    """The batches packed into `count` tasks of about equal cost (cost: expectations x
    columns read, the copies GX makes)."""
    def cost(batch: list[dict[str, Any]]) -> int:
        return len(batch) * (2 + len(set().union(*map(_columns_of, batch))))

    tasks: list[list[list[dict[str, Any]]]] = [[] for _ in range(count)]
    loads = [0] * count
    for batch in sorted(batches, key=cost, reverse=True):
        i = loads.index(min(loads))
        tasks[i].append(batch)
        loads[i] += cost(batch)
    return [t for t in tasks if t]


class _Pending:
    """GX's verdict on its way: from the workers, or computed in this process on demand."""

    def __init__(self, frame: pl.DataFrame, run_date: dt.date, suite: dict[str, Any]):
        self.frame, self.run_date, self.suite = frame, run_date, suite
        self.busy: list[tuple[gx_workers.Worker, list[list[dict[str, Any]]]]] = []
        self.folder: str | None = None
        parallel = frame.height >= PARALLEL_FROM_ROWS
        start_gx_workers(GX_WORKERS if parallel else 0)  # 0: only forget dead workers
        if not gx_workers.workers:
            return  # small and no worker waiting: GX in this process (run_suite)
        import tempfile

        gx_workers.LOCK.acquire()
        try:
            self.folder = tempfile.mkdtemp(prefix="pwb-gx-")
            path = os.path.join(self.folder, "frame.arrow")
            needed = sorted(set().union(*map(_columns_of, suite["expectations"])))
            frame.select(needed).write_ipc(path, compression="uncompressed")
            batches = list(_batches(suite, True).values())
            tasks = _tasks(batches, len(gx_workers.workers)) if parallel else [batches]
            for worker, task in zip(gx_workers.workers, tasks, strict=False):
                self.busy.append((worker, task))
                try:
                    worker.send(path, task, run_date)
                except OSError:  # a dead worker: result() runs its task here
                    pass
        except BaseException:
            self.close()
            raise

    def result(self) -> SuiteOutcome:
        if self.folder is None:
            return run_suite(self.frame, self.run_date, self.suite)
        parts = []
        while self.busy:
            worker, task = self.busy.pop(0)
            try:
                parts.append(worker.receive())
            except (gx_workers.WorkerGone, OSError):  # its GX runs here: the same verdict
                warnings.warn("Een GX-werkproces stopte onverwacht; GX loopt verder in het "
                              "hoofdproces.", RuntimeWarning, stacklevel=2)
                path = os.path.join(self.folder or "", "frame.arrow")
                parts.append(_worker_task(path, task, self.run_date))
        self.close()
        stop_gx_workers()  # their memory goes back to the run (models, report)
        return _collect(self.suite, parts)

    def close(self) -> None:
        """Collect what is still outstanding (a failed run), remove the frame's file."""
        if self.folder is None:
            return
        import shutil

        for worker, _ in self.busy:
            try:
                worker.receive()
            except Exception:  # noqa: BLE001 (the run already fails for another reason)
                worker.process.kill()
        self.busy.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
        gx_workers.LOCK.release()


def _outcome(item: Any, with_rows: bool) -> RuleOutcome:
    config = item.expectation_config
    info = item.exception_info or {}
    raised = info.get("raised_exception") or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values())
    if raised:
        raise ValidationMismatch(f"GX kon regel {config.meta.get('regel')} niet uitvoeren")
    return RuleOutcome(
        config.meta["regel"], config.type,
        int(item.result.get("element_count") or 0),
        int(item.result.get("unexpected_count") or 0),
        tuple(sorted(item.result.get("unexpected_index_list") or ())) if with_rows else None,
    )


def gx_version() -> str:
    """The installed Great Expectations' version, without importing it (the main process
    of a run leaves GX to its workers)."""
    from importlib.metadata import version

    return version("great_expectations")
