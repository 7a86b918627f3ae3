"""Freshness that tells the truth: no check may report a verdict it did not measure, a row dated
in the future must not make a stalled export look fresh, and a missing day must not hide behind
the days that arrived after it.

The warehouses here are built row by row: one export row per UTC day, at export_times relative to
the wall clock where dbt runs (dbt compares with its own clock, which cannot be injected).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import sqlglot
from dagster_dbt import DbtCliResource
from freshness_harness import THRESHOLDS, evaluate, evaluate_all, freshness_definitions

from orchestration.freshness.readers import ExportDays, read_export_days
from orchestration.freshness.verdicts import (
    DBT_SOURCE_CHECK,
    EXPORT_DAY_GAPS_CHECK,
    EXPORT_TIME_CHECK,
    dbt_freshness_result,
    export_day_gaps_result,
)
from orchestration.ingestion.gcp_loader import ensure_raw_tables
from orchestration.settings import Settings
from orchestration.transform.project import GCP_EXPORT_SOURCE, chargeback_dbt_project

FAR_FUTURE = datetime(2099, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def export_warehouse(tmp_path, raw_tables):
    """`export_warehouse(name, export_times)`: a warehouse file whose export has one row per
    export_time given (the columns dbt's freshness and these checks read, and a cost)."""

    def build(name: str, export_times: list[datetime]) -> Path:
        path = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(path)) as con:
            ensure_raw_tables(con, raw_tables)
            for moment in export_times:
                naive = moment.astimezone(UTC).replace(tzinfo=None)  # the raw table stores naive UTC
                con.execute(
                    f"insert into {raw_tables.export} (billing_account_id, export_time, _export_date, cost, currency) "
                    "values ('0123AB-4567CD-89EF01', ?, ?, 1.5, 'EUR')",
                    [naive, naive.date()],
                )
        return path

    return build


def _daily(now: datetime, days: int = 8, skip: tuple[int, ...] = ()) -> list[datetime]:
    """One export_time a day, the newest an hour before `now`, `skip` naming days back from it."""
    return [now - timedelta(hours=1, days=back) for back in range(days) if back not in skip]


def _defs(resources_for, monkeypatch, path: Path, now: datetime) -> dg.Definitions:
    monkeypatch.setenv("CHARGEBACK_DUCKDB_PATH", str(path))  # where dbt's profile points
    return freshness_definitions(resources_for(path), now)


# --------------------------------------------------------------------------- a fresh export still passes


def test_a_fresh_complete_export_passes_every_check(export_warehouse, resources_for, monkeypatch):
    now = datetime.now(UTC)
    evaluations = evaluate_all(_defs(resources_for, monkeypatch, export_warehouse("fresh", _daily(now)), now))
    assert {name: e.passed for name, e in evaluations.items()} == {
        EXPORT_TIME_CHECK: True,
        EXPORT_DAY_GAPS_CHECK: True,
        DBT_SOURCE_CHECK: True,
    }, {name: e.description for name, e in evaluations.items()}
    assert evaluations[DBT_SOURCE_CHECK].metadata["dbt_status"].value == "pass"
    assert evaluations[EXPORT_DAY_GAPS_CHECK].metadata["missing_days"].value == []


# --------------------------------------------------------------------------- a row in 2099


def test_an_export_time_in_2099_is_an_error_in_both_checks(export_warehouse, resources_for, monkeypatch):
    """Without the 2099 row the export is fresh; with it, neither check may call it fresh until 2099."""
    now = datetime.now(UTC)
    path = export_warehouse("future", [*_daily(now), FAR_FUTURE])
    evaluations = evaluate_all(_defs(resources_for, monkeypatch, path, now))

    newest = evaluations[EXPORT_TIME_CHECK]
    assert not newest.passed and newest.severity == dg.AssetCheckSeverity.ERROR
    assert "2099-01-01 12:00:00 UTC" in newest.description and "in the future" in newest.description
    assert newest.metadata["future_rows"].value == 1
    # What the export looks like without the row from the future is said too.
    assert newest.metadata["newest_not_future"].value == pytest.approx((now - timedelta(hours=1)).timestamp(), abs=1)

    dbt = evaluations[DBT_SOURCE_CHECK]
    assert dbt.metadata["dbt_status"].value == "pass"  # dbt itself calls it fresh
    assert not dbt.passed and dbt.severity == dg.AssetCheckSeverity.ERROR
    assert "2099-01-01 12:00:00 UTC" in dbt.description and "in the future" in dbt.description

    # Not a missing day: the days of the window are all there.
    assert evaluations[EXPORT_DAY_GAPS_CHECK].passed


