"""The dbt project as Dagster assets; dbt tests run as their asset checks.

Two steps, so that a blocking check can stand between them: everything up to the last
intermediate model (seeds, staging, intermediate views and their tests), then the marts (tables
BI tools read, and their tests). `gx_money_conserved_before_marts` (orchestration/quality) is a
blocking check on int_cost_line_items_allocated: when money is not conserved before the marts,
the marts step does not start and the published marts stay as they were.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.transform.checks import check_configuration_before_dbt
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import ChargebackDbtTranslator

MARTS_SELECTION = "path:models/marts"


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    check_configuration_before_dbt(context, dbt_project.project_dir / "seeds")
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ChargebackDbtTranslator(),
    exclude=MARTS_SELECTION,
    name="chargeback_dbt_models",
)
def chargeback_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of seeds, staging and intermediate models: models, their tests and unit tests.

    The configuration seeds are checked first: on any problem the step fails before dbt runs."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ChargebackDbtTranslator(),
    select=MARTS_SELECTION,
    name="chargeback_dbt_marts",
)
def chargeback_dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the marts: the tables BI tools read, their tests and the conservation test."""
    yield from _build(context, dbt)


dbt_model_assets = [chargeback_dbt_models, chargeback_dbt_marts]
