"""Everything Dagster loads: `dagster dev`, deployed code and the `chargeback` CLI use these.

The settings are read from the environment once, here; every domain gets what it needs from them
or from the resources built from them (orchestration/resources.py).
"""

from __future__ import annotations

import dagster as dg

from orchestration.alerts.assets import spend_alerts
from orchestration.alerts.checks import alert_checks_for
from orchestration.freshness.asset_checks import build_export_freshness_checks
from orchestration.freshness.thresholds import thresholds_from_source
from orchestration.ingestion.assets import GCP_BILLING_EXPORT, gcp_billing_export
from orchestration.ingestion.business_metrics_asset import business_metrics
from orchestration.ingestion.sensors import gcp_landing_folder_sensor
from orchestration.jobs import build_jobs, build_schedules
from orchestration.quality.gx_checks import quality_checks
from orchestration.resources import build_resources
from orchestration.settings import Settings
from orchestration.transform.assets import build_dbt_assets
from orchestration.transform.project import DbtManifest, chargeback_dbt_project, require_prepared
from orchestration.transform.publication import build_publication_asset


def build_definitions(settings: Settings) -> dg.Definitions:
    project = chargeback_dbt_project(settings)
    require_prepared(project, settings)
    manifest = DbtManifest.read(project.manifest_path)
    # On BigQuery the export table is read in place: an external asset, not loaded by us.
    export = gcp_billing_export if settings.is_local else dg.AssetSpec(GCP_BILLING_EXPORT, group_name="ingestion")
    dbt_assets = build_dbt_assets(project)
    # A build is published once every check passed (write, audit, publish).
    publication = build_publication_asset(dbt_assets.keys, "duckdb" if settings.is_local else "bigquery")
    return dg.Definitions(
        # Alerts after the publication: never about data readers cannot see yet.
        assets=[export, business_metrics, dbt_assets, publication, spend_alerts],
        asset_checks=[
            *quality_checks,
            *build_export_freshness_checks(thresholds_from_source(manifest.export_source())),
            *alert_checks_for(manifest),
        ],
        jobs=build_jobs(settings.is_local),
        schedules=build_schedules(settings.is_local),
        sensors=[gcp_landing_folder_sensor] if settings.is_local else [],
        resources=build_resources(settings, project),
    )


defs = build_definitions(Settings.from_env())
