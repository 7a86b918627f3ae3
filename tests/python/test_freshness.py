"""Freshness of the GCP export: a stalled export must be noticed, from the data's newest
export_time, in Dagster (the check and its schedule) and through `dbt source freshness`.

"Now" is injected: the generator writes export_time on its own calendar, so each test puts the
clock at a known distance from the newest export_time it reads independently from the table.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import sqlglot
from dagster._core.storage.dagster_run import DagsterRun
from freshness_harness import THRESHOLDS, evaluate, freshness_definitions

from orchestration.cli import report_export_freshness
from orchestration.freshness.readers import ExportTimeReading, WarehouseUnavailable, read_newest_export_time
from orchestration.freshness.thresholds import FreshnessThresholds, thresholds_from_source
from orchestration.freshness.verdicts import (
    DBT_SOURCE_CHECK,
    EXPORT_DAY_GAPS_CHECK,
    EXPORT_TIME_CHECK,
    FRESHNESS_CHECKS,
    dbt_freshness_result,
    export_time_result,
)
from orchestration.generate.gcp import generate_gcp_export
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.ingestion.gcp_loader import ensure_raw_tables
from orchestration.jobs import FRESHNESS_JOB, build_freshness_schedule
from orchestration.settings import Settings
from orchestration.transform.project import DbtManifest, chargeback_dbt_project

NEWEST = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


# --------------------------------------------------------------------------- the verdict, pure


def _reading(newest: datetime | None = NEWEST, rows: int = 10) -> ExportTimeReading:
    return ExportTimeReading(
        relation="raw.gcp_billing_export_resource_v1",
        row_count=rows,
        newest_export_time=newest,
        future_rows=0,
        newest_not_future=newest,
    )


@pytest.mark.parametrize(
    ("age", "passed", "severity"),
    [
        (timedelta(hours=2), True, None),
        (timedelta(hours=36), True, None),  # at the threshold: still fresh (dbt's rule too)
        (timedelta(hours=37), False, dg.AssetCheckSeverity.WARN),
        (timedelta(hours=72, minutes=1), False, dg.AssetCheckSeverity.ERROR),
        (timedelta(hours=-3), True, None),  # ahead by the clock-skew tolerance: fresh, and said so
    ],
)
def test_verdict_by_age_of_the_newest_export_time(age, passed, severity):
    result = export_time_result(_reading(), NEWEST + age, THRESHOLDS)
    assert result.passed is passed
    if not passed:
        assert result.severity == severity
        assert result.metadata["threshold_hours"].value == (36.0 if severity == dg.AssetCheckSeverity.WARN else 72.0)
    assert result.metadata["lag_hours"].value == round(age.total_seconds() / 3600, 2)
    assert result.metadata["newest_export_time"].value == NEWEST.timestamp()
    if age < timedelta(0):
        assert "in the future, within the clock-skew tolerance" in result.description


def test_no_rows_is_an_error_not_a_crash():
    result = export_time_result(_reading(newest=None, rows=0), NEWEST, THRESHOLDS)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "no rows" in result.description
    assert result.metadata["row_count"].value == 0


def test_thresholds_come_from_the_dbt_source_freshness_block():
    source = DbtManifest(chargeback_dbt_project(Settings.from_env()).manifest_path).export_source()
    assert thresholds_from_source(source) == THRESHOLDS
    # dbt 1.11: under `config:`, and on export_time (when Google appended the row).
    assert source["config"]["loaded_at_field"] == "export_time"


def test_thresholds_other_periods_and_bad_ones():
    rules = {
        "freshness_future_tolerance": {"count": 1, "period": "hour"},
        "freshness_gap_window": {"count": 3, "period": "day"},
    }

    def manifest(freshness, meta=rules):
        return {"freshness": freshness, "config": {"meta": meta}}

    days = manifest({"warn_after": {"count": 1, "period": "day"}, "error_after": {"count": 2, "period": "day"}})
    assert thresholds_from_source(days) == FreshnessThresholds(
        timedelta(days=1), timedelta(days=2), future_tolerance=timedelta(hours=1), gap_window=timedelta(days=3)
    )
    only_error = manifest(
        {"warn_after": {"count": None, "period": None}, "error_after": {"count": 48, "period": "hour"}}
    )
    assert (thresholds_from_source(only_error).warn_after, thresholds_from_source(only_error).error_after) == (
        timedelta(hours=48),
        timedelta(hours=48),
    )
    with pytest.raises(ValueError, match=r"_gcp_billing_export__sources.yml.*warn_after.*'fortnight'"):
        thresholds_from_source(manifest({"warn_after": {"count": 1, "period": "fortnight"}}))
    with pytest.raises(ValueError, match="warn_after <= error_after"):
        FreshnessThresholds(timedelta(hours=10), timedelta(hours=5), timedelta(hours=3), timedelta(days=7))
    # The rules only the Dagster checks apply have one home, the YAML: missing is an error, not a default.
    with pytest.raises(ValueError, match=r"_gcp_billing_export__sources.yml.*meta needs freshness_gap_window"):
        thresholds_from_source(
            manifest(days["freshness"], meta={"freshness_future_tolerance": {"count": 1, "period": "hour"}})
        )
    with pytest.raises(ValueError, match="whole number of days"):
        FreshnessThresholds(timedelta(hours=1), timedelta(hours=2), timedelta(hours=3), timedelta(hours=36))


@pytest.mark.parametrize(
    ("status", "passed", "severity"),
    [
        ("pass", True, None),
        ("warn", False, dg.AssetCheckSeverity.WARN),
        ("error", False, dg.AssetCheckSeverity.ERROR),
        ("runtime error", False, dg.AssetCheckSeverity.ERROR),
    ],
)
def test_dbt_statuses_become_check_results(status, passed, severity):
    sources = {
        "results": [
            {
                "unique_id": "source.ai_chargeback.gcp_billing_export.detailed_usage_cost",
                "status": status,
                "max_loaded_at": "2026-11-20T06:30:00+00:00",
                "snapshotted_at": "2026-11-23T06:30:00+00:00",
                "max_loaded_at_time_ago_in_s": 72 * 3600.0,
                "criteria": {"warn_after": {"count": 36, "period": "hour"}},
            }
        ]
    }
    result = dbt_freshness_result(sources, ["dbt's own words"], THRESHOLDS)
    assert result.passed is passed and (passed or result.severity == severity)
    if status in ("warn", "error"):
        assert "72.0 h old (warn_after 36 hours)" in result.description
    if status == "runtime error":
        assert "dbt's own words" in result.description
    assert result.metadata["dbt_status"].value == status
    assert result.metadata["lag_hours"].value == 72.0


def test_dbt_empty_source_and_missing_result_are_said_in_words():
    empty = {
        "results": [
            {
                "unique_id": "source.ai_chargeback.gcp_billing_export.detailed_usage_cost",
                "status": "error",
                "max_loaded_at": "0001-01-01T00:00:00+00:00",
            }
        ]
    }
    assert "no rows" in dbt_freshness_result(empty, [], THRESHOLDS).description
    missing = dbt_freshness_result(
        {"results": []}, ['Catalog Error: Table with name "raw.x" does not exist'], THRESHOLDS
    )
    assert not missing.passed and missing.severity == dg.AssetCheckSeverity.ERROR
    assert "does not exist" in missing.description


# --------------------------------------------------------------------------- BigQuery, offline


def test_bigquery_reads_the_export_table_in_place(bigquery_warehouse):
    frame = pd.DataFrame(
        {
            "newest_export_time": [pd.Timestamp(NEWEST)],
            "row_count": [42],
            "future_rows": [0],
            "newest_not_future": [pd.Timestamp(NEWEST)],
        }
    )
    export = "billing-project.billing_export.gcp_billing_export_resource_v1_0123AB_4567CD_89EF01"
    warehouse, client = bigquery_warehouse({"max(export_time)": frame}, {export: []})
    reading = read_newest_export_time(warehouse, not_after=NEWEST + timedelta(hours=3))
    assert reading == ExportTimeReading(
        relation=f"`{export}`", row_count=42, newest_export_time=NEWEST, future_rows=0, newest_not_future=NEWEST
    )
    # The same plain statement as on DuckDB, and valid BigQuery.
    (query,) = [call[1] for call in client.calls if call[0] == "query"]
    assert sqlglot.parse_one(query, read="bigquery").find(sqlglot.exp.Max) is not None


def test_bigquery_missing_table_is_a_clear_failure(bigquery_warehouse):
    warehouse, _ = bigquery_warehouse()
    with pytest.raises(
        WarehouseUnavailable, match="gcp_billing_export_resource_v1_0123AB.*does not exist.*CHARGEBACK_EXPORT"
    ):
        read_newest_export_time(warehouse, not_after=NEWEST)


# --------------------------------------------------------------------------- the Dagster checks on a real warehouse


@pytest.fixture(scope="module")
def warehouse(ingest, tmp_path_factory) -> Path:
    """A small generated month (July 2026), ingested the way the ingestion asset does it."""
    work = tmp_path_factory.mktemp("freshness")
    generate_gcp_export(work / "export", rows=300, seed=5, start=date(2026, 7, 1), months=1)
    path = work / "warehouse.duckdb"
    ingest(path, [work / "export"])
    return path


@pytest.fixture
def newest_of(working_copy):
    def newest(published: Path) -> datetime:
        with duckdb.connect(str(working_copy(published)), read_only=True) as con:
            found = con.execute("select max(export_time) from raw.gcp_billing_export_resource_v1").fetchone()[0]
        return found.replace(tzinfo=UTC)

    return newest


@pytest.fixture
def freshness_defs(resources_for):
    """Definitions with the freshness checks on a warehouse file of the test's own, at a given now."""

    def build(path: Path, now: datetime | None = None) -> dg.Definitions:
        return freshness_definitions(resources_for(path), now)

    return build


