"""Row rules: the Great Expectations suite, the quarantine and the accounting.

Each row rule of the contract runs twice on the same frame. Great Expectations
runs the declarative suite in `expectations/registraties.json` (generated from
the contract; a test checks they agree) and counts, per rule, the rows that
break it. The rule's polars twin finds *which* rows, at a speed GX's
per-row index lists cannot reach. The two counts must agree rule by rule:
`Validated.mismatches` lists any rule where they do not, and the blocking
asset check fails on it, so nothing downstream runs on a doubtful split.

Rows that break any rule go to the quarantine with every rule they break and
a Dutch message; the rest are valid. rows in = valid + quarantined, per file
and in total, or the run stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.contract import (
    BY_NAME,
    COLUMN_NAMES,
    ROW_ID,
    ROW_RULES,
    RULES_BY_NAME,
    RUN_DATE_PARAMETER,
    SOURCE_FILE,
    SOURCE_LINE,
    RowRule,
)
from pipeline.gx_suite import (  # noqa: F401 (re-exported: the GX side's public names)
    PARALLEL_FROM_ROWS,
    SUITE_NAME,
    SUITE_PATH,
    RuleOutcome,
    SuiteOutcome,
    ValidationMismatch,
    _Pending,
    gx_version,
    load_suite_dict,
    run_suite,
    suite_dict,
    write_suite,
)
from pipeline.gx_workers import (  # noqa: F401 (re-exported: pwb.driver starts them)
    GX_WORKERS,
    start_gx_workers,
    start_gx_workers_for,
    stop_gx_workers,
)
from pipeline.ingest import FileReport, Ingested, timed


class AccountingError(RuntimeError):
    """Rows in != rows valid + rows quarantined: something would be lost."""

# --------------------------------------------------------------------------- polars twin


def broken_rules(frame: pl.DataFrame, run_date: dt.date,
                 rules: Sequence[RowRule] = ROW_RULES) -> pl.DataFrame:
    """ROW_ID and the list of rules broken, for every row that breaks at least one.

    One boolean column per rule over all rows (cheap); the lists of names are
    built only for the few rows that break something.
    """
    flags = [f"_r{i}" for i in range(len(rules))]
    broken = (frame.lazy()
              .with_columns(pl.lit(run_date).alias(RUN_DATE_PARAMETER))
              .select(pl.col(ROW_ID), *(r.violated.alias(f) for r, f in zip(rules, flags,
                                                                           strict=True)))
              .filter(pl.any_horizontal(flags))
              .collect())
    names = pl.concat_list(
        [pl.when(pl.col(f)).then(pl.lit(r.name)) for r, f in zip(rules, flags, strict=True)]
    ).list.drop_nulls()
    return broken.select(pl.col(ROW_ID), names.alias("regels"))


def rule_counts(broken: pl.DataFrame) -> dict[str, int]:
    """Rows per broken rule, most first (a row breaking two rules counts for both).

    `regels` is the list of rule names, or the quarantine's ", "-joined text of them.
    """
    rules = pl.col("regels")
    if broken.schema.get("regels") == pl.String:
        rules = rules.str.split(", ")
    counts = (broken.select(rules.explode()).drop_nulls()
              .group_by("regels").len().sort(["len", "regels"], descending=[True, False]))
    return {name: int(n) for name, n in counts.iter_rows()}


# --------------------------------------------------------------------------- the run's verdict


@dataclass(frozen=True)
class FileAccount:
    file: str
    rows_in: int
    rows_valid: int
    rows_quarantined: int
    rejected: bool
    rule: str | None
    message: str | None
    warnings: tuple[str, ...]


class _Accounts:
    """The accounting both the split (`Split`) and the verdict (`Validated`) show, from
    their `valid`, `quarantine` and `files`."""

    valid: pl.DataFrame
    quarantine: pl.DataFrame
    files: tuple[FileAccount, ...]

    def files_frame(self) -> pl.DataFrame:
        """The accounting per file, as the report and results.json show it."""
        return pl.DataFrame(
            [(f.file, f.rows_in, f.rows_valid, f.rows_quarantined, f.rejected, f.rule,
              f.message, " ".join(f.warnings)) for f in self.files],
            schema={"bestand": pl.String, "rijen_in": pl.Int64, "rijen_geldig": pl.Int64,
                    "rijen_quarantaine": pl.Int64, "geweigerd": pl.Boolean,
                    "regel": pl.String, "melding": pl.String, "waarschuwingen": pl.String},
            orient="row",
        )

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_valid(self) -> int:
        return self.valid.height

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine.height

    @property
    def files_rejected(self) -> int:
        return sum(f.rejected for f in self.files)


@dataclass(frozen=True)
class Validated(_Accounts):
    """Valid rows, the quarantine, GX's outcome and the accounting of one run."""

    valid: pl.DataFrame
    quarantine: pl.DataFrame
    suite: SuiteOutcome
    files: tuple[FileAccount, ...]
    mismatches: tuple[str, ...] = ()  # rules where GX and polars count differently

    @property
    def gx_agrees(self) -> bool:
        return not self.mismatches

    def counts_per_rule(self) -> dict[str, int]:
        return {r.rule: r.broken for r in self.suite.rules if r.broken}


def _messages(rules: pl.Expr) -> pl.Expr:
    lookup = {name: rule.message for name, rule in RULES_BY_NAME.items()}
    return rules.list.eval(pl.element().replace_strict(lookup)).list.join(" ")


