"""What the demo and `chargeback report` print of watching spend: for the open month, each team's
month-to-date, month-end forecast and budget status (read-only queries on the marts)."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from orchestration.reporting import MARTS
from orchestration.spend import ALL


def open_month_forecasts(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Per currency and team (every phase, every provider) in the newest month: month-to-date,
    forecast and its interval, with the team's budget over every phase if it has one."""
    return con.execute(
        f"""
        with newest as (select max(charge_month) as charge_month from {MARTS}.fct_month_end_forecast)
        select f.billing_currency, f.team, f.month_to_date_cost, f.forecast_cost, f.forecast_low,
               f.forecast_high, b.budget_amount, b.status, f.charge_month, f.data_through, f.settled_through
        from {MARTS}.fct_month_end_forecast as f
        join newest using (charge_month)
        left join {MARTS}.fct_budget_status as b
          on b.charge_month = f.charge_month and b.team = f.team and b.billing_currency = f.billing_currency
         and b.workload_phase = '{ALL}' and b.provider_name = '{ALL}'
        where f.workload_phase = '{ALL}' and f.provider_name = '{ALL}'
        order by f.billing_currency, f.forecast_cost desc, f.team
        """
    ).fetchall()


def budgets_needing_attention(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Budgets at risk or over in the newest month, the worst projected overrun first."""
    return con.execute(
        f"""
        select budget_id, team, workload_phase, provider_name, billing_currency, status, budget_amount,
               month_to_date_cost, forecast_cost, projected_over_under, owner_contact
        from {MARTS}.fct_budget_status
        where charge_month = (select max(charge_month) from {MARTS}.fct_budget_status)
          and status <> 'on_track'
        order by projected_over_under desc
        """
    ).fetchall()


def _money(value) -> str:
    return f"{Decimal(value):,.0f}"


def render_spend_watch(con: duckdb.DuckDBPyConnection) -> str:
    forecasts = open_month_forecasts(con)
    if not forecasts:
        return "No month-end forecast yet (too little history)."
    month, data_through, settled = forecasts[0][8], forecasts[0][9], forecasts[0][10]
    lines = [
        f"Month to date and month-end forecast, {month:%Y-%m} (data through {data_through}, "
        f"settled through {settled}; 90 % interval)",
        f"{'currency':<9}{'team':<22}{'to date':>12}{'forecast':>12}{'interval':>22}{'budget':>12}  status",
    ]
    for currency, team, to_date, forecast, low, high, budget, status, *_ in forecasts:
        if budget is None and abs(high) < 1:
            continue  # a team's fraction-of-a-cent share of a shared pool in another currency
        interval = f"{_money(low)} - {_money(high)}"
        lines.append(
            f"{currency:<9}{team:<22}{_money(to_date):>12}{_money(forecast):>12}{interval:>22}"
            f"{_money(budget) if budget is not None else '-':>12}  {status or 'no budget'}"
        )
    attention = budgets_needing_attention(con)
    if attention:
        lines.append("")
        lines.append("Budgets at risk or over (fct_budget_status):")
        for budget_id, team, phase, provider, currency, status, budget, to_date, forecast, over, owner in attention:
            scope = " / ".join(value for value in (phase, provider) if value != ALL) or "all spend"
            lines.append(
                f"  {status.upper():<8} {budget_id} ({team}, {scope}): {currency} {_money(to_date)} spent, "
                f"{_money(forecast)} forecast of {_money(budget)} ({'+' if over >= 0 else ''}{_money(over)}); "
                f"tell {owner or 'nobody (no owner_contact)'}"
            )
    return "\n".join(lines)
