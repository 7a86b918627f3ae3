"""The Dagster definitions: the asset graph, its checks, jobs, schedule and sensor.

Snapshots of the graph's shape, so a change to it shows in review.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs
from orchestration.environment import PROJECT_ROOT
from orchestration.ingestion.assets import GCP_BILLING_EXPORT

MARTS = {"fct_cost_line_items", "fct_chargeback_monthly", "fct_cost_daily", "fct_tag_coverage_daily",
         "fct_unallocated_costs", "dim_teams"}


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_graph_runs_from_the_export_to_the_marts():
    graph = _graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert GCP_BILLING_EXPORT.to_user_string() in keys
    assert {f"{m}" for m in MARTS} <= keys
    # staging and the FOCUS-aligned line items are ephemeral: compiled into the models reading them
    totals = graph.get(dg.AssetKey(["int_cost_group_totals"]))
    assert GCP_BILLING_EXPORT in totals.parent_keys
    line_items = graph.get(dg.AssetKey(["fct_cost_line_items"]))
    assert dg.AssetKey(["int_cost_groups_allocated"]) in line_items.parent_keys
    allocated = graph.get(dg.AssetKey(["int_cost_groups_allocated"]))
    assert dg.AssetKey(["int_cost_groups_attributed"]) in allocated.parent_keys
    monthly = graph.get(dg.AssetKey(["fct_chargeback_monthly"]))
    assert dg.AssetKey(["int_cost_groups_allocated"]) in monthly.parent_keys


def test_asset_groups():
    graph = _graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups[GCP_BILLING_EXPORT.to_user_string()] == "ingestion"
    assert groups["int_cost_groups_attributed"] == "intermediate"
    assert all(groups[m] == "marts" for m in MARTS)
    assert groups["teams"] == "configuration"


def test_dbt_tests_are_asset_checks():
    check_keys = {(key.asset_key.to_user_string(), key.name) for key in _graph().asset_check_keys}
    assert ("fct_cost_line_items", "unique_fct_cost_line_items_line_item_id") in check_keys
    assert ("fct_chargeback_monthly", "assert_gcp_cost_conserved") in check_keys


def test_singular_tests_keep_their_dagster_ref_through_a_partial_parse(tmp_path: Path):
    """dbt 1.11's partial parse drops a singular test's YAML config when a file it depends on
    changes; the Dagster `ref` lives in the test's SQL so the check keeps its asset."""
    project = tmp_path / "dbt"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    for name in ("models", "seeds", "macros", "tests/dbt"):
        shutil.copytree(PROJECT_ROOT / name, project / name)

    def parse_refs(*flags: str) -> dict[str, object]:
        subprocess.run(["dbt", "parse", "--quiet", *flags], cwd=project, check=True)
        nodes = json.loads((project / "target" / "manifest.json").read_text())["nodes"].values()
        return {node["name"]: node["config"]["meta"].get("dagster", {}).get("ref", {}).get("name")
                for node in nodes if node["resource_type"] == "test" and node["name"].startswith("assert_")}

    expected = {"assert_gcp_cost_conserved": "fct_chargeback_monthly",
                "assert_cost_group_splits_add_up": "int_cost_groups_allocated",
                "assert_shared_cost_pools_configured": "shared_cost_pool_weights"}
    assert parse_refs("--no-partial-parse") == expected
    sources = project / "models/staging/gcp_billing_export/_gcp_billing_export__sources.yml"
    text = sources.read_text()
    assert "count: 36, period: hour" in text, "the source's freshness changed: update this edit"
    sources.write_text(text.replace("count: 36, period: hour", "count: 37, period: hour"))
    assert parse_refs() == expected  # partial parse


def test_jobs_schedule_and_sensor():
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"ingest_gcp_job", "build_job", "daily_chargeback_job"}
    schedule = defs.resolve_schedule_def("daily_chargeback_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.job_name == "daily_chargeback_job"
    sensor = defs.resolve_sensor_def("gcp_landing_folder_sensor")
    assert sensor.job_name == "ingest_gcp_job"
