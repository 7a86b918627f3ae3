"""What the HTML report reads: read-only queries on the published local marts (DuckDB).

Each part of the report reads one mart. A mart that is not in the warehouse (not built yet, or
from a release without it) makes its part say so (`Unavailable`); a mart that is there without
the columns the report relies on is an error naming the mart and the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from orchestration.spend import ALL

MARTS = "marts"

# The columns each part relies on (the marts' contract). Others may be there and are ignored.
CONTRACT = {
    "fct_cost_daily": ("charge_date", "billing_currency", "team", "workload_phase", "effective_cost"),
    "fct_unallocated_costs": (
        "cost_rank",
        "billing_currency",
        "sub_account_id",
        "resource_id",
        "resource_name",
        "service_name",
        "unallocated_reason",
        "team_label_value",
        "effective_cost",
        "first_charge_date",
        "last_charge_date",
    ),
    "fct_month_end_forecast": (
        "charge_month",
        "team",
        "workload_phase",
        "provider_name",
        "billing_currency",
        "data_through",
        "month_to_date_cost",
        "forecast_cost",
        "forecast_low",
        "forecast_high",
    ),
    "fct_budget_status": (
        "charge_month",
        "team",
        "workload_phase",
        "provider_name",
        "billing_currency",
        "budget_amount",
        "month_to_date_cost",
        "forecast_cost",
        "forecast_low",
        "forecast_high",
        "projected_over_under",
        "status",
    ),
    "fct_unit_costs": (
        "charge_month",
        "team",
        "billing_currency",
        "metric",
        "subject",
        "effective_cost",
        "quantity",
        "quantity_unit",
        "unit_cost",
    ),
    "fct_cost_anomalies": (
        "anomaly_id",
        "team",
        "first_day",
        "last_day",
        "expected_cost",
        "actual_cost",
        "impact_cost",
        "status",
        "drivers",
    ),
}
# Shown with an anomaly when the mart has them (where the anomaly is, and its currency).
ANOMALY_SCOPE_COLUMNS = ("workload_phase", "service_name", "resource_id")
ANOMALY_OPTIONAL_COLUMNS = (*ANOMALY_SCOPE_COLUMNS, "billing_currency")


@dataclass(frozen=True)
class Unavailable:
    """A part of the report whose mart is not in the warehouse."""

    mart: str

    @property
    def message(self) -> str:
        return f"Not available: this warehouse has no marts.{self.mart} (it was not built)."


class MartContractError(ValueError):
    """A mart is there but lacks columns the report reads."""


class Marts:
    """The published marts behind one connection: which are there, and their columns."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        rows = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?", [MARTS]
        ).fetchall()
        self.columns: dict[str, set[str]] = {}
        for table, column in rows:
            self.columns.setdefault(table, set()).add(column)

    def has(self, mart: str) -> bool:
        if mart not in self.columns:
            return False
        missing = [column for column in CONTRACT.get(mart, ()) if column not in self.columns[mart]]
        if missing:
            raise MartContractError(
                f"marts.{mart} lacks the column(s) the report reads: {', '.join(missing)} "
                f"(expected at least: {', '.join(CONTRACT[mart])})"
            )
        return True

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [description[0] for description in cursor.description]
        # Money as float: the report rounds to cents for display and charts take floats.
        return [
            {
                name: float(value) if isinstance(value, Decimal) else value
                for name, value in zip(names, row, strict=True)
            }
            for row in cursor.fetchall()
        ]


def report_month(marts: Marts) -> date | None:
    """The open month: the newest month of the forecast (else budget) mart, never past the month of
    the newest day with cost (a budget may be set for months to come); else that month."""
    newest_cost_month = marts.con.execute(
        f"select cast(date_trunc('month', max(charge_date)) as date) from {MARTS}.fct_cost_daily"
    ).fetchone()[0]
    for mart in ("fct_month_end_forecast", "fct_budget_status"):
        if marts.has(mart):
            row = marts.con.execute(
                f"select max(charge_month) from {MARTS}.{mart} where charge_month <= ?", [newest_cost_month]
            ).fetchone()
            if row[0] is not None:
                return row[0]
    return newest_cost_month