def test_stalled_export_fails_with_the_figures(warehouse, freshness_defs, newest_of):
    newest = newest_of(warehouse)
    evaluation = evaluate(freshness_defs(warehouse, now=newest + timedelta(hours=100)), EXPORT_TIME_CHECK)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert metadata["newest_export_time"] == pytest.approx(newest.timestamp())
    assert metadata["lag_hours"] == 100.0
    assert metadata["threshold_hours"] == 72.0 and metadata["warn_after_hours"] == 36.0
    assert metadata["row_count"] > 0
    assert "stalled" in evaluation.description


def test_late_export_warns_and_fresh_export_passes(warehouse, freshness_defs, newest_of):
    newest = newest_of(warehouse)
    late = evaluate(freshness_defs(warehouse, now=newest + timedelta(hours=40)), EXPORT_TIME_CHECK)
    assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
    fresh = evaluate(freshness_defs(warehouse, now=newest + timedelta(hours=3)), EXPORT_TIME_CHECK)
    assert fresh.passed
    assert fresh.metadata["lag_hours"].value == 3.0


def test_empty_raw_table_and_missing_warehouse_fail_clearly(tmp_path, freshness_defs, raw_tables):
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as con:
        ensure_raw_tables(con, raw_tables)
    evaluation = evaluate(freshness_defs(empty, now=NEWEST), EXPORT_TIME_CHECK)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "no rows" in evaluation.description

    missing = tmp_path / "never-created.duckdb"
    evaluation = evaluate(freshness_defs(missing, now=NEWEST), EXPORT_TIME_CHECK)
    assert not evaluation.passed and "does not exist" in evaluation.description
    assert not missing.exists()  # the check only reads: it must not create the warehouse


