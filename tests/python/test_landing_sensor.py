"""The landing-folder sensor: one run per new or changed extract, in load order, once."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.generate.gcp import generate_gcp_export
from orchestration.ingestion.assets import gcp_billing_export


@pytest.fixture()
def landing() -> Path:
    landing = Path(defs.resources["landing_folder"].path)
    shutil.rmtree(landing, ignore_errors=True)
    generate_gcp_export(landing, rows=1500, seed=5, months=1)
    yield landing
    shutil.rmtree(landing, ignore_errors=True)


def _evaluate(cursor=None):
    sensor = defs.resolve_sensor_def("gcp_landing_folder_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"landing_folder": defs.resources["landing_folder"]}
        )
        return sensor.evaluate_tick(context)


def _paths(request: dg.RunRequest) -> list[str]:
    return request.run_config["ops"][gcp_billing_export.op.name]["config"]["paths"]


def test_one_run_per_extract_in_load_order(landing):
    result = _evaluate()
    extract_folders = sorted({p.parent for p in landing.rglob("*.json.gz")})
    assert len(result.run_requests) == len(extract_folders)
    requested = [Path(_paths(r)[0]).parent for r in result.run_requests]
    assert requested == extract_folders  # extract=<timestamp> folders sort chronologically
    assert len({r.run_key for r in result.run_requests}) == len(result.run_requests)


def test_nothing_new_means_no_run(landing):
    first = _evaluate()
    second = _evaluate(cursor=first.cursor)
    assert not second.run_requests
    assert second.skip_message


def test_a_changed_extract_runs_again(landing):
    first = _evaluate()
    shard = sorted(landing.rglob("*.json.gz"))[0]
    shard.write_bytes(shard.read_bytes())  # rewritten: new mtime
    second = _evaluate(cursor=first.cursor)
    assert [Path(_paths(r)[0]).parent for r in second.run_requests] == [shard.parent]


def test_missing_landing_folder_is_a_skip():
    shutil.rmtree(defs.resources["landing_folder"].path, ignore_errors=True)
    result = _evaluate()
    assert not result.run_requests and "does not exist" in result.skip_message
