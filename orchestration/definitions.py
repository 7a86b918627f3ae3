"""Everything Dagster loads: `dagster dev` and the `chargeback` CLI both use these definitions."""

from __future__ import annotations

import dagster as dg

from orchestration.environment import current_environment
from orchestration.freshness import build_export_freshness_checks, build_freshness_job, build_freshness_schedule
from orchestration.ingestion.assets import GCP_BILLING_EXPORT, gcp_billing_export
from orchestration.ingestion.sensors import build_landing_sensor
from orchestration.jobs import build_job, daily_job, daily_schedule, ingest_gcp_job
from orchestration.quality.checks import quality_checks
from orchestration.resources import build_resources
from orchestration.transform.assets import dbt_model_assets

environment = current_environment()

# On BigQuery the export table is read in place: it is an external asset, not loaded by us.
ingestion_assets = [gcp_billing_export] if environment.is_local else [dg.AssetSpec(GCP_BILLING_EXPORT, group_name="ingestion")]

# Is the export still arriving? Checks of the data's newest export_time, run every hour.
freshness_job = build_freshness_job()

defs = dg.Definitions(
    assets=[*ingestion_assets, *dbt_model_assets],
    asset_checks=[*quality_checks, *build_export_freshness_checks(dbt_target=environment.dbt_target)],
    jobs=[ingest_gcp_job, build_job, daily_job, freshness_job] if environment.is_local else [build_job, daily_job, freshness_job],
    schedules=[daily_schedule, build_freshness_schedule(freshness_job, skip_while_writing=environment.is_local)],
    sensors=[build_landing_sensor(ingest_gcp_job)] if environment.is_local else [],
    resources=build_resources(environment),
)