def data_through(marts: Marts) -> date | None:
    return marts.con.execute(f"select max(charge_date) from {MARTS}.fct_cost_daily").fetchone()[0]


def team_names(marts: Marts) -> dict[str, str]:
    if "dim_teams" not in marts.columns:
        return {}
    return {row["team"]: row["team_name"] for row in marts.rows(f"select team, team_name from {MARTS}.dim_teams")}


def month_to_date(marts: Marts, month: date) -> list[dict]:
    """Per team and currency: effective cost in the month so far (the daily cost mart)."""
    return marts.rows(
        f"""
        select team, billing_currency, sum(effective_cost) as month_to_date_cost
        from {MARTS}.fct_cost_daily
        where cast(date_trunc('month', charge_date) as date) = ?
        group by all
        order by billing_currency, month_to_date_cost desc, team
        """,
        [month],
    )


def forecasts(marts: Marts, month: date) -> list[dict] | Unavailable:
    """Per team and currency, every phase and provider together: the month-end forecast."""
    if not marts.has("fct_month_end_forecast"):
        return Unavailable("fct_month_end_forecast")
    return marts.rows(
        f"""
        select team, billing_currency, data_through, month_to_date_cost, forecast_cost, forecast_low, forecast_high
        from {MARTS}.fct_month_end_forecast
        where charge_month = ? and workload_phase = '{ALL}' and provider_name = '{ALL}'
        order by billing_currency, team
        """,
        [month],
    )


def budgets(marts: Marts, month: date) -> list[dict] | Unavailable:
    """Every budget of the month (a team's whole spend, and any per phase or provider)."""
    if not marts.has("fct_budget_status"):
        return Unavailable("fct_budget_status")
    return marts.rows(
        f"""
        select team, workload_phase, provider_name, billing_currency, budget_amount, month_to_date_cost,
               forecast_cost, forecast_low, forecast_high, projected_over_under, status
        from {MARTS}.fct_budget_status
        where charge_month = ?
        order by billing_currency, team, workload_phase <> '{ALL}', workload_phase, provider_name
        """,
        [month],
    )


def daily_cost_by_phase(marts: Marts, since: date, team: str | None = None) -> list[dict]:
    """Effective cost per day, currency and workload phase from `since` (one team, or all)."""
    return marts.rows(
        f"""
        select charge_date, billing_currency, workload_phase, sum(effective_cost) as cost
        from {MARTS}.fct_cost_daily
        where charge_date >= ? and (? is null or team = ?)
        group by all
        order by charge_date, billing_currency, workload_phase
        """,
        [since, team, team],
    )


def inference_share_weekly(marts: Marts, team: str | None = None) -> list[dict]:
    """Per ISO week (Monday) and currency, for each team and for all teams together: inference
    cost over the cost of every AI phase (seeds.workload_phases.is_ai), the margin indicator."""
    return marts.rows(
        f"""
        with ai_cost as (
            select cast(date_trunc('week', daily.charge_date) as date) as week, daily.billing_currency, daily.team,
                   sum(daily.effective_cost) filter (where daily.workload_phase = 'inference') as inference_cost,
                   sum(daily.effective_cost) as ai_cost
            from {MARTS}.fct_cost_daily as daily
            inner join seeds.workload_phases as phases on phases.workload_phase = daily.workload_phase
            where phases.is_ai and (? is null or daily.team = ?)
            group by all
        )
        select week, billing_currency, coalesce(team, '{ALL}') as team,
               coalesce(sum(inference_cost), 0) as inference_cost, sum(ai_cost) as ai_cost
        from ai_cost
        group by grouping sets ((week, billing_currency, team), (week, billing_currency))
        having sum(ai_cost) > 0
        order by billing_currency, team, week
        """,
        [team, team],
    )