@pytest.mark.parametrize(
    ("ahead", "passed"),
    [(timedelta(hours=3), True), (timedelta(hours=3, minutes=1), False), (timedelta(days=365 * 70), False)],
)
def test_dbt_max_loaded_at_is_judged_against_its_snapshot_with_the_same_tolerance(ahead, passed):
    snapshotted_at = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    sources = {
        "metadata": {"invocation_id": "this-run"},
        "results": [
            {
                "unique_id": GCP_EXPORT_SOURCE,
                "status": "pass",
                "max_loaded_at": (snapshotted_at + ahead).isoformat(),
                "snapshotted_at": snapshotted_at.isoformat(),
                "max_loaded_at_time_ago_in_s": -ahead.total_seconds(),
                "criteria": {},
            }
        ],
    }
    result = dbt_freshness_result(sources, [], THRESHOLDS)
    assert result.passed is passed
    # The same when dbt writes its times without the UTC offset.
    for key in ("max_loaded_at", "snapshotted_at"):
        sources["results"][0][key] = sources["results"][0][key].removesuffix("+00:00")
    assert dbt_freshness_result(sources, [], THRESHOLDS).passed is passed
    if not passed:
        assert result.severity == dg.AssetCheckSeverity.ERROR
        assert "dbt says pass, but" in result.description and "3.0 h allowed for clock skew" in result.description


# --------------------------------------------------------------------------- a hole behind later days


def test_a_missing_day_inside_the_window_is_reported_with_the_day(export_warehouse, resources_for, monkeypatch):
    now = datetime.now(UTC)
    path = export_warehouse("hole", _daily(now, skip=(3,)))
    defs = _defs(resources_for, monkeypatch, path, now)
    hole = (now - timedelta(hours=1, days=3)).date()

    gaps = evaluate(defs, EXPORT_DAY_GAPS_CHECK)
    assert not gaps.passed and gaps.severity == dg.AssetCheckSeverity.ERROR
    assert hole.isoformat() in gaps.description
    assert gaps.metadata["missing_days"].value == [hole.isoformat()]
    # The newest export_time alone calls this export fresh: that is why the hole has its own check.
    assert evaluate(defs, EXPORT_TIME_CHECK).passed


def _days(rows_by_day: dict[date, int], first: date | None) -> ExportDays:
    return ExportDays(relation="raw.export", rows_by_day=rows_by_day, first_export_day=first)


def test_gaps_only_inside_the_window_and_after_the_export_began():
    now = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # the window: 2026-11-14 to 2026-11-20

    def day(n: int) -> date:
        return date(2026, 11, n)

    # Several holes, one at the window's first day: each named, oldest first.
    result = export_day_gaps_result(_days({day(15): 3, day(17): 1, day(20): 2}, day(1)), now, THRESHOLDS)
    assert result.metadata["missing_days"].value == ["2026-11-14", "2026-11-16", "2026-11-18", "2026-11-19"]
    # Days after the newest day with rows are the stall's, which export_time_freshness reports.
    assert export_day_gaps_result(_days({day(14): 1, day(15): 1}, day(1)), now, THRESHOLDS).passed
    # An export that began on the 17th has no missing day before it.
    assert export_day_gaps_result(_days({day(17): 1, day(18): 1, day(19): 1}, day(17)), now, THRESHOLDS).passed
    # Nothing in the window at all: no day between rows is missing, and the description says why.
    empty = export_day_gaps_result(_days({}, day(1)), now, THRESHOLDS)
    assert empty.passed and EXPORT_TIME_CHECK in empty.description


