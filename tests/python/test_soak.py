"""A soak: daily cycles of deliver → sensor → ingest → build → publish, as the deployment runs
them, with late rows, re-extracts delivered again, a cycle whose ingestions find the working copy
taken, and a reader polling the published warehouse throughout. After every cycle nothing was
lost or counted twice: the published raw export holds exactly what one ingestion of every
delivered file gives, and every mart agrees with it.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import build_definitions
from orchestration.generate.gcp import generate_gcp_export
from orchestration.ingestion.sensors import RUN_KEY_TAG, SENSOR_NAME, SENSOR_NAME_TAG
from orchestration.jobs import BUILD_JOB, INGEST_JOB
from orchestration.settings import Settings
from orchestration.transform.project import chargeback_dbt_project, prepare

READER = Path(__file__).parent / "published_reader.py"
sys.path.insert(0, str(READER.parent))
from published_reader import disagreements, totals  # noqa: E402  (a script, also run on its own)

CYCLES = 4
RAW_FIGURES = "select count(*), round(sum(cost), 4) from raw.gcp_billing_export_resource_v1"


pytestmark = pytest.mark.usefixtures("session_manifest_kept")


def _deliver(export: Path, landing: Path, extracts: list[str]) -> None:
    for extract in extracts:
        target = landing / extract
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(export / extract, target, dirs_exist_ok=True)


def _sensor_tick(defs: dg.Definitions, instance, cursor: str | None, expect_success: bool = True):
    """One evaluation of the landing sensor, and the runs it requests executed as the daemon would
    launch them (the ingestion job, tagged with the sensor and the run key)."""
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"landing_folder": defs.resources["landing_folder"]}
    )
    tick = sensor.evaluate_tick(context)
    for request in tick.run_requests:
        result = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            run_config=request.run_config,
            instance=instance,
            tags={**request.tags, RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: SENSOR_NAME},
            raise_on_error=False,
        )
        assert result.success == expect_success, "an ingestion run did not end as this cycle expects"
    return tick.cursor if tick.cursor is not None else cursor, len(tick.run_requests)


def _definitions() -> dg.Definitions:
    """The deployment's own definitions for the environment as the test set it."""
    settings = Settings.from_env()
    prepare(chargeback_dbt_project(settings), settings)
    return build_definitions(settings)


def _raw_figures(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(RAW_FIGURES).fetchone()


def test_daily_cycles_lose_nothing_and_count_nothing_twice(
    tmp_path, ingest, working_copy, monkeypatch, hold_working_copy
):
    export, landing = tmp_path / "export", tmp_path / "landing"
    summary = generate_gcp_export(export, rows=2500, seed=21, months=2)
    extracts = list(summary.extracts)
    days = [extracts[i::CYCLES] for i in range(CYCLES)]  # each cycle: a share of every account's days
    days = [sorted(day) for day in days]
    chooser = random.Random(21)

    published = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CHARGEBACK_DUCKDB_PATH", str(published))
    monkeypatch.setenv("CHARGEBACK_LANDING_DIR", str(landing))
    defs = _definitions()
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(published), "--out", str(tmp_path / "reader.jsonl"), "--every", "0.5"]
    )
    delivered: list[str] = []
    cursor = None
    try:
        with dg.instance_for_test() as instance:
            for cycle, todays in enumerate(days):
                # Late rows are in the generated days themselves; a re-extract is an earlier
                # extract delivered again (Google rewrites its files).
                again = chooser.sample(delivered, k=min(3, len(delivered)))
                _deliver(export, landing, todays + again)
                delivered += todays
                if cycle == 1:
                    # The working copy stays taken through this tick: every run fails, and says why.
                    impatient = build_definitions(replace(Settings.from_env(), warehouse_wait_seconds=0))
                    holder = hold_working_copy(defs.resources["warehouse"].path, 600)
                    cursor, requested = _sensor_tick(impatient, instance, cursor, expect_success=False)
                    holder.kill()
                    holder.wait()
                    assert requested > 0
                cursor, _ = _sensor_tick(defs, instance, cursor)
                cursor, requested = _sensor_tick(defs, instance, cursor)
                assert requested == 0, "every extract loaded: the sensor has nothing left to ask for"

                assert defs.resolve_job_def(BUILD_JOB).execute_in_process(instance=instance).success

                reference = tmp_path / f"reference-{cycle}.duckdb"
                ingest(reference, [export / extract for extract in delivered])
                reference_working = Settings.from_env({"CHARGEBACK_DUCKDB_PATH": str(reference)}).duckdb_working_path
                assert _raw_figures(published) == _raw_figures(reference_working), f"cycle {cycle}: raw differs"
                with duckdb.connect(str(published), read_only=True) as con:
                    assert not disagreements(totals(con)), f"cycle {cycle}: the marts disagree"
    finally:
        reader.terminate()
        reader.wait()

    looks = [json.loads(line) for line in (tmp_path / "reader.jsonl").read_text().splitlines()]
    assert not [look["error"] for look in looks if look["state"] == "error"], "the reader got an error"
    read = [look["totals"] for look in looks if look["state"] == "read"]
    assert read and not [problem for seen in read for problem in disagreements(seen)], "the reader saw a mixture"
