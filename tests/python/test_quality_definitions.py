"""Where the checks sit in the jobs: the gates run before what they protect."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import defs
from orchestration.quality.gx_checks import QUALITY_CHECK_KEYS


def _upstream_nodes(job: dg.JobDefinition, node_name: str) -> set[str]:
    structure = job.graph.dependency_structure
    return {
        output.node_name
        for outputs in structure.input_to_upstream_outputs_for_node(node_name).values()
        for output in outputs
    }


def test_every_quality_check_is_defined():
    assert set(QUALITY_CHECK_KEYS) <= set(defs.resolve_asset_graph().asset_check_keys)


def test_build_job_runs_the_schema_gate_before_dbt_and_the_coverage_checks_after():
    job = defs.resolve_job_def("build_job")
    nodes = {node.name for node in job.graph.nodes}
    schema_gate = "gcp_billing_export__detailed_usage_cost_gx_export_schema"
    assert {schema_gate, "chargeback_dbt", "gx_coverage_checks"} <= nodes
    # A blocking check: dbt waits for the export's schema.
    assert schema_gate in _upstream_nodes(job, "chargeback_dbt")
    assert "chargeback_dbt" in _upstream_nodes(job, "gx_coverage_checks")


def test_the_money_gate_is_a_blocking_dbt_test_on_the_cost_groups():
    """dbt build builds nothing downstream of a failing error-severity test; dagster-dbt shows
    it as a blocking check of int_cost_groups. No second query of the money in Python."""
    graph = defs.resolve_asset_graph()
    gate = dg.AssetCheckKey(dg.AssetKey(["int_cost_groups"]), "cost_groups_conserve_gcp_export_money")
    assert gate in graph.asset_check_keys
    spec = next(
        spec for spec in defs.resolve_assets_def(dg.AssetKey(["int_cost_groups"])).check_specs if spec.key == gate
    )
    assert spec.blocking
    assert not any("money" in key.name for key in QUALITY_CHECK_KEYS)


def test_ingestion_does_not_run_the_schema_gate():
    nodes = {node.name for node in defs.resolve_job_def("ingest_gcp_job").graph.nodes}
    assert nodes == {"gcp_billing_export__detailed_usage_cost"}
