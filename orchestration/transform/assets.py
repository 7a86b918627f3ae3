"""The dbt project as Dagster assets; dbt tests run as their asset checks."""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.transform.checks import check_configuration_before_dbt
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import ChargebackDbtTranslator


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=ChargebackDbtTranslator())
def chargeback_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models and seeds: models, their tests, unit tests and the conservation check.

    The configuration seeds are checked first: on any problem the step fails before dbt runs."""
    check_configuration_before_dbt(context, dbt_project.project_dir / "seeds")
    yield from dbt.cli(["build"], context=context).stream()