def test_export_days_read_the_same_plain_sql_on_bigquery(bigquery_warehouse):
    frame = pd.DataFrame(
        {
            "export_day": [None, pd.Timestamp("2026-11-18"), pd.Timestamp("2026-11-20")],
            "row_count": [900, 12, 7],
            "oldest_export_time": [
                pd.Timestamp("2026-01-03 04:00", tz="UTC"),
                pd.Timestamp("2026-11-18 02:00", tz="UTC"),
                pd.Timestamp("2026-11-20 01:00", tz="UTC"),
            ],
        }
    )
    export = "billing-project.billing_export.gcp_billing_export_resource_v1_0123AB_4567CD_89EF01"
    warehouse, client = bigquery_warehouse({"cast(export_time as date)": frame}, {export: []})
    days = read_export_days(warehouse, date(2026, 11, 14), date(2026, 11, 20))
    assert days == ExportDays(
        relation=f"`{export}`",
        rows_by_day={date(2026, 11, 18): 12, date(2026, 11, 20): 7},
        first_export_day=date(2026, 1, 3),
    )
    (query,) = [call[1] for call in client.calls if call[0] == "query"]
    parsed = sqlglot.parse_one(query, read="bigquery")
    assert "2026-11-21 00:00:00" in query and "2026-11-14 00:00:00" in query
    assert parsed.find(sqlglot.exp.Group) is not None


# --------------------------------------------------------------------------- only this run, only this warehouse


class ConcurrentRunDbt(DbtCliResource):
    """dbt, while another run of the check (against another warehouse, where the export is fresh)
    writes its PASS into the folder this run's dbt writes to, as runs sharing a folder did."""

    def cli(self, args, **kwargs):
        invocation = super().cli(args, **kwargs)
        now = datetime.now(UTC)
        foreign = {
            "metadata": {"invocation_id": "another-run-against-another-warehouse", "generated_at": now.isoformat()},
            "results": [
                {
                    "unique_id": GCP_EXPORT_SOURCE,
                    "status": "pass",
                    "max_loaded_at": (now - timedelta(hours=1)).isoformat(),
                    "snapshotted_at": now.isoformat(),
                    "max_loaded_at_time_ago_in_s": 3600.0,
                    "criteria": {},
                }
            ],
        }
        invocation.target_path.mkdir(parents=True, exist_ok=True)
        (invocation.target_path / "sources.json").write_text(json.dumps(foreign))
        return invocation


def test_dbt_that_cannot_open_the_warehouse_says_so_and_never_reads_another_runs_verdict(
    tmp_path, resources_for, monkeypatch, working_copy
):
    unreadable = tmp_path / "not-a-database.duckdb"
    working_copy(unreadable).parent.mkdir()
    working_copy(unreadable).write_bytes(b"this is not a DuckDB file" * 1000)  # what dbt opens
    monkeypatch.setenv("CHARGEBACK_DUCKDB_PATH", str(unreadable))
    resources = resources_for(unreadable)
    resources["dbt"] = ConcurrentRunDbt(project_dir=chargeback_dbt_project(Settings.from_env()))
    evaluation = evaluate(freshness_definitions(resources, datetime.now(UTC)), DBT_SOURCE_CHECK)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "could not look" in evaluation.description
    assert "not a valid DuckDB database file" in evaluation.description  # dbt's own words
    assert "pass" not in evaluation.description


def test_dbt_pointed_at_another_warehouse_is_not_taken_for_this_one(export_warehouse, resources_for, monkeypatch):
    """The check looks at a stalled export; dbt's profile points at a fresh one: no PASS."""
    now = datetime.now(UTC)
    stalled = export_warehouse("stalled", _daily(now - timedelta(days=30)))
    fresh = export_warehouse("fresh-elsewhere", _daily(now))
    monkeypatch.setenv("CHARGEBACK_DUCKDB_PATH", str(fresh))
    evaluation = evaluate(freshness_definitions(resources_for(stalled), now), DBT_SOURCE_CHECK)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "could not look" in evaluation.description
    assert str(fresh) in evaluation.description and str(stalled) in evaluation.description
