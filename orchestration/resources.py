"""Resources shared by the domains, built from the environment (see environment.py)."""

from __future__ import annotations

import os

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.environment import Environment, dbt_subprocess_env
from orchestration.transform.project import dbt_project


class DuckDBWarehouse(dg.ConfigurableResource):
    """The embedded warehouse file the ingestion writes raw tables into (dbt writes the rest)."""

    path: str
    memory_limit: str = "3GB"


def build_resources(environment: Environment) -> dict[str, object]:
    # dbt runs as a subprocess of this one and reads the warehouse path from the environment.
    os.environ.update(dbt_subprocess_env(environment))
    return {
        "dbt": DbtCliResource(project_dir=dbt_project, target=environment.dbt_target),
        "warehouse": DuckDBWarehouse(path=str(environment.duckdb_path), memory_limit=environment.duckdb_memory_limit),
    }
