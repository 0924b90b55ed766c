"""Registrations of a reporting year: validated rows, quarantine, file accounting, trajectories."""


from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from assets import keys
from assets.locking import run_key_fingerprint
from assets.partitions import reporting_years
from assets.resources import PwbSettings
from pipeline.delivery import require_active, scan_delivery
from pipeline.ingest import ingest
from pipeline.validation import gx_version, start_validation
from pipeline.years import trajectories as year_trajectories
from pipeline.years import year_counts

GROUP = "registraties"
OWNERS = ["team:pwb"]
CONTRACT_CHECK = "registratiecontract"


@multi_asset(
    outs={
        keys.REGISTRATIONS: AssetOut(
            description="Geldige registraties (gepseudonimiseerd, getypeerd), alle bestanden "
                        "van de levering.", group_name=GROUP, kinds={"polars", "parquet"},
            owners=OWNERS),
        keys.QUARANTINE: AssetOut(
            description="Rijen die een regel van het registratieformaat breken: bestand, "
                        "regel, gebroken regels en melding (geen waarden).",
            group_name=GROUP, kinds={"polars", "parquet"}, owners=OWNERS),
        keys.FILE_REPORT: AssetOut(
            description="Per bestand: rijen in, geldig, in quarantaine, of geweigerd en "
                        "waarom.", group_name=GROUP, kinds={"polars", "parquet"},
            owners=OWNERS),
    },
    partitions_def=reporting_years,
    check_specs=[AssetCheckSpec(
        CONTRACT_CHECK, asset=keys.REGISTRATIONS, blocking=True,
        description="De Great Expectations-suite 'registraties' liep op alle rijen, en de "
                    "quarantaine bevat per regel precies de rijen die GX afkeurt.")],
    compute_kind="great_expectations",
)
def validated_registrations(context: AssetExecutionContext, settings: PwbSettings):
    """Ingest every file of the delivery, validate with Great Expectations, quarantine."""
    # no registration file: one Dutch line (NoRegistrations); other files are skipped and
    # listed in the metadata of bestandsverslag, not counted as rejected registrations
    delivery = scan_delivery(Path(settings.input_dir)).require_files()
    # the valid rows and the quarantine are stored while GX still runs in its workers;
    # the contract check (blocking) waits for GX's verdict
    with start_validation(ingest(list(delivery.files)), settings.today()) as split:
        for f in split.files:  # name and reason only: messages never hold a cell value
            if f.rejected:
                context.log.warning(f"Bestand geweigerd: {f.message}")
            else:  # one line per file: the run's log (UI) and the progress of `pwb run`
                context.log.info(f"{f.file}: {f.rows_in} rijen, {f.rows_valid} geldig, "
                                 f"{f.rows_quarantined} in quarantaine")
        yield Output(split.valid, keys.REGISTRATIONS, metadata={
            "rijen_in": split.rows_in, "rijen_geldig": split.rows_valid,
            "rijen_quarantaine": split.rows_quarantined,
            "bestanden": len(split.files),
            "bestanden_geweigerd": split.files_rejected,
            "verwachtingen": split.expectations,
            "gebroken_regels": MetadataValue.json(split.ours),  # GX's, when the check passes
            "great_expectations": gx_version(),
            "sleutel_vingerafdruk": run_key_fingerprint()})
        yield Output(split.quarantine, keys.QUARANTINE,
                     metadata={"rijen": split.rows_quarantined})
        yield Output(split.files_frame(), keys.FILE_REPORT, metadata={
            "bestanden": len(split.files),
            "overgeslagen": MetadataValue.json(list(delivery.skipped)),
            "geweigerd": MetadataValue.json(
                {f.file: f.rule for f in split.files if f.rejected}),
            "geweigerd_waarom": MetadataValue.md("\n".join(
                f"- {f.message}" for f in split.files if f.rejected) or "geen")})
        validated = split.verdict()
    yield AssetCheckResult(
        check_name=CONTRACT_CHECK, asset_key=keys.REGISTRATIONS, passed=validated.gx_agrees,
        severity=AssetCheckSeverity.ERROR,
        metadata={"verwachtingen": validated.suite.evaluated,
                  "verwachtingen_met_afwijkingen": validated.suite.failed,
                  "rijen_gecontroleerd": validated.rows_in,
                  "rijen_geldig": validated.rows_valid,
                  "rijen_quarantaine": validated.rows_quarantined,
                  "gx_en_regels_oneens": MetadataValue.json(list(validated.mismatches)),
                  "great_expectations": validated.suite.gx_version})


@asset(name=keys.TRAJECTORIES, partitions_def=reporting_years, group_name=GROUP,
       kinds={"polars", "parquet"}, owners=OWNERS,
       description="Trajecten van het registratiejaar volgens de jaardefinities: peildatum "
                   "31/12, afkapping, actief, afgesloten, open, duur en afloop. Zonder enig "
                   "actief traject in het jaar stopt de run hier: geen leeg rapport.")
def trajectories(context: AssetExecutionContext, registraties: pl.DataFrame) -> Output:
    year = int(context.partition_key)
    frame = year_trajectories(registraties, year)
    require_active(frame, year)  # nothing active in the year: no report (EmptyYear, Dutch)
    return Output(frame, metadata=year_counts(frame))
