"""The programme against the circular as thin assets over `pipeline` (issue 5).

Stored as JSON (the `json_io_manager` of assets.models): the results are nested
dicts that go into results.json as they are. The reference data come from the
`settings` resource with the norms of the `evaluation` resource applied, so a user
reference directory (or a returned staffing survey) or a changed norm changes both
assets at once.
"""


import polars as pl
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets import keys
from assets.models import IO_MANAGER_KEY
from assets.partitions import reporting_years
from assets.resources import EvaluationSettings, PwbSettings
from pipeline import allocation, indicators
from pipeline.evolution import multi_year

GROUP = "programma"
OWNERS = ["team:pwb"]
ASSET = {"partitions_def": reporting_years, "group_name": GROUP, "owners": OWNERS,
         "io_manager_key": IO_MANAGER_KEY, "ins": keys.inputs("trajectories")}


@asset(**ASSET, name=keys.PROGRAMME_INDICATORS, kinds={"polars", "json"},
       description="Programma-indicatoren per CAW-regio en voor het geheel: cliënten per VTE "
                   "tegen de norm van 27, gemiddelde caseload per VTE (20), duur (9 maanden), "
                   "wet van Little, huisbezoeken, doorverwijzing, nazorg, handelingsdoelen en "
                   "vermeden uithuiszetting met Wilson-BI, herval, dekking van de "
                   "samenwerkingsovereenkomsten en de extra VTE van 2012-2013.")
def programme_indicators(context: AssetExecutionContext, trajectories: pl.DataFrame,
                         settings: PwbSettings,
                         evaluation: EvaluationSettings) -> Output[dict]:
    year = int(context.partition_key)
    reference = evaluation.reference(settings)
    result = indicators.programme_indicators(trajectories, reference, year)
    overall = result["overall"]
    return Output(result, metadata={
        "clienten_per_vte": overall["clients_per_fte"],
        "regio_s_volgens_norm": overall["regions_meeting_norm"],
        "caseload_per_vte": overall["mean_caseload_per_fte"],
        "mediaan_duur_dagen": overall["median_duration_days"],
        "herval": result["re_referral"]["overall"]["rate"],
        "gebiedsdekkende_regio_s": result["agreements"]["overall"]["regions_gebiedsdekkend"],
        "illustratieve_referentie": result["illustrative_reference"],
        "per_caw": MetadataValue.json([
            {k: r[k] for k in ("caw", "fte", "active", "clients_per_fte", "meets_norm")}
            for r in result["per_caw"]])})


@asset(**ASSET, name=keys.NEED_SUPPLY, kinds={"polars", "json"},
       description="Nood tegenover aanbod per CAW-regio: verwachte uithuiszettingen (5% SVK, "
                   "1% SHM, 1,65% SHM in Gent en Antwerpen), nodige VTE aan 26,66 begeleidingen "
                   "per VTE, aanwezige VTE op de peildatum, dekkingsgraad, en de verdeling van "
                   "enkele budgetten die de laagste dekkingsgraad zo hoog mogelijk maakt.")
def need_supply(context: AssetExecutionContext, trajectories: pl.DataFrame,
                settings: PwbSettings,
                evaluation: EvaluationSettings) -> Output[dict]:
    year = int(context.partition_key)
    reference = evaluation.reference(settings)
    result = allocation.need_supply(reference, year, trajectories=trajectories)
    return Output(result, metadata={
        "verwachte_uithuiszettingen": result["overall"]["expected_evictions"],
        "nodige_vte": result["overall"]["fte_needed"],
        "aanwezige_vte": result["overall"]["fte_present"],
        "dekkingsgraad": result["overall"]["coverage"],
        "scenario_s": MetadataValue.json([
            {"budget_eur": r["budget_eur"], "vte": r["total_fte"],
             "laagste_dekking_na": r["min_coverage_after"]}
            for r in result["scenarios"]["runs"]]),
        "illustratieve_referentie": result["illustrative_reference"]})




@asset(partitions_def=reporting_years, group_name=GROUP, owners=OWNERS,
       io_manager_key=IO_MANAGER_KEY, ins=keys.inputs("trajectories"),
       name=keys.EVOLUTION, kinds={"polars", "statsmodels", "json"},
       description="Evolutie over de volledige jaren van het registratievenster: starts, "
                   "aanmeldingen, actief, afgesloten, cliënten en caseload per VTE, RMST, "
                   "uitkomsten per jaar en regio; wachttijd; het effect van de extra VTE van "
                   "2012-2013 op het bereik (telmodel met vaste effecten, wild cluster "
                   "bootstrap over de regio's).")
def evolution(context: AssetExecutionContext, registraties: pl.DataFrame,
              trajectories: pl.DataFrame, settings: PwbSettings,
              evaluation: EvaluationSettings) -> Output[dict]:
    year = int(context.partition_key)
    result = multi_year(registraties, trajectories, evaluation.reference(settings), year,
                        evaluation.trends())
    starts = result["reinforcement"]
    return Output(result, metadata={
        "jaren": MetadataValue.json(result["trends"]["years"]),
        "elasticiteit_starts": starts.get("elasticity"), "bi": str(starts.get("ci")),
        "inferentie": str(starts.get("inference"))})


PROGRAMME_ASSETS = [programme_indicators, need_supply, evolution]
