"""The yearly schedule, the inbox sensor and the job they launch.

Schedule: on 1 February at 06:00 (Brussels time) the whole graph runs for the
year that just ended; another moment is one cron string away ($PWB_SCHEDULE).
Sensor: a file whose content (SHA-256) is new or changed, or a file that was
removed, re-runs the reporting years its rows touch (`pipeline.inbox`).
Rejected files are logged by name and reason, never by content.
"""

import hashlib
import json
import os
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from assets.partitions import FIRST_YEAR, reporting_years
from assets.resources import PwbSettings
from pipeline.inbox import last_complete_year, scan_inbox

DEFAULT_SCHEDULE = "0 6 1 2 *"  # 1 February, 06:00
TIMEZONE = "Europe/Brussels"

yearly_evaluation = define_asset_job(
    "jaarevaluatie", selection=AssetSelection.all(), partitions_def=reporting_years,
    description="De volledige evaluatie van één registratiejaar: inlezen, valideren, "
                "modellen, programma-indicatoren en het jaarrapport.")


def schedule_cron() -> str:
    """The schedule's cron string: $PWB_SCHEDULE, else 1 February at 06:00."""
    return os.environ.get("PWB_SCHEDULE", DEFAULT_SCHEDULE)


@schedule(job=yearly_evaluation, cron_schedule=schedule_cron(), execution_timezone=TIMEZONE,
          name="jaarlijkse_evaluatie", default_status=DefaultScheduleStatus.RUNNING,
          description="Elk jaar (standaard op 1 februari om 06:00) de evaluatie van het "
                      "vorige registratiejaar; ander moment via PWB_SCHEDULE (cron).")
def yearly_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    year = context.scheduled_execution_time.year - 1
    return RunRequest(run_key=f"jaar-{year}", partition_key=str(year),
                      tags={"pwb/bron": "jaarplanning"})


@sensor(job=yearly_evaluation, name="inbox", minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Nieuwe, gewijzigde of verwijderde bestanden in de inbox (instelling "
                    "input_dir van 'settings') starten de registratiejaren die hun rijen "
                    "raken; een bestand telt pas opnieuw als zijn inhoud (SHA-256) wijzigt.")
def inbox_sensor(context: SensorEvaluationContext, settings: PwbSettings):
    seen = json.loads(context.cursor) if context.cursor else {}
    last = last_complete_year(settings.today())
    scan = scan_inbox(Path(settings.input_dir), seen, first_year=int(FIRST_YEAR),
                      last_year=last)
    for rejection in scan.rejected:
        context.log.warning(f"Geweigerd: {rejection.message}")
    if scan.skipped:
        context.log.info(f"Overgeslagen, geen registratiebestand: {', '.join(scan.skipped)}")
    cursor = json.dumps(scan.seen, sort_keys=True)
    if not scan.years:
        reason = ("geen nieuwe of gewijzigde bestanden" if not scan.changed and not scan.removed
                  else "de gewijzigde bestanden raken geen afgesloten registratiejaar")
        if scan.rejected:
            reason += "; geweigerd: " + "; ".join(
                f"{r.file} ({r.rule})" for r in scan.rejected)
        return SensorResult(skip_reason=SkipReason(reason), cursor=cursor)
    # One run per year; the run key changes with the inbox's content, so the same state
    # never runs twice and a later change runs again.
    state = ",".join(f"{name}={entry['sha256'][:12]}" for name, entry in sorted(scan.seen.items()))
    tags = {"pwb/bron": "inbox",
            "pwb/bestanden": ", ".join(scan.changed + [f"-{n}" for n in scan.removed])[:1000]}
    if scan.rejected:
        tags["pwb/geweigerd"] = ", ".join(f"{r.file} ({r.rule})" for r in scan.rejected)[:1000]
    requests = [RunRequest(run_key=f"{year}:{_short_hash(state)}", partition_key=str(year),
                           tags=tags) for year in scan.years]
    return SensorResult(run_requests=requests, cursor=cursor)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
