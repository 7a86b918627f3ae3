"""Every job and schedule. The CLI runs these same jobs, so a person, the UI and a schedule all
take one code path.

- `ingest_gcp_job` (local warehouse only): load export files into the raw table. The landing-folder
  sensor (ingestion/sensors.py) starts it for each new extract.
- `build_job`: the export's schema gate, then `dbt build` (seeds, models, tests, the money gate
  before the marts), then the data-quality checks on the marts, then `published_warehouse`, which
  shows readers the build once all of that passed (transform/publication.py), then `spend_alerts`,
  which tells people of new budget and anomaly events (alerts/assets.py).
- `ingest_business_metrics_job`: load the business's unit-metric CSV files (requests served, ...)
  from the metrics folder (ingestion/business_metrics_asset.py), on either warehouse.
- `daily_chargeback_job`: all of these, every morning (`daily_chargeback_schedule`).
- `gcp_export_freshness_job`: is the export still arriving? Hourly (`gcp_export_freshness_schedule`).
"""

from __future__ import annotations

import dagster as dg

from orchestration.freshness.asset_checks import FRESHNESS_CHECK_KEYS
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.ingestion.business_metrics_asset import BUSINESS_METRIC_DELIVERIES, BUSINESS_METRIC_VALUES
from orchestration.processes import fail_dead_runs
from orchestration.quality.gx_checks import EXPORT_SCHEMA_KEY

INGEST_JOB = "ingest_gcp_job"
BUILD_JOB = "build_job"
DAILY_JOB = "daily_chargeback_job"
FRESHNESS_JOB = "gcp_export_freshness_job"
BUSINESS_METRICS_JOB = "ingest_business_metrics_job"
# Jobs that write the local working copy; a freshness run started while one runs would wait for
# its lock (orchestration/locks.py), so the schedule skips that tick (the next hour checks again).
WAREHOUSE_WRITING_JOBS = (INGEST_JOB, BUILD_JOB, DAILY_JOB, BUSINESS_METRICS_JOB)

# The export's freshness checks run in their own job (hourly): not after every ingestion, and
# never beside dbt in one run (the local working copy has one writer at a time).
_freshness = dg.AssetSelection.checks(*FRESHNESS_CHECK_KEYS)
# The export's GX schema check is a gate in front of dbt (blocking): it runs in the jobs that
# build, not in the one that loads (the loader judges each file itself and names the line).
_export_schema_check = dg.AssetSelection.checks(EXPORT_SCHEMA_KEY)
_ingestion = dg.AssetSelection.assets(GCP_BILLING_EXPORT) - _freshness
# The business's metric files load in their own job (and the daily one), not in every build.
_business_metrics = dg.AssetSelection.assets(BUSINESS_METRIC_VALUES, BUSINESS_METRIC_DELIVERIES)
# On BigQuery the export is an external asset (read in place), which no job materializes.
_everything = dg.AssetSelection.all().materializable() - _freshness
_dbt = _everything - _ingestion - _business_metrics


def build_jobs(is_local: bool) -> list[dg.UnresolvedAssetJobDefinition]:
    build = dg.define_asset_job(
        BUILD_JOB,
        selection=_dbt | _export_schema_check,
        description="dbt build and every check: the export's schema, seeds, models, tests, money and tag coverage.",
    )
    daily = dg.define_asset_job(
        DAILY_JOB, selection=_everything, description="Ingest whatever landed, then rebuild the chargeback marts."
    )
    freshness = dg.define_asset_job(
        FRESHNESS_JOB,
        selection=_freshness,
        description="Is the GCP export still arriving, every day of it? Newest export_time, missing days, "
        "dbt source freshness.",
        # One check after the other: dbt-duckdb opens the file for writing, which DuckDB refuses
        # while the other check holds it open (the multiprocess default runs both at once).
        executor_def=dg.in_process_executor,
    )
    business_metrics = dg.define_asset_job(
        BUSINESS_METRICS_JOB,
        selection=_business_metrics,
        description="Load the business's unit-metric CSV files (requests served, active users, ...) from the "
        "metrics folder; re-delivered files replace what they delivered before.",
    )
    if not is_local:
        return [build, daily, freshness, business_metrics]
    ingest = dg.define_asset_job(
        INGEST_JOB,
        selection=_ingestion - _export_schema_check,
        description="Load GCP export files into the raw table (local warehouse only).",
    )
    return [ingest, build, daily, freshness, business_metrics]


daily_schedule = dg.ScheduleDefinition(
    name="daily_chargeback_schedule",
    job_name=DAILY_JOB,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every morning, after Google's overnight export, load new files and rebuild.",
)


def build_freshness_schedule(skip_while_writing: bool) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="gcp_export_freshness_schedule",
        job_name=FRESHNESS_JOB,
        cron_schedule="20 * * * *",
        execution_timezone="UTC",
        # Monitoring that is off notices nothing; the checks only read.
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every hour: is the GCP export still arriving?",
    )
    def gcp_export_freshness_schedule(context: dg.ScheduleEvaluationContext):
        if skip_while_writing:
            # A run whose process was killed stays STARTED: marked failed first, so only live
            # writers make the tick skip.
            for message in fail_dead_runs(context.instance):
                context.log.warning(message)
            busy = context.instance.get_runs(
                filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]),
                limit=50,
            )
            writing = sorted({run.job_name for run in busy if run.job_name in WAREHOUSE_WRITING_JOBS})
            if writing:
                return dg.SkipReason(f"{', '.join(writing)} is writing the local warehouse; the next tick checks")
        return dg.RunRequest()

    return gcp_export_freshness_schedule


def build_schedules(is_local: bool) -> list[dg.ScheduleDefinition]:
    return [daily_schedule, build_freshness_schedule(skip_while_writing=is_local)]
