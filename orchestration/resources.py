"""Resources shared by the domains, built from the environment (see environment.py)."""

from __future__ import annotations

import os

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.environment import PROJECT_ROOT, Environment, dbt_subprocess_env
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.transform.project import dbt_project


class DuckDBWarehouse(dg.ConfigurableResource):
    """The embedded warehouse file the ingestion writes raw tables into (dbt writes the rest)."""

    path: str
    memory_limit: str = "3GB"


def gx_dir(environment: Environment) -> str:
    """The GX file context (suites, validation results, Data Docs): beside the warehouse file
    locally, so each warehouse (the demo's, a test's) keeps its own; data/gx on BigQuery."""
    if environment.is_local:
        return str(environment.duckdb_path.parent / "gx")
    return str(PROJECT_ROOT / "data" / "gx")


def great_expectations_resource(environment: Environment) -> GreatExpectationsResource:
    if environment.is_local:
        return GreatExpectationsResource(
            warehouse="duckdb", duckdb_path=str(environment.duckdb_path), gx_dir=gx_dir(environment)
        )
    return GreatExpectationsResource(
        warehouse="bigquery",
        bigquery_project=dg.EnvVar("CHARGEBACK_BQ_PROJECT"),
        bigquery_dataset=dg.EnvVar("CHARGEBACK_BQ_DATASET"),
        # Not a secret, and optional: the same default as profiles.yml.
        bigquery_location=os.environ.get("CHARGEBACK_BQ_LOCATION", "US"),
        gx_dir=gx_dir(environment),
    )


def build_resources(environment: Environment) -> dict[str, object]:
    # dbt runs as a subprocess of this one and reads the warehouse path from the environment.
    os.environ.update(dbt_subprocess_env(environment))
    return {
        "dbt": DbtCliResource(project_dir=dbt_project, target=environment.dbt_target),
        "warehouse": DuckDBWarehouse(path=str(environment.duckdb_path), memory_limit=environment.duckdb_memory_limit),
        "great_expectations": great_expectations_resource(environment),
    }
