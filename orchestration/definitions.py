"""Everything Dagster loads: `dagster dev` and the `chargeback` CLI both use these definitions."""

from __future__ import annotations

import dagster as dg

from orchestration.environment import current_environment
from orchestration.ingestion.assets import GCP_BILLING_EXPORT, gcp_billing_export
from orchestration.ingestion.sensors import build_landing_sensor
from orchestration.jobs import build_job, daily_job, daily_schedule, ingest_gcp_job
from orchestration.quality.checks import quality_checks
from orchestration.resources import build_resources
from orchestration.transform.assets import dbt_model_assets

environment = current_environment()

# On BigQuery the export table is read in place: it is an external asset, not loaded by us.
ingestion_assets = [gcp_billing_export] if environment.is_local else [dg.AssetSpec(GCP_BILLING_EXPORT, group_name="ingestion")]

defs = dg.Definitions(
    assets=[*ingestion_assets, *dbt_model_assets],
    asset_checks=quality_checks,
    jobs=[ingest_gcp_job, build_job, daily_job] if environment.is_local else [build_job, daily_job],
    schedules=[daily_schedule],
    sensors=[build_landing_sensor(ingest_gcp_job)] if environment.is_local else [],
    resources=build_resources(environment),
)