def test_dbt_source_freshness_runs_against_the_warehouse(warehouse, monkeypatch, freshness_defs, newest_of):
    """The dbt path once, for real: dbt compares with the warehouse's clock (not injectable),
    so the expected status follows from the wall clock and the data's newest export_time."""
    monkeypatch.setenv("CHARGEBACK_DUCKDB_PATH", str(warehouse))  # what profiles.yml reads
    newest = newest_of(warehouse)
    evaluation = evaluate(freshness_defs(warehouse, now=NEWEST), DBT_SOURCE_CHECK)
    age = datetime.now(UTC) - newest
    expected = "error" if age > THRESHOLDS.error_after else "warn" if age > THRESHOLDS.warn_after else "pass"
    assert evaluation.metadata["dbt_status"].value == expected
    assert evaluation.passed is (expected == "pass")
    assert datetime.fromisoformat(evaluation.metadata["max_loaded_at"].value) == newest
    assert evaluation.metadata["criteria"].value["error_after"] == {"count": 72, "period": "hour"}


def test_cli_report_prints_each_check_and_fails_on_error(tmp_path, freshness_defs):
    lines: list[str] = []
    # No warehouse at all: every check fails with ERROR without running dbt, and the command says so.
    status = report_export_freshness(
        freshness_defs(tmp_path / "none.duckdb", now=NEWEST), dg.DagsterInstance.ephemeral(), print_fn=lines.append
    )
    assert status == 1
    assert [line.split(":")[0] for line in lines] == [
        f"[chargeback] freshness {EXPORT_TIME_CHECK}",
        f"[chargeback] freshness {EXPORT_DAY_GAPS_CHECK}",
        f"[chargeback] freshness {DBT_SOURCE_CHECK}",
    ]
    assert all("ERROR" in line and "does not exist" in line for line in lines)


