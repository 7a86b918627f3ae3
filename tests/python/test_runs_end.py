"""Runs that end: a killed `chargeback build` takes its dbt with it, and a run whose process is
gone is marked failed instead of staying STARTED and blocking the schedule and the sensor.

The chaos tests run the real command in a subprocess, with a warehouse and a DAGSTER_HOME of their
own, and kill it while dbt runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest
from dagster._core.storage.dagster_run import DagsterRun
from warehouse_snapshot import working_copy

from orchestration.definitions import defs
from orchestration.generate.gcp import generate_gcp_export
from orchestration.jobs import BUILD_JOB, FRESHNESS_JOB, build_freshness_schedule
from orchestration.processes import (
    DBT_ENDING_WITH_PARENT,
    PID_TAG,
    PROCESS_START_TAG,
    fail_dead_runs,
    process_is_alive,
    process_tags,
)
from orchestration.quality.results import RESULTS_TABLE

CHARGEBACK = Path(sys.executable).parent / "chargeback"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="dbt ends with its parent on Linux")


@dataclass
class Workspace:
    warehouse: Path
    dagster_home: Path
    env: dict[str, str]

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.dagster_home))

    def runs(self, job_name: str) -> list[DagsterRun]:
        with self.instance() as instance:
            return list(instance.get_runs(filters=dg.RunsFilter(job_name=job_name)))


pytestmark = pytest.mark.usefixtures("session_manifest_kept")


@pytest.fixture()
def workspace(tmp_path, ingest) -> Workspace:
    """A warehouse holding a small export (loaded in this process), and a DAGSTER_HOME of its own."""
    export = tmp_path / "export"
    generate_gcp_export(export, rows=1500, seed=5, months=1)
    warehouse = tmp_path / "warehouse.duckdb"
    ingest(warehouse, [export])
    home = tmp_path / "dagster"
    home.mkdir()
    env = {
        **os.environ,
        "CHARGEBACK_DUCKDB_PATH": str(warehouse),
        "CHARGEBACK_LANDING_DIR": str(tmp_path / "landing"),
        "DAGSTER_HOME": str(home),
    }
    return Workspace(warehouse, home, env)


def _tables(warehouse: Path) -> set[tuple[str, str]]:
    """The tables of the working copy, where dbt writes."""
    with duckdb.connect(str(working_copy(warehouse)), read_only=True) as con:
        return set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())


def _is_dbt(process: psutil.Process) -> bool:
    """The real dbt (after the wrapper's exec), running `build`."""
    try:
        command = process.cmdline()
    except psutil.Error:
        return False
    return "build" in command and any(Path(part).name == "dbt" for part in command[:2])


def _start_build_and_wait_for_dbt(workspace: Workspace) -> tuple[subprocess.Popen, psutil.Process]:
    build = subprocess.Popen(
        [str(CHARGEBACK), "build"], env=workspace.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and build.poll() is None:
        try:
            dbt = next((p for p in psutil.Process(build.pid).children(recursive=True) if _is_dbt(p)), None)
        except psutil.NoSuchProcess:
            dbt = None
        if dbt is not None:
            return build, dbt
        time.sleep(0.1)
    build.kill()
    output = build.communicate()[0]
    pytest.fail(f"`chargeback build` never started dbt (exit {build.returncode}):\n{output[-3000:]}")


def _survivors(process: psutil.Process) -> list[psutil.Process]:
    """`process` if it still runs a minute on. Ended means gone or a zombie: an orphan is reaped
    by whoever adopted it, when that process gets round to it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return []
        except psutil.NoSuchProcess:
            return []
        time.sleep(0.2)
    process.kill()  # not left writing the next test's files
    return [process]


@linux_only
def test_sigkill_of_build_takes_dbt_with_it_and_the_next_command_fails_the_run(workspace):
    before = _tables(workspace.warehouse)
    build, dbt = _start_build_and_wait_for_dbt(workspace)
    build.kill()
    build.communicate()

    assert not _survivors(dbt), "dbt outlived the killed `chargeback build`"
    # The export's schema gate wrote its result before dbt started; dbt itself built nothing.
    created = _tables(workspace.warehouse) - before
    assert {name for _, name in created} <= {RESULTS_TABLE}, (
        f"dbt went on building after its command was killed: {created}"
    )
    [run] = workspace.runs(BUILD_JOB)
    assert run.status == dg.DagsterRunStatus.STARTED  # nobody could say otherwise: the process was killed
    assert run.tags[PID_TAG] == str(build.pid)

    # The next command that runs a job marks it failed, first thing.
    following = subprocess.run(
        [str(CHARGEBACK), "freshness"], env=workspace.env, capture_output=True, text=True, timeout=600
    )
    message = f"run {run.run_id} of build_job was found STARTED with no live process (pid {build.pid}); marked failed"
    assert message in following.stderr, following.stdout[-2000:] + following.stderr[-2000:]
    [run] = workspace.runs(BUILD_JOB)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert workspace.runs(FRESHNESS_JOB)  # and it ran its own job


@linux_only
def test_sigterm_of_build_stops_dbt_fails_the_run_and_ends_the_command(workspace):
    build, dbt = _start_build_and_wait_for_dbt(workspace)
    build.send_signal(signal.SIGTERM)
    output = build.communicate(timeout=600)[0]

    assert not _survivors(dbt), "dbt outlived the terminated `chargeback build`"
    assert build.returncode == 130, output[-3000:]
    assert "interrupted" in output
    [run] = workspace.runs(BUILD_JOB)
    assert run.status == dg.DagsterRunStatus.FAILURE
    # Terminated means stopped: not on to the freshness report that follows a build.
    assert not workspace.runs(FRESHNESS_JOB), output[-3000:]


def _pid_of_an_ended_process() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _run(instance: dg.DagsterInstance, tags: dict[str, str], job_name: str = BUILD_JOB) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name=job_name, run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags))
    return run_id


def test_a_process_is_judged_by_its_pid_and_its_start():
    assert process_is_alive(process_tags())
    assert not process_is_alive({**process_tags(), PID_TAG: str(_pid_of_an_ended_process())})
    if PROCESS_START_TAG in process_tags():
        # The pid reused by another process (here: this one, started at another time) is not the run's.
        assert not process_is_alive({**process_tags(), PROCESS_START_TAG: "another-boot:1"})


def test_only_runs_whose_process_is_gone_are_failed():
    with dg.instance_for_test() as instance:
        dead = _run(instance, {**process_tags(), PID_TAG: str(_pid_of_an_ended_process())})
        live = _run(instance, process_tags())
        untagged = _run(instance, {})  # launched by the daemon: for its run monitoring to judge
        [message] = fail_dead_runs(instance)
        assert message.startswith(f"run {dead} of build_job was found STARTED with no live process")
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(live).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(untagged).status == dg.DagsterRunStatus.STARTED
        assert not fail_dead_runs(instance)


def test_the_freshness_schedule_does_not_wait_on_a_dead_run():
    schedule = build_freshness_schedule(skip_while_writing=True)
    with dg.instance_for_test() as instance:
        dead = _run(instance, {**process_tags(), PID_TAG: str(_pid_of_an_ended_process())})
        assert isinstance(schedule(dg.build_schedule_context(instance=instance)), dg.RunRequest)
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        _run(instance, process_tags())  # a build this process is running: the tick waits for it
        skipped = schedule(dg.build_schedule_context(instance=instance))
        assert isinstance(skipped, dg.SkipReason) and "build_job" in skipped.skip_message


@linux_only
def test_dbt_runs_behind_the_wrapper_that_ends_it_with_its_parent():
    assert defs.resources["dbt"].dbt_executable == str(DBT_ENDING_WITH_PARENT)


def test_the_cli_turns_on_run_monitoring_and_keeps_what_the_file_says(tmp_path):
    from orchestration.cli import _add_missing_instance_settings

    config = tmp_path / "dagster.yaml"
    config.write_text("# ours\ntelemetry:\n  enabled: true\n")
    _add_missing_instance_settings(config)
    _add_missing_instance_settings(config)  # once only
    assert config.read_text() == "# ours\ntelemetry:\n  enabled: true\nrun_monitoring:\n  enabled: true\n"
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled


def test_commands_started_together_on_a_new_dagster_home_all_get_the_instance(tmp_path):
    """A sensor run, the schedule and a person's command on a fresh DAGSTER_HOME: each creates
    the instance; only one may create its SQLite storage (two ran its migrations at once:
    "table alembic_version already exists")."""
    home = tmp_path / "dagster"
    start_at = time.time() + 3  # all of them past their imports, then together
    create = (
        "import sys, time; from orchestration.cli import _instance\n"
        f"time.sleep(max({start_at} - time.time(), 0))\n"
        "with _instance() as instance: instance.get_runs()\n"
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", create],
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    errors = [racer.communicate()[1] for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * 4, "\n".join(errors)
    assert (home / "dagster.yaml").read_text().count("run_monitoring:") == 1
