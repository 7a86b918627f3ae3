"""Jobs and the daily schedule. The CLI runs these same jobs, so a person, the UI and the
schedule all take one code path."""

from __future__ import annotations

import dagster as dg

from orchestration.freshness import freshness_check_keys
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.quality.checks import EXPORT_SCHEMA_KEY

# The export's freshness checks run in their own job (hourly; see freshness.py): not after
# every ingestion, and never beside dbt in one run (the local DuckDB file has one writer).
_freshness = dg.AssetSelection.checks(*freshness_check_keys())
# The export's GX schema check is a gate in front of dbt (blocking): it runs in the jobs that
# build, not in the one that loads (the loader judges each file itself and names the line).
_export_schema_check = dg.AssetSelection.checks(EXPORT_SCHEMA_KEY)
_ingestion = dg.AssetSelection.assets(GCP_BILLING_EXPORT) - _freshness
# On BigQuery the export is an external asset (read in place), which no job materializes.
_everything = dg.AssetSelection.all().materializable() - _freshness
_dbt = _everything - _ingestion

ingest_gcp_job = dg.define_asset_job(
    "ingest_gcp_job",
    selection=_ingestion - _export_schema_check,
    description="Load GCP export files into the raw table (local warehouse only).",
)
build_job = dg.define_asset_job(
    "build_job",
    selection=_dbt | _export_schema_check,
    description="dbt build and every check: the export's schema, seeds, models, tests, money and tag coverage.",
)
daily_job = dg.define_asset_job(
    "daily_chargeback_job",
    selection=_everything,
    description="Ingest whatever landed, then rebuild the chargeback marts.",
)

daily_schedule = dg.ScheduleDefinition(
    name="daily_chargeback_schedule",
    job=daily_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every morning, after Google's overnight export, load new files and rebuild.",
)