# --------------------------------------------------------------------------- registration and schedule


def test_definitions_run_the_checks_hourly_in_their_own_job():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    assert {dg.AssetCheckKey(GCP_BILLING_EXPORT, n) for n in FRESHNESS_CHECKS} <= set(graph.asset_check_keys)
    nodes = {
        job: set(defs.resolve_job_def(job).graph.node_names())
        for job in (FRESHNESS_JOB, "ingest_gcp_job", "build_job", "daily_chargeback_job")
    }
    for check in FRESHNESS_CHECKS:
        assert any(check in n for n in nodes[FRESHNESS_JOB]), check
    # Not after every ingestion, and never beside dbt's writes in one run.
    for job in ("ingest_gcp_job", "build_job", "daily_chargeback_job"):
        assert not any("freshness" in n for n in nodes[job]), job
    # In-process: the checks one after the other, never two DuckDB handles at once.
    assert defs.resolve_job_def(FRESHNESS_JOB).executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("gcp_export_freshness_schedule")
    assert schedule.job_name == FRESHNESS_JOB
    assert schedule.cron_schedule == "20 * * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_schedule_skips_while_the_warehouse_is_being_written():
    schedule = build_freshness_schedule(skip_while_writing=True)
    with dg.instance_for_test() as instance:
        assert isinstance(schedule(dg.build_schedule_context(instance=instance)), dg.RunRequest)
        instance.add_run(DagsterRun(job_name="build_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED))
        skipped = schedule(dg.build_schedule_context(instance=instance))
        assert isinstance(skipped, dg.SkipReason) and "build_job" in skipped.skip_message


def test_busy_warehouse_is_waited_for_not_called_stale(warehouse, tmp_path, resources_for, working_copy):
    """Another process writing (an ingestion, dbt) holds DuckDB's lock: the read waits for it, with
    the warehouse resource's one lock-wait policy, and reads the data once the writer is gone."""
    import subprocess
    import sys
    import time

    busy = working_copy(tmp_path / "busy.duckdb")
    busy.parent.mkdir(parents=True)
    busy.write_bytes(working_copy(warehouse).read_bytes())
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect({str(busy)!r}); print('open', flush=True); time.sleep(3)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        started = time.monotonic()
        reading = read_newest_export_time(
            resources_for(tmp_path / "busy.duckdb")["warehouse"], not_after=datetime.now(UTC)
        )
        waited = time.monotonic() - started
    finally:
        writer.kill()
        writer.wait()
    assert reading.row_count > 0 and reading.newest_export_time is not None
    assert waited > 1, "the read did not wait for the writer's lock"