def _known_region(caw: pl.Expr) -> pl.Expr:
    """The region code of a quarantined row only when it is one of the format's codes.

    The quarantine is stored and written (quarantaine.csv) as it is: a cell in the
    `caw` column that is not a region code may hold anything a worker typed there,
    a name too. It is left empty (the report counts such rows under '?').
    """
    return pl.when(caw.is_in(list(BY_NAME["caw"].codes))).then(caw)


def _account(reports: Sequence[FileReport], valid: pl.DataFrame,
             quarantine: pl.DataFrame) -> tuple[FileAccount, ...]:
    valid_per = dict(valid.group_by(SOURCE_FILE).len().iter_rows())
    quarantined_per = dict(quarantine.group_by(SOURCE_FILE).len().iter_rows())
    accounts = []
    for r in reports:
        account = FileAccount(r.file, r.rows_in, valid_per.get(r.file, 0),
                              quarantined_per.get(r.file, 0), r.rejected, r.rule, r.message,
                              r.warnings)
        if account.rows_in != account.rows_valid + account.rows_quarantined:
            raise AccountingError(
                f"{r.file}: {account.rows_in} rijen in, {account.rows_valid} geldig + "
                f"{account.rows_quarantined} in quarantaine")
        accounts.append(account)
    return tuple(accounts)


def validate(ingested: Ingested, run_date: dt.date | None = None,
             suite_definition: dict[str, Any] | None = None) -> Validated:
    """Split the ingested rows into valid and quarantined; GX and polars must agree."""
    with start_validation(ingested, run_date, suite_definition) as split:
        return split.verdict()


class Split(_Accounts):
    """The rows split by the polars twins, accounted per file, with GX's verdict on its
    way (in its worker processes). `verdict()` waits for GX and compares rule by rule.

    Why two steps: what only needs the split (storing the valid rows and the quarantine)
    can be done while GX still runs. Use as a context manager: leaving it without a
    verdict (an error) collects the workers and removes the frame's file.
    """

    def __init__(self, ingested: Ingested, run_date: dt.date, suite: dict[str, Any]) -> None:
        frame = ingested.frame
        self.expectations = len(suite["expectations"])
        with timed("GX"):  # in worker processes when started or when the frame is large
            self._pending = _Pending(frame, run_date, suite)
        try:
            with timed("polars twins"):
                broken = broken_rules(frame, run_date)
            self.ours = rule_counts(broken)
            with timed("accounting"):
                self.valid, self.quarantine, self.files = _split(ingested, frame, broken)
        except BaseException:
            self._pending.close()
            raise
        self._validated: Validated | None = None

    def __enter__(self) -> Split:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pending.close()

    def verdict(self) -> Validated:
        """GX's outcome (waited for) and the rules where its count differs from ours."""
        if self._validated is None:
            with timed("GX"):
                suite = self._pending.result()
            theirs = {r.rule: r.broken for r in suite.rules}
            mismatches = tuple(f"{k}: GX {theirs.get(k, 0)} / polars {self.ours.get(k, 0)}"
                               for k in sorted(set(self.ours) | set(theirs))
                               if self.ours.get(k, 0) != theirs.get(k, 0))
            self._validated = Validated(self.valid, self.quarantine, suite, self.files,
                                        mismatches)
        return self._validated


def start_validation(ingested: Ingested, run_date: dt.date | None = None,
                     suite_definition: dict[str, Any] | None = None) -> Split:
    """The split by the polars twins now, GX's verdict later (`Split.verdict`)."""
    return Split(ingested, run_date or dt.date.today(), suite_definition or load_suite_dict())


def _split(ingested: Ingested, frame: pl.DataFrame, broken: pl.DataFrame
           ) -> tuple[pl.DataFrame, pl.DataFrame, tuple[FileAccount, ...]]:
    """The quarantine, the valid rows and the accounting per file and in total."""
    flagged = frame.select(ROW_ID, SOURCE_FILE, SOURCE_LINE, "caw", "dossier_id").join(
        broken, on=ROW_ID, how="inner")
    quarantine = (flagged
                  .select(pl.col(ROW_ID), pl.col(SOURCE_FILE), pl.col(SOURCE_LINE),
                          _known_region(pl.col("caw")).alias("caw"), pl.col("dossier_id"),
                          pl.col("regels").list.join(", ").alias("regels"),
                          _messages(pl.col("regels")).alias("melding"))
                  .sort(ROW_ID))
    # A filter on the columns kept: one copy of them (a join would copy every column of
    # the validation frame first, a sort once more; at 1M rows that is memory).
    valid = (frame.select(ROW_ID, *COLUMN_NAMES, SOURCE_FILE, SOURCE_LINE)
             .filter(~pl.col(ROW_ID).is_in(broken.get_column(ROW_ID).implode())))
    if not valid.get_column(ROW_ID).is_sorted():
        valid = valid.sort(ROW_ID)
    files = _account(ingested.files, valid, quarantine)
    if frame.height != valid.height + quarantine.height:
        raise AccountingError(f"{frame.height} rijen in, {valid.height} geldig + "
                              f"{quarantine.height} in quarantaine")
    return valid, quarantine, files


if __name__ == "__main__":
    import sys

    if "--write-suite" in sys.argv:
        write_suite()
        print(f"geschreven: {SUITE_PATH}")
