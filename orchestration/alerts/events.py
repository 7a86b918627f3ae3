"""The events people are told about, read from the marts: a budget of the newest month at risk or
over, and an open cost anomaly. Each has a key that says when it is the same event again.

A budget's key carries its status, so a budget that goes from at_risk to over is a new event; an
anomaly's key is its anomaly_id. Both warehouses answer the same SQL here (a max, an equality).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from orchestration.resources import BigQueryWarehouse, DuckDBWarehouse, Warehouse
from orchestration.spend import ALL
from orchestration.transform.project import Relation

BUDGET_STATUS_MART = "fct_budget_status"
COST_ANOMALIES_MART = "fct_cost_anomalies"
ALERTING_BUDGET_STATUSES = ("over", "at_risk")  # worst first
# An anomaly still open is news until it was delivered: one first seen while a target was down
# (or before any was configured) is 'ongoing' by the next run, and must not be lost.
OPEN_ANOMALY_STATUSES = ("new", "ongoing")


@dataclass(frozen=True)
class AlertEvent:
    key: str
    """Stable identity, e.g. `budget|2026-12-01|ml-platform|all|all|USD|over`, `anomaly|<anomaly_id>`."""
    kind: str
    """`budget` or `anomaly`."""
    team: str
    status: str
    amount: float
    """The headline figure: the forecast month-end cost, or the anomaly's impact."""
    currency: str
    title: str
    body: str
    budget_id: str | None = None
    owner_url: str | None = None
    """The budget's owner_contact when it is an Apprise URL (seeds/budgets.csv): a target of its own."""


def mart_relation(warehouse: Warehouse, name: str) -> Relation | None:
    """Where dbt builds the mart, or None when this project has no such model."""
    try:
        return warehouse.model(name)
    except KeyError:
        return None


def published_name(warehouse: Warehouse, relation: Relation) -> str:
    """Where readers find the mart once published (the alerts run after the publication)."""
    if isinstance(warehouse, DuckDBWarehouse):
        return f"{relation.schema}.{relation.identifier} in {warehouse.published}"
    if isinstance(warehouse, BigQueryWarehouse):
        return f"{relation.database}.{warehouse.published_dataset}.{relation.identifier}"
    return relation.table_id


def newest_month_budgets(warehouse: Warehouse, relation: Relation) -> pd.DataFrame:
    """Every row of the newest charge_month of fct_budget_status that has begun (a month the data
    has reached: a budget valid in months to come is not news yet)."""
    table = warehouse.quoted(relation)
    newest = f"select max(charge_month) from {table} where charge_month <= data_through"
    return warehouse.query(f"select * from {table} where charge_month = ({newest})")


def anomalies_with_status(warehouse: Warehouse, relation: Relation, statuses: tuple[str, ...]) -> pd.DataFrame:
    listed = ", ".join(f"'{status}'" for status in statuses)
    return warehouse.query(f"select * from {warehouse.quoted(relation)} where status in ({listed})")


def alerting_budgets(budgets: pd.DataFrame) -> pd.DataFrame:
    """Rows at risk or over, the worst first (over before at_risk, then the largest projected overrun)."""
    rows = budgets[budgets["status"].isin(ALERTING_BUDGET_STATUSES)].copy()
    rows["_rank"] = rows["status"].map(ALERTING_BUDGET_STATUSES.index)
    rows["_over"] = rows["projected_over_under"].map(number)
    return rows.sort_values(["_rank", "_over"], ascending=[True, False]).drop(columns=["_rank", "_over"])


def worst_anomalies(anomalies: pd.DataFrame) -> pd.DataFrame:
    rows = anomalies.copy()
    rows["_impact"] = rows["impact_cost"].map(number)
    return rows.sort_values("_impact", ascending=False).drop(columns=["_impact"])


