"""The year's outputs in OUT/Y: results.json, quarantaine.csv, rapport.html.

The report is always written in Dutch (rapport.html); with the run config
``languages: [nl, en]`` (`pwb run --lang en`, or the launchpad) an English copy
rapport.en.html is written beside it from the same template. The disclosure-control
threshold of the count tables is a setting of the `evaluation` resource.

Beside them, one feedback report per CAW region present in the year, regio/<CAW>.html
(and regio/<CAW>.en.html with English), decided by the yearly report's disclosure
checkpoint after the yearly report (pipeline/report/feedback.py). The environment variable
PWB_REGIONAL_REPORTS=0 leaves them out (and the links to them): a switch for the benchmark
of their cost, not a setting.
"""


import datetime as dt
import os
from functools import partial
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from assets import keys
from assets.locking import run_key_fingerprint
from assets.partitions import reporting_years
from assets.resources import EvaluationSettings, PwbSettings
from pipeline import outputs
from pipeline.report import feedback
from pipeline.report.content import software_versions, workbook_sheets
from pipeline.report.feedback import render_regional
from pipeline.report.profile import build_profile
from pipeline.report.render import render
from pipeline.results import assemble_results

REPORT_FILES = {"nl": outputs.REPORT_FILE, "en": "rapport.en.html"}
REGIONAL_SWITCH = "PWB_REGIONAL_REPORTS"  # '0': no regional reports (benchmarks/bench_feedback.py)


class RapportConfig(Config):
    """Languages of the report to write (Dutch always)."""

    languages: list[str] = ["nl"]


@asset(name=keys.ANNUAL_REPORT, partitions_def=reporting_years, group_name="rapport",
       kinds={"html", "json"}, owners=["team:pwb"],
       ins=keys.inputs("trajectories", "time_to_closure", "closure_hazards", "closure_outcomes",
                       "eviction_avoidance", "duration", "outcome_models",
                       "regional_comparison", "evolution", "programme_indicators",
                       "need_supply"),
       description="Jaarresultaten: results.json, quarantaine.csv en rapport.html in OUT/jaar.")
def jaarrapport(context: AssetExecutionContext, config: RapportConfig, settings: PwbSettings,
                evaluation: EvaluationSettings,
                bestandsverslag: pl.DataFrame, quarantaine: pl.DataFrame,
                trajectories: pl.DataFrame, time_to_closure: dict, closure_hazards: dict,
                closure_outcomes: dict, eviction_avoidance: dict, duration: dict,
                outcome_models: dict, regional_comparison: dict, evolution: dict,
                programme_indicators: dict,
                need_supply: dict) -> MaterializeResult:
    year = int(context.partition_key)
    folder = Path(settings.out_dir) / str(year)
    reference = evaluation.reference(settings)
    results = assemble_results(  # the whole results.json, validated against its schema
        year, bestandsverslag, quarantaine, trajectories, reference,
        synthetic=settings.synthetic,
        blocks={"time_to_closure": time_to_closure, "cox": closure_hazards,
                "cumulative_incidence": closure_outcomes, "eviction_avoided": eviction_avoidance,
                "duration": duration, **outcome_models, "regional_comparison": regional_comparison,
                **evolution,
                "indicators": programme_indicators, "need_supply": need_supply},
        settings={**evaluation.record(reference), "run_date": settings.today().isoformat(),
                  "key_fingerprint": run_key_fingerprint()})
    files = {outputs.RESULTS_FILE: partial(outputs.write_json, payload=results),
             outputs.QUARANTINE_FILE: partial(outputs.write_csv, frame=quarantaine.select(
                 pl.col("bron_bestand").alias("bestand"), pl.col("bron_regel").alias("regel"),
                 "caw", "regels", "melding"))}
    profile = build_profile(trajectories, quarantaine, evaluation.models(),
                            regions=reference.regions["caw"].to_list())
    software = software_versions()
    unknown = sorted(set(config.languages) - set(REPORT_FILES))
    if unknown:
        raise ValueError(f"onbekende taal voor het rapport: {', '.join(unknown)} (kies nl of en)")
    # one feedback report per region present (regio/<CAW>.html); the yearly report links them
    regions = (feedback.report_regions(results, profile)
               if os.environ.get(REGIONAL_SWITCH, "1") != "0" else [])
    profile["regional_reports"] = regions
    for lang in REPORT_FILES:  # Dutch always; an English copy only when asked, never stale
        if lang == "nl" or lang in config.languages:
            rendered = render(results, profile=profile, lang=lang,
                              threshold=evaluation.suppression_threshold, software=software)
            if lang == "nl":  # one sheet per report table, as published (suppressed)
                files[outputs.WORKBOOK_FILE] = partial(outputs.write_workbook,
                                                       sheets=workbook_sheets(rendered.report),
                                                       created=dt.datetime(year + 1, 1, 1))
            files[REPORT_FILES[lang]] = partial(outputs.write_text, text=rendered.html)
            # decided by the yearly report's checkpoint, after it (pipeline/report/feedback.py)
            pages = render_regional(results, rendered.report, profile=profile, regions=regions,
                                    main_file=REPORT_FILES[lang])
            for code, page in pages.html.items():
                files[feedback.report_file(code, lang)] = partial(outputs.write_text, text=page)
    # OUT/Y changes as one set; a report file not written now (English, a region no longer
    # present: regio/ belongs to pwb as a whole) leaves with the old
    outputs.publish_year(folder, files, owned=[*REPORT_FILES.values(), feedback.FOLDER])
    report = folder / outputs.REPORT_FILE
    return MaterializeResult(metadata={
        "rapport": MetadataValue.url(report.resolve().as_uri()),
        "map": MetadataValue.path(str(folder)), **results["counts"]})
