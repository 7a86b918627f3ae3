"""The dbt project as Dagster assets; dbt tests run as their asset checks.

Two steps, so that a blocking check can stand between them: first the seeds, the cost groups and
the lookups (intermediate models, dim_teams, and their tests), then the attribution and shared-cost
allocation of the cost groups and every mart (what BI tools read, and their tests). `gx_money_conserved_before_marts`
(orchestration/quality) is a blocking check on int_cost_groups: when the line items summed into
cost groups do not add up to the export, the marts step never starts and the published marts
stay as they were - fct_cost_line_items too, a view whose SQL (staging included: it is ephemeral)
is only replaced by the marts step. Within the marts step, dbt build tests the allocated groups
before it builds the marts from them.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.transform.checks import check_configuration_before_dbt
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import ChargebackDbtTranslator

# Attribution and allocation of the cost groups, the fact marts built from them, and their tests:
# what the gate protects. The step starts at int_cost_groups_attributed because it reads
# int_cost_groups, the asset the gate checks: Dagster holds back what depends on a checked asset.
# (dim_teams, built from the teams seed alone, goes with the first step: tests on seeds refer to it.)
MARTS_SELECTION = "int_cost_groups_attributed+"


def build_dbt_model_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    """The two dbt steps of `project` (a factory, so a test can build a modified copy)."""

    def build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        check_configuration_before_dbt(context, project.project_dir / "seeds")
        yield from dbt.cli(["build"], context=context).stream()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ChargebackDbtTranslator(),
        exclude=MARTS_SELECTION,
        name="chargeback_dbt_models",
    )
    def chargeback_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """`dbt build` of seeds, staging and intermediate models and dim_teams, with their tests.

        The configuration seeds are checked first: on any problem the step fails before dbt runs."""
        yield from build(context, dbt)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ChargebackDbtTranslator(),
        select=MARTS_SELECTION,
        name="chargeback_dbt_marts",
    )
    def chargeback_dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """`dbt build` of the cost groups' attribution and allocation, fct_cost_line_items and the
        marts, their tests and the conservation tests. Runs only after the money gate passed."""
        yield from build(context, dbt)

    return [chargeback_dbt_models, chargeback_dbt_marts]


dbt_model_assets = build_dbt_model_assets(dbt_project)
chargeback_dbt_models, chargeback_dbt_marts = dbt_model_assets