def budget_event(row: dict[str, Any], where: str) -> AlertEvent:
    month = as_date(row["charge_month"])
    currency = row["billing_currency"]
    scope = _scope(row["workload_phase"], row["provider_name"])
    status = row["status"]
    forecast, budget = number(row["forecast_cost"]), number(row["budget_amount"])
    to_date, over_under = number(row["month_to_date_cost"]), number(row["projected_over_under"])
    # fct_budget_status: `over` once the month-to-date cost exceeds the budget, `at_risk` when the
    # forecast does; the headline is the figure that crossed it.
    contact = row.get("owner_contact")
    # An Apprise URL may hold a token: it is where the message goes, not what it says.
    owner = "(none given)" if not _present(contact) else ("notified directly" if "://" in contact else contact)
    if status == "over":
        what, headline = "has gone over its budget", f"month to date {money(to_date, currency)}"
    else:
        what, headline = "is forecast to go over its budget", f"forecast {money(forecast, currency)}"
    body = "\n".join(
        [
            f"Team {row['team']} ({scope}) {what} for {month:%B %Y}.",
            f"Forecast month-end: {money(forecast, currency)} "
            f"(90% interval {money(number(row['forecast_low']), currency)} to "
            f"{money(number(row['forecast_high']), currency)}); budget {money(budget, currency)}; "
            f"projected {'over' if over_under > 0 else 'under'} by {money(abs(over_under), currency)}.",
            f"Month to date: {money(to_date, currency)} (data through {as_date(row['data_through'])}).",
            f"Where to look: {where}, budget_id {row['budget_id']}.",
            f"Budget owner: {owner}.",
        ]
    )
    key = "|".join(
        ["budget", month.isoformat(), row["team"], row["workload_phase"], row["provider_name"], currency, status]
    )
    return AlertEvent(
        key=key,
        kind="budget",
        team=row["team"],
        status=status,
        amount=forecast,
        currency=currency,
        title=f"Budget {status.replace('_', ' ')}: {row['team']} ({scope}), {month:%B %Y}, "
        f"{headline} against {money(budget, currency)}",
        body=body,
        budget_id=row["budget_id"],
        owner_url=contact if _present(contact) and "://" in contact else None,
    )


def anomaly_event(row: dict[str, Any], where: str) -> AlertEvent:
    currency = row["billing_currency"]
    impact = number(row["impact_cost"])
    first, last = as_date(row["first_day"]), as_date(row["last_day"])
    on = row["service_name"] + (f", resource {row['resource_id']}" if _present(row.get("resource_id")) else "")
    since = "new" if row["status"] == "new" else f"{row['status']} since {first}"
    expected = (
        f"an expected {money(number(row['expected_cost']), currency)}"
        if _present(row.get("expected_cost"))
        else "no expected cost (the mart gives none)"
    )
    body = "\n".join(
        [
            f"Cost anomaly for team {row['team']} ({row['workload_phase']}) on {on} ({since}).",
            f"Actual {money(number(row['actual_cost']), currency)} against {expected} "
            f"over {int(row['days'])} day(s), {first} to {last}: impact {money(impact, currency)}.",
            f"Drivers: {row.get('drivers') or '(none found)'}.",
            f"Where to look: {where}, anomaly_id {row['anomaly_id']} (data through {as_date(row['data_through'])}).",
        ]
    )
    return AlertEvent(
        key=f"anomaly|{row['anomaly_id']}",
        kind="anomaly",
        team=row["team"],
        status=row["status"],
        amount=impact,
        currency=currency,
        title=f"Cost anomaly: {row['team']} ({row['workload_phase']}), {row['service_name']}, "
        f"impact {money(impact, currency)} since {first}",
        body=body,
    )


def open_events(warehouse: Warehouse) -> list[AlertEvent]:
    """Every event the marts hold now, budgets first; a mart this project does not build (or that
    was never built) has none."""
    events: list[AlertEvent] = []
    budgets = mart_relation(warehouse, BUDGET_STATUS_MART)
    if budgets is not None and warehouse.exists(budgets):
        where = published_name(warehouse, budgets)
        rows = alerting_budgets(newest_month_budgets(warehouse, budgets))
        events += [budget_event(row, where) for row in rows.to_dict("records")]
    anomalies = mart_relation(warehouse, COST_ANOMALIES_MART)
    if anomalies is not None and warehouse.exists(anomalies):
        where = published_name(warehouse, anomalies)
        rows = worst_anomalies(anomalies_with_status(warehouse, anomalies, OPEN_ANOMALY_STATUSES))
        events += [anomaly_event(row, where) for row in rows.to_dict("records")]
    return events


def number(value: Any) -> float:
    """A money figure from either warehouse (Decimal, float, NULL) as a float; NULL is 0."""
    return 0.0 if not _present(value) else float(value)


def money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def as_date(value: Any) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _present(value: Any) -> bool:
    return (
        value is not None
        and value is not pd.NA
        and not (isinstance(value, float) and math.isnan(value))
        and value != ""
    )


def _scope(phase: str, provider: str) -> str:
    phases = "all phases" if phase == ALL else f"phase {phase}"
    providers = "all providers" if provider == ALL else provider
    return f"{phases}, {providers}"
