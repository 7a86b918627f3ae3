"""The dbt project as Dagster assets; dbt tests run as their asset checks.

One `dbt build`, checked before and during:
- before: the configuration seeds (configuration_gate.py; nothing runs on a bad configuration),
  and the export's schema (the blocking GX check gx_export_schema, on the export asset upstream);
- during: dbt builds each model and runs its tests before anything downstream of it. The money
  gate is the test `cost_groups_conserve_gcp_export_money` on int_cost_groups (the line items
  summed per cost group must add up to the export): when it fails, dbt builds nothing downstream -
  not the attribution, the allocation nor any mart - so the published marts stay as they were,
  fct_cost_line_items too (a view whose SQL, staging included, only that build replaces).
  dagster-dbt shows every error-severity test as a blocking asset check.
- after: the headline figures of the watching-spend marts as their metadata (headlines.py);
  locally, `published_warehouse` (publication.py) publishes what this step built once every
  check has passed; until then readers see the previous build.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import Warehouse
from orchestration.transform.configuration_gate import check_configuration_before_dbt
from orchestration.transform.headlines import headline_observations
from orchestration.transform.publication import building
from orchestration.transform.translator import ChargebackDbtTranslator


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """Every dbt node of `project` as one step (a factory, so a test can build a modified copy)."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ChargebackDbtTranslator(),
        name="chargeback_dbt",
    )
    def chargeback_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        """`dbt build`: seeds, models and their tests, the money gate before the marts.

        The configuration seeds are checked first: on any problem the step fails before dbt runs.
        dbt then has the working copy to itself (an ingestion waits for its turn)."""
        check_configuration_before_dbt(context, project.project_dir / "seeds")
        with building(warehouse, context.run.run_id):
            yield from dbt.cli(["build"], context=context).stream()
            # dbt has ended: the marts' headline figures, from what it just built
            yield from headline_observations(warehouse, set(context.selected_asset_keys))

    return chargeback_dbt
