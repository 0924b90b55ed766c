"""The year's outputs in OUT/Y: results.json, quarantaine.csv, rapport.html."""


import datetime as dt
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.models import ModelSettingsResource
from assets.partitions import reporting_years
from assets.resources import PwbSettings
from pipeline import outputs
from pipeline.indicators import programme_sheets
from pipeline.report.render import render_report
from pipeline.results import build_results


@asset(partitions_def=reporting_years, group_name="rapport", kinds={"html", "json"},
       owners=["team:pwb"],
       description="Jaarresultaten: results.json, quarantaine.csv en rapport.html in OUT/jaar.")
def jaarrapport(context: AssetExecutionContext, settings: PwbSettings,
                model_settings: ModelSettingsResource,
                bestandsverslag: pl.DataFrame, quarantaine: pl.DataFrame,
                trajectories: pl.DataFrame, time_to_closure: dict, closure_hazards: dict,
                closure_outcomes: dict, eviction_avoidance: dict,
                programme_indicators: dict, need_supply: dict) -> MaterializeResult:
    year = int(context.partition_key)
    folder = Path(settings.out_dir) / str(year)
    results = build_results(year, bestandsverslag, quarantaine, trajectories,
                            settings.reference(), synthetic=settings.synthetic)
    results |= {"time_to_closure": time_to_closure, "cox": closure_hazards,
                "cumulative_incidence": closure_outcomes, "eviction_avoided": eviction_avoidance,
                "model_settings": model_settings.settings().as_dict(),
                "indicators": programme_indicators, "need_supply": need_supply}
    outputs.write_json(folder / outputs.RESULTS_FILE, results)
    outputs.write_csv(folder / outputs.QUARANTINE_FILE, quarantaine.select(
        pl.col("bron_bestand").alias("bestand"), pl.col("bron_regel").alias("regel"),
        "caw", "regels", "melding"))
    sheets = {"bestanden": results["validation"]["files"],
              **programme_sheets(programme_indicators, need_supply)}
    outputs.write_workbook(folder / outputs.WORKBOOK_FILE, sheets,
                           created=dt.datetime(year + 1, 1, 1))
    report = outputs.write_text(folder / outputs.REPORT_FILE, render_report(results))
    return MaterializeResult(metadata={
        "rapport": MetadataValue.url(report.resolve().as_uri()),
        "map": MetadataValue.path(str(folder)), **results["counts"]})
