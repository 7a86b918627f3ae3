"""The Dagster definitions: a snapshot of the graph's shape, so a change to it shows in review.

The snapshot (tests/python/snapshots/definitions.json) lists every asset with its group and
dependencies, every check with the asset it belongs to and whether it blocks, every job's
selection, every schedule and sensor. When a change to the graph is intended, regenerate it with
`UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/python/test_definitions.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs
from orchestration.settings import PROJECT_ROOT

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def definitions_shape(definitions: dg.Definitions) -> dict:
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "materializable": node.is_materializable,
        }
    checks = {}
    for assets_def in graph.assets_defs:
        for spec in assets_def.check_specs:
            checks[f"{spec.asset_key.to_user_string()}:{spec.name}"] = {"blocking": spec.blocking}
    jobs = {}
    for job in sorted(definitions.resolve_all_job_defs(), key=lambda job: job.name):
        if job.name.startswith("__"):
            continue  # Dagster's implicit asset job
        jobs[job.name] = sorted(node.name for node in job.graph.nodes)
    schedules = {
        schedule.name: {
            "job": schedule.job_name,
            "cron": schedule.cron_schedule,
            "status": schedule.default_status.value,
        }
        for schedule in definitions.schedules or []
    }
    sensors = {
        sensor.name: {"job": sensor.job_name, "status": sensor.default_status.value}
        for sensor in definitions.sensors or []
    }
    return {
        "assets": assets,
        "checks": dict(sorted(checks.items())),
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
    }


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_definitions_match_the_snapshot():
    shape = definitions_shape(defs)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(shape, indent=2, sort_keys=True) + "\n")
    assert shape == json.loads(SNAPSHOT.read_text()), (
        "the Dagster definitions changed: if intended, regenerate the snapshot (see this module's docstring)"
    )


def test_graph_runs_from_the_export_to_the_marts():
    graph = defs.resolve_asset_graph()
    export = dg.AssetKey(["gcp_billing_export", "detailed_usage_cost"])
    # staging and the FOCUS-aligned line items are ephemeral: compiled into the models reading them
    assert export in graph.get(dg.AssetKey(["int_cost_group_totals"])).parent_keys
    assert dg.AssetKey(["int_cost_groups_allocated"]) in graph.get(dg.AssetKey(["fct_cost_line_items"])).parent_keys
    assert dg.AssetKey(["int_cost_groups_allocated"]) in graph.get(dg.AssetKey(["fct_chargeback_monthly"])).parent_keys


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
        return {
            node["name"]: node["config"]["meta"].get("dagster", {}).get("ref", {}).get("name")
            for node in nodes
            if node["resource_type"] == "test" and node["name"].startswith("assert_")
        }

    expected = {
        "assert_cost_group_splits_add_up": "int_cost_groups_allocated",
        "assert_cost_anomalies_are_consistent": "fct_cost_anomalies",
    }
    assert parse_refs("--no-partial-parse") == expected
    sources = project / "models/staging/gcp_billing_export/_gcp_billing_export__sources.yml"
    text = sources.read_text()
    assert "count: 36, period: hour" in text, "the source's freshness changed: update this edit"
    sources.write_text(text.replace("count: 36, period: hour", "count: 37, period: hour"))
    assert parse_refs() == expected  # partial parse
