"""Where the data-quality checks sit in the jobs: the gates run before what they protect."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import defs
from orchestration.quality.checks import QUALITY_CHECK_KEYS


def _upstream_nodes(job: dg.JobDefinition, node_name: str) -> set[str]:
    structure = job.graph.dependency_structure
    return {output.node_name for outputs in structure.input_to_upstream_outputs_for_node(node_name).values()
            for output in outputs}


def test_every_quality_check_is_defined():
    assert set(QUALITY_CHECK_KEYS) <= set(defs.resolve_asset_graph().asset_check_keys)


def test_build_job_runs_the_gates_before_what_they_protect():
    job = defs.resolve_job_def("build_job")
    nodes = {node.name for node in job.graph.nodes}
    schema_gate = "gcp_billing_export__detailed_usage_cost_gx_export_schema"
    money_gate = "int_cost_groups_gx_money_conserved_before_marts"
    assert {schema_gate, money_gate, "chargeback_dbt_models", "chargeback_dbt_marts", "gx_mart_checks"} <= nodes
    # Blocking checks: dbt waits for the export's schema, the marts wait for the money.
    assert schema_gate in _upstream_nodes(job, "chargeback_dbt_models")
    assert money_gate in _upstream_nodes(job, "chargeback_dbt_marts")
    assert "chargeback_dbt_models" in _upstream_nodes(job, money_gate)
    assert "chargeback_dbt_marts" in _upstream_nodes(job, "gx_mart_checks")


def test_ingestion_does_not_run_the_schema_gate():
    nodes = {node.name for node in defs.resolve_job_def("ingest_gcp_job").graph.nodes}
    assert nodes == {"gcp_billing_export__detailed_usage_cost"}


def test_marts_step_holds_the_line_items_and_what_is_built_from_them():
    marts = {key.to_user_string() for key in defs.resolve_assets_def(dg.AssetKey(["fct_chargeback_monthly"])).keys}
    assert {"fct_cost_line_items", "fct_chargeback_monthly", "fct_cost_daily", "fct_tag_coverage_daily",
            "fct_unallocated_costs"} <= marts
    assert "dim_teams" not in marts and "int_cost_groups" not in marts and "int_cost_groups_allocated" in marts
