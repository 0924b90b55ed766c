"""Reporting years as partitions: a yearly time window, keys like "2012".

Dagster has no yearly partitions class; a time-window definition with a yearly
cron and `%Y` keys is one. A year becomes available once it has ended.
"""

from dagster import TimeWindowPartitionsDefinition

FIRST_YEAR = "2002"  # first preventive housing support projects

reporting_years = TimeWindowPartitionsDefinition(
    start=FIRST_YEAR, cron_schedule="0 0 1 1 *", fmt="%Y"
)
