"""The landing-folder sensor: one run per new or changed extract, in load order, once."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun
from export_files import bq_row, extract_dir, write_shard

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


@pytest.fixture()
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _evaluate(cursor=None, instance=None):
    sensor = defs.resolve_sensor_def("gcp_landing_folder_sensor")
    with contextlib.ExitStack() as stack:
        instance = instance or stack.enter_context(dg.instance_for_test())
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"landing_folder": defs.resources["landing_folder"]}
        )
        return sensor.evaluate_tick(context)


def _launch(instance, requests, status) -> None:
    """What the daemon does with a tick's requests: a run per request, tagged with its run_key and
    the sensor, here ended (or not) with `status`."""
    for request in requests:
        instance.add_run(
            DagsterRun(
                job_name="ingest_gcp_job",
                run_id=str(uuid.uuid4()),
                status=status,
                tags={"dagster/run_key": request.run_key, "dagster/sensor_name": "gcp_landing_folder_sensor"},
            )
        )


def _paths(request: dg.RunRequest) -> list[str]:
    return request.run_config["ops"][gcp_billing_export.op.name]["config"]["paths"]


def test_one_run_per_extract_in_load_order(landing):
    result = _evaluate()
    extract_folders = sorted({p.parent for p in landing.rglob("*.json.gz")})
    assert len(result.run_requests) == len(extract_folders)
    requested = [Path(_paths(r)[0]).parent for r in result.run_requests]
    assert requested == extract_folders  # extract=<timestamp> folders sort chronologically
    assert len({r.run_key for r in result.run_requests}) == len(result.run_requests)


def test_nothing_new_means_no_run(landing, instance):
    first = _evaluate(instance=instance)
    _launch(instance, first.run_requests, dg.DagsterRunStatus.SUCCESS)
    second = _evaluate(cursor=first.cursor, instance=instance)
    assert not second.run_requests
    assert second.skip_message


def test_a_changed_extract_runs_again(landing, instance):
    first = _evaluate(instance=instance)
    _launch(instance, first.run_requests, dg.DagsterRunStatus.SUCCESS)
    shard = sorted(landing.rglob("*.json.gz"))[0]
    shard.write_bytes(shard.read_bytes())  # rewritten: new mtime
    second = _evaluate(cursor=first.cursor, instance=instance)
    assert [Path(_paths(r)[0]).parent for r in second.run_requests] == [shard.parent]


@pytest.mark.parametrize("ended", [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED])
def test_an_extract_whose_run_failed_is_requested_again_until_it_loads(landing, instance, ended):
    """A failed ingestion (the warehouse was locked, the process killed) does not lose its export
    days: the next tick requests the extract again, under a new run_key, until a run succeeds."""
    first = _evaluate(instance=instance)
    failed, loaded = first.run_requests[:1], first.run_requests[1:]
    _launch(instance, failed, ended)
    _launch(instance, loaded, dg.DagsterRunStatus.SUCCESS)

    second = _evaluate(cursor=first.cursor, instance=instance)
    assert [_paths(r) for r in second.run_requests] == [_paths(failed[0])]
    assert second.run_requests[0].run_key != failed[0].run_key  # Dagster would skip a run_key it has seen

    _launch(instance, second.run_requests, dg.DagsterRunStatus.SUCCESS)
    third = _evaluate(cursor=second.cursor, instance=instance)
    assert not third.run_requests


@pytest.mark.parametrize("pending", [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED])
def test_an_extract_whose_run_is_still_going_is_not_requested_twice(landing, instance, pending):
    first = _evaluate(instance=instance)
    _launch(instance, first.run_requests, pending)
    second = _evaluate(cursor=first.cursor, instance=instance)
    assert not second.run_requests


def test_a_run_whose_process_was_killed_is_failed_and_its_extract_requested_again(landing, instance):
    """An ingestion executed by a process that is gone stays STARTED for ever unless someone says
    otherwise: the sensor marks it failed and requests its extract again."""
    from orchestration.processes import HOST_TAG, PID_TAG, process_tags

    first = _evaluate(instance=instance)
    dead = {**process_tags(), PID_TAG: str(_pid_of_an_ended_process())}
    for request in first.run_requests:
        instance.add_run(
            DagsterRun(
                job_name="ingest_gcp_job",
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.STARTED,
                tags={"dagster/run_key": request.run_key, "dagster/sensor_name": "gcp_landing_folder_sensor", **dead},
            )
        )
    second = _evaluate(cursor=first.cursor, instance=instance)
    assert len(second.run_requests) == len(first.run_requests)
    assert all(
        r.status == dg.DagsterRunStatus.FAILURE
        for r in instance.get_runs(filters=dg.RunsFilter(tags={HOST_TAG: dead[HOST_TAG]}))
    )


def _pid_of_an_ended_process() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_cursor_of_the_earlier_form_is_read(landing, instance):
    """Before, the cursor held extract -> fingerprint (the run_key): those runs are looked up."""
    import json

    first = _evaluate(instance=instance)
    earlier = json.dumps({str(Path(_paths(r)[0]).parent): r.run_key for r in first.run_requests})
    _launch(instance, first.run_requests[:1], dg.DagsterRunStatus.FAILURE)
    _launch(instance, first.run_requests[1:], dg.DagsterRunStatus.SUCCESS)
    second = _evaluate(cursor=earlier, instance=instance)
    assert [_paths(r) for r in second.run_requests] == [_paths(first.run_requests[0])]


def test_missing_landing_folder_is_a_skip():
    shutil.rmtree(defs.resources["landing_folder"].path, ignore_errors=True)
    result = _evaluate()
    assert not result.run_requests and "does not exist" in result.skip_message


def test_an_extract_refused_for_bad_input_waits_for_its_files_to_change(landing, instance):
    """A refusal (bad input, named by file, line and field) would only repeat: not retried until the
    extract is replaced; a failure for any other reason is (above)."""
    bad = extract_dir(landing, "2026-06-30", "20260701T000000Z")
    shard = write_shard(bad, 0, [], raw_lines=["{not json"])
    first = _evaluate(instance=instance)
    [refused] = [r for r in first.run_requests if Path(_paths(r)[0]).parent == bad]
    _launch(instance, [r for r in first.run_requests if r is not refused], dg.DagsterRunStatus.SUCCESS)
    result = defs.resolve_job_def("ingest_gcp_job").execute_in_process(
        run_config=refused.run_config,
        instance=instance,
        tags={"dagster/run_key": refused.run_key, "dagster/sensor_name": "gcp_landing_folder_sensor"},
        raise_on_error=False,
    )
    assert not result.success

    second = _evaluate(cursor=first.cursor, instance=instance)
    assert not second.run_requests

    shard.unlink()
    write_shard(bad, 0, [bq_row(1, export_time="2026-07-01 00:00:00 UTC")])
    third = _evaluate(cursor=second.cursor, instance=instance)
    assert [Path(_paths(r)[0]).parent for r in third.run_requests] == [bad]
