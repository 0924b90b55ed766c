"""The year's models as thin assets over `pipeline.models`, stored as JSON.

Why a JSON IO manager: the results are nested dicts that go into results.json
as they are; the parquet IO manager only stores frames. One file per asset and
partition, BASE/<asset>/<partition>.json, written atomically.
The settings come from the `evaluation` resource (assets.resources): researchers
change covariates, references or CI type once per run, and all four models follow.
"""


import json
from pathlib import Path

import polars as pl
from dagster import (
    AssetExecutionContext,
    ConfigurableIOManager,
    InputContext,
    MetadataValue,
    Output,
    OutputContext,
    asset,
)

from assets import keys
from assets.locking import StoreYearLock
from assets.partitions import reporting_years
from assets.resources import EvaluationSettings, PwbSettings
from pipeline import models, outcome_models, regional
from pipeline.duration import duration as period_duration
from pipeline.outputs import write_json

GROUP = "modellen"
OWNERS = ["team:pwb"]
IO_MANAGER_KEY = "json_io_manager"


class JsonIOManager(StoreYearLock, ConfigurableIOManager):  # a run holds its year
    """Dict outputs as JSON (allow_nan=False), one file per asset and partition."""

    base_dir: str

    def _path(self, context: OutputContext | InputContext) -> Path:
        name = context.asset_partition_key if context.has_asset_partitions else "all"
        return Path(self.base_dir).joinpath(*context.asset_key.path) / f"{name}.json"

    def handle_output(self, context: OutputContext, obj: dict) -> None:
        path = write_json(self._path(context), obj)
        context.add_output_metadata({"pad": str(path)})

    def load_input(self, context: InputContext) -> dict:
        return json.loads(self._path(context).read_text(encoding="utf-8"))


def _problems(result: dict) -> dict:
    return {"problemen": len(result["problems"]),
            "problemen_lijst": MetadataValue.json(result["problems"])}


def _lr(result: dict) -> str:
    lr = result["lr_test"]
    return f"chi2 = {lr['statistic']}, df = {lr['df']}, p = {lr['p']}"


ASSET = {"partitions_def": reporting_years, "group_name": GROUP, "owners": OWNERS,
         "io_manager_key": IO_MANAGER_KEY, "ins": keys.inputs("trajectories")}


@asset(**ASSET, name=keys.TIME_TO_CLOSURE, kinds={"numpy", "json"},
       description="Duur tot afsluiting: Kaplan-Meier (mediaan met 95%-BI, R survfit 'log') "
                   "over alle trajecten tot de peildatum en per profiel, log-rank per profiel.")
def time_to_closure(context: AssetExecutionContext, trajectories: pl.DataFrame,
                    evaluation: EvaluationSettings) -> Output[dict]:
    result = models.time_to_closure(trajectories, evaluation.models())
    return Output(result, metadata={
        "n": result["n"], "afsluitingen": result["events"],
        "mediaan_dagen": result["median_days"], "mediaan_bi": str(result["median_ci"]),
        "profielen": len(result["by_group"]), **_problems(result)})


@asset(**ASSET, name=keys.CLOSURE_HAZARDS, kinds={"numpy", "json"},
       description="Cox-model van de afsluitkans (Efron, gestratificeerd per CAW) met de "
                   "toets op proportionele hazards (cox.zph) en de concordantie.")
def closure_hazards(context: AssetExecutionContext, trajectories: pl.DataFrame,
                    evaluation: EvaluationSettings) -> Output[dict]:
    result = models.cox_model(trajectories, evaluation.models())
    return Output(result, metadata={
        "n": result["n"], "afsluitingen": result["events"], "termen": len(result["terms"]),
        "concordantie": result["concordance"], "lr_toets": _lr(result),
        "ph_toets_globaal_p": result["ph_test"]["global"]["p"], **_problems(result)})


@asset(**ASSET, name=keys.CLOSURE_OUTCOMES, kinds={"numpy", "json"},
       description="Afloop van de begeleiding als concurrerende uitkomsten (vermeden, "
                   "uithuisgezet, ander): cumulatieve incidentie volgens Aalen-Johansen.")
