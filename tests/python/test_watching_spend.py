"""Watching spend in the real pipeline, on a warehouse of this module's own: a generated export as
it stood mid-month (the live clock), built by the real Dagster assets; the forecast and budget
marts read the data's own clock, and their headline figures reach Dagster as metadata."""

from __future__ import annotations

import csv
from datetime import date

import dagster as dg
import duckdb
import pytest

from orchestration.generate.gcp import generate_gcp_export
from orchestration.settings import PROJECT_ROOT
from orchestration.spend.budget_report import render_spend_watch

AS_OF = date(2026, 9, 17)  # data through 16 September, settled through the 14th


@pytest.fixture(scope="module")
def built(tmp_path_factory, build_from_export):
    root = tmp_path_factory.mktemp("watching-spend")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHARGEBACK_DUCKDB_PATH", str(root / "warehouse.duckdb"))
        generate_gcp_export(root / "export", rows=8000, seed=13, months=2, as_of=AS_OF)
        yield root / "warehouse.duckdb", build_from_export(root, root / "export")


def _query(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _float_query(warehouse, sql: str) -> list[tuple]:
    return [tuple(float(value) for value in row) for row in _query(warehouse, sql)]


def test_the_forecast_reads_the_datas_clock(built):
    warehouse, _ = built
    clocks = _query(
        warehouse, "select distinct charge_month, data_through, settled_through from marts.fct_month_end_forecast"
    )
    assert clocks == [(date(2026, 9, 1), date(2026, 9, 16), date(2026, 9, 14))]


def test_the_filling_in_days_do_not_read_as_a_drop(built):
    """Yesterday has only part of its rows, yet the month-end forecast counts the settled days and
    a run rate's worth for every day after, yesterday included: well above what the month would
    come to at yesterday's pace."""
    warehouse, _ = built
    ((forecast, settled, yesterday, settled_day_mean),) = _float_query(
        warehouse,
        """
        select sum(f.forecast_cost) / count(distinct d.charge_date),
               sum(d.effective_cost) filter (where d.charge_date <= f.settled_through),
               sum(d.effective_cost) filter (where d.charge_date = f.data_through),
               sum(d.effective_cost) filter (
                   where d.charge_date between f.settled_through - 6 and f.settled_through) / 7
        from marts.fct_month_end_forecast f
        join intermediate.int_spend_daily_series d using (team, workload_phase, provider_name, billing_currency)
        where f.workload_phase = 'all' and f.provider_name = 'all' and f.billing_currency = 'USD'
          and d.charge_date >= f.charge_month
        """,
    )
    assert yesterday < 0.85 * settled_day_mean, "yesterday should still be filling in"
    days_after_settled = 30 - 14
    assert forecast > settled + days_after_settled * 0.8 * settled_day_mean
    assert forecast > settled + days_after_settled * yesterday


def test_budget_status_follows_the_forecast(built):
    warehouse, _ = built
    rows = _query(
        warehouse,
        """
        select budget_id, status, budget_amount, month_to_date_cost, forecast_cost, forecast_low, forecast_high
        from marts.fct_budget_status where charge_month = date '2026-09-01'
        """,
    )
    with (PROJECT_ROOT / "seeds" / "budgets.csv").open() as seed:
        budgets = {row["budget_id"] for row in csv.DictReader(seed)}
    assert {row[0] for row in rows} == budgets
    for budget_id, status, budget, to_date, forecast, low, high in rows:
        expected = "over" if to_date > budget else "at_risk" if forecast > budget else "on_track"
        assert status == expected, budget_id
        assert to_date <= low <= forecast <= high, budget_id


def test_the_marts_headline_figures_are_dagster_metadata(built):
    warehouse, result = built
    observations = {
        event.asset_observation_data.asset_observation.asset_key.path[
            -1
        ]: event.asset_observation_data.asset_observation.metadata
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    }
    statuses = dict(
        _query(
            warehouse,
            "select status, count(*) from marts.fct_budget_status where charge_month = date '2026-09-01' group by 1",
        )
    )
    budget = observations["fct_budget_status"]
    assert budget["budgets_over"].value == statuses.get("over", 0)
    assert budget["budgets_at_risk"].value == statuses.get("at_risk", 0)
    assert budget["budgets_on_track"].value == statuses.get("on_track", 0)
    forecast = observations["fct_month_end_forecast"]
    assert (forecast["open_month"].value, forecast["data_through"].value) == ("2026-09", "2026-09-16")
    (usd,) = _query(
        warehouse,
        "select sum(forecast_cost) from marts.fct_month_end_forecast "
        "where workload_phase = 'all' and provider_name = 'all' and billing_currency = 'USD'",
    )[0]
    assert forecast["forecast_USD"].value == pytest.approx(float(usd), abs=0.01)


def test_the_printout_names_the_open_month_and_each_budgeted_team(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        text = render_spend_watch(con)
    assert "month-end forecast, 2026-09 (data through 2026-09-16, settled through 2026-09-14" in text
    for team in ("foundation-models", "applied-ml", "inference-platform"):
        assert team in text