def inference_share_monthly(marts: Marts) -> list[dict]:
    """Per month and currency, all teams: inference cost and the cost of every AI phase."""
    return marts.rows(
        f"""
        select cast(date_trunc('month', daily.charge_date) as date) as month, daily.billing_currency,
               coalesce(sum(daily.effective_cost) filter (where daily.workload_phase = 'inference'), 0)
                   as inference_cost,
               sum(daily.effective_cost) as ai_cost
        from {MARTS}.fct_cost_daily as daily
        inner join seeds.workload_phases as phases on phases.workload_phase = daily.workload_phase
        where phases.is_ai
        group by all
        having sum(daily.effective_cost) > 0
        order by month, daily.billing_currency
        """
    )


def unit_costs(marts: Marts, month: date, team: str | None = None) -> list[dict] | Unavailable:
    """The month's unit costs, with the previous month's unit cost of the same metric beside."""
    if not marts.has("fct_unit_costs"):
        return Unavailable("fct_unit_costs")
    return marts.rows(
        f"""
        select this_month.team, this_month.billing_currency, this_month.metric, this_month.subject,
               this_month.effective_cost as cost,
               this_month.quantity, this_month.quantity_unit, this_month.unit_cost,
               last_month.unit_cost as previous_unit_cost
        from {MARTS}.fct_unit_costs as this_month
        left join {MARTS}.fct_unit_costs as last_month
            on last_month.charge_month = this_month.charge_month - interval 1 month
            and last_month.team = this_month.team and last_month.billing_currency = this_month.billing_currency
            and last_month.metric = this_month.metric and last_month.subject is not distinct from this_month.subject
        where this_month.charge_month = ? and (? is null or this_month.team = ?)
        order by this_month.team, this_month.billing_currency, this_month.metric, this_month.subject
        """,
        [month, team, team],
    )


def anomalies(marts: Marts, team: str | None = None, open_only: bool = False, limit: int = 30):
    """Anomalies, largest impact first: a team's, or the open ones (not resolved) of every team."""
    if not marts.has("fct_cost_anomalies"):
        return Unavailable("fct_cost_anomalies")
    present = marts.columns["fct_cost_anomalies"]
    optional = ", ".join(column if column in present else f"null as {column}" for column in ANOMALY_OPTIONAL_COLUMNS)
    return marts.rows(
        f"""
        select anomaly_id, team, first_day, last_day, expected_cost, actual_cost, impact_cost, status, drivers,
               {optional}
        from {MARTS}.fct_cost_anomalies
        where (? is null or team = ?) and (not ? or status <> 'resolved')
        order by status = 'resolved', impact_cost desc, anomaly_id
        limit {int(limit)}
        """,
        [team, team, open_only],
    )


def anomaly_counts(marts: Marts) -> dict[str, int] | Unavailable:
    if not marts.has("fct_cost_anomalies"):
        return Unavailable("fct_cost_anomalies")
    return dict(marts.con.execute(f"select status, count(*) from {MARTS}.fct_cost_anomalies group by all").fetchall())


def largest_unallocated(marts: Marts, limit: int = 10) -> list[dict] | Unavailable:
    """The largest costs no team owns, per currency (the mart ranks them within a currency)."""
    if not marts.has("fct_unallocated_costs"):
        return Unavailable("fct_unallocated_costs")
    return marts.rows(
        f"""
        select billing_currency, cost_rank, sub_account_id, resource_id, resource_name, service_name,
               unallocated_reason, team_label_value, effective_cost, first_charge_date, last_charge_date
        from {MARTS}.fct_unallocated_costs
        where cost_rank <= {int(limit)}
        order by billing_currency, cost_rank, resource_id
        """
    )