def closure_outcomes(context: AssetExecutionContext, trajectories: pl.DataFrame,
                     evaluation: EvaluationSettings) -> Output[dict]:
    result = models.closure_incidence(trajectories, evaluation.models())
    at = dict(zip(result["days"], result["vermeden"], strict=True))
    return Output(result, metadata={
        "n": result["n"], "afsluitingen": MetadataValue.json(result["events"]),
        "vermeden_365_dagen": at.get(365), **_problems(result)})


@asset(**ASSET, name=keys.EVICTION_AVOIDANCE, kinds={"statsmodels", "json"},
       description="Logistisch model van 'uithuiszetting vermeden' bij de in het jaar "
                   "afgesloten trajecten met ja/nee; odds ratio's, robuust voor clustering "
                   "per CAW.")
def eviction_avoidance(context: AssetExecutionContext, trajectories: pl.DataFrame,
                       evaluation: EvaluationSettings) -> Output[dict]:
    result = models.eviction_model(trajectories, evaluation.models())
    return Output(result, metadata={
        "n": result["n"], "vermeden": result["events"], "aandeel_vermeden": result["rate"],
        "termen": len(result["terms"]), "cov_type": result["cov_type"], **_problems(result)})


@asset(**ASSET, name=keys.DURATION, kinds={"numpy", "json"},
       description="Duur van het jaar zelf (periodeanalyse): elk in het jaar actief traject "
                   "telt vanaf max(start, 1 januari) (vertraagde instap); Kaplan-Meier-mediaan "
                   "en beperkt gemiddelde tot 730 dagen (RMST), per CAW en per startjaar.")
def duration(context: AssetExecutionContext, trajectories: pl.DataFrame,
             settings: PwbSettings, evaluation: EvaluationSettings) -> Output[dict]:
    year, model = int(context.partition_key), evaluation.models()
    result = period_duration(
        trajectories, year, period_start=model.period_start_date(year),
        tau=model.rmst_tau_days, conf_level=model.conf_level, conf_type=model.km_conf_type,
        regions=evaluation.reference(settings).regions)
    return Output(result, metadata={
        "n": result["n"], "afsluitingen": result["events"],
        "mediaan_dagen": result["median_days"], "rmst_dagen": result["rmst_days"],
        "rmst_bi": str(result["rmst_ci"]), **_problems(result)})


@asset(**ASSET, name=keys.OUTCOME_MODELS, kinds={"numpy", "json"},
       description="Een Cox-model per afsluituitkomst (oorzaakspecifieke hazards, vertraagde "
                   "instap) en Fine-Gray voor uithuiszetting (instroom van het jaar).")
def outcome_models_(context: AssetExecutionContext, trajectories: pl.DataFrame,
                    evaluation: EvaluationSettings) -> Output[dict]:
    model = evaluation.models()
    result = {"cause_specific": outcome_models.cause_specific(trajectories, model),
              "fine_gray": outcome_models.fine_gray_models(trajectories, model)}
    return Output(result, metadata={
        f"{kind}_{outcome}_afsluitingen": block["events"]
        for kind, blocks in result.items() for outcome, block in blocks.items()})


@asset(**ASSET, name=keys.REGIONAL_COMPARISON, kinds={"numpy", "json"},
       description="Eerlijke regiovergelijking: per CAW waargenomen tegen verwacht (case-mix "
                   "zonder regio), met trechtergrenzen (95 % en 99,8 %).")
def regional_comparison(context: AssetExecutionContext, trajectories: pl.DataFrame,
                        evaluation: EvaluationSettings) -> Output[dict]:
    result = regional.regional_comparison(trajectories, evaluation.models())
    signals = [f"{outcome}:{row['caw']}:{row['signal']}"
               for outcome, block in regional.by_outcome(result).items()
               for row in block["per_caw"] if row["signal"]]
    return Output(result, metadata={"signalen": MetadataValue.json(signals)})


MODEL_ASSETS = [time_to_closure, closure_hazards, closure_outcomes, eviction_avoidance,
                duration, outcome_models_, regional_comparison]
