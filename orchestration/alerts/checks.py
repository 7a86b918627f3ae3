"""Asset checks on the spend marts: a budget of the newest month at risk or over, a new anomaly.

These are news, not a broken build: the checks are not blocking, so whatever their severity
(WARN by default, ERROR when configured, docs/alerts.md) the build is published all the same
(transform/publication.py waits only for blocking checks). A failing check carries the counts,
the amounts per currency and the worst rows as metadata. They exist only for the marts the dbt
project builds (`alert_checks_for`).
"""

import math
from datetime import datetime
from decimal import Decimal

import dagster as dg
import pandas as pd

from orchestration.alerts.events import (
    ALERTING_BUDGET_STATUSES,
    BUDGET_STATUS_MART,
    COST_ANOMALIES_MART,
    alerting_budgets,
    anomalies_with_status,
    money,
    newest_month_budgets,
    number,
    worst_anomalies,
)
from orchestration.alerts.resource import AlertsResource
from orchestration.resources import Warehouse
from orchestration.transform.project import DbtManifest

BUDGET_CHECK = "budget_at_risk_or_over"
ANOMALY_CHECK = "new_cost_anomalies"
BUDGET_CHECK_KEY = dg.AssetCheckKey(dg.AssetKey([BUDGET_STATUS_MART]), BUDGET_CHECK)
ANOMALY_CHECK_KEY = dg.AssetCheckKey(dg.AssetKey([COST_ANOMALIES_MART]), ANOMALY_CHECK)
WORST_ROWS = 10

BUDGET_COLUMNS = [
    "team",
    "workload_phase",
    "provider_name",
    "billing_currency",
    "status",
    "budget_amount",
    "forecast_cost",
    "projected_over_under",
    "month_to_date_cost",
    "owner_contact",
]
ANOMALY_COLUMNS = [
    "anomaly_id",
    "team",
    "workload_phase",
    "service_name",
    "resource_id",
    "billing_currency",
    "first_day",
    "expected_cost",
    "actual_cost",
    "impact_cost",
    "drivers",
]


def _totals(rows: pd.DataFrame, column: str) -> dict[str, float]:
    """`column` summed per billing_currency (money of two currencies is never added)."""
    totals: dict[str, float] = {}
    for currency, amount in zip(rows["billing_currency"], rows[column].map(number), strict=True):
        totals[currency] = round(totals.get(currency, 0.0) + amount, 2)
    return dict(sorted(totals.items()))


def _md_rows(rows: pd.DataFrame, columns: list[str]) -> str:
    if rows.empty:
        return "(none)"
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows.head(WORST_ROWS).to_dict("records"):
        cells = [_cell(row[column]) for column in columns]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat()
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return "" if math.isnan(value) else f"{value:,.2f}"
    return "" if value is None or value is pd.NA else str(value)


def budget_check_result(budgets: pd.DataFrame, severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    """Passes when no budget of the newest charge_month (newest_month_budgets) is at risk or over."""
    alerting = alerting_budgets(budgets)
    month = str(budgets["charge_month"].max())[:10] if not budgets.empty else "-"
    counts = {status: int((alerting["status"] == status).sum()) for status in ALERTING_BUDGET_STATUSES}
    over = _totals(alerting[alerting["projected_over_under"].map(number) > 0], "projected_over_under")
    if alerting.empty:
        summary = f"{len(budgets)} budget(s) of {month}: none at risk or over"
    else:
        amounts = ", ".join(money(amount, currency) for currency, amount in over.items()) or "nothing"
        summary = (
            f"{counts['over']} budget(s) over and {counts['at_risk']} at risk in {month} "
            f"(of {len(budgets)}); projected over budget in all: {amounts}"
        )
    return dg.AssetCheckResult(
        check_name=BUDGET_CHECK,
        asset_key=BUDGET_CHECK_KEY.asset_key,
        passed=alerting.empty,
        severity=severity,
        description=summary,
        metadata={
            "summary": dg.MetadataValue.text(summary),
            "charge_month": dg.MetadataValue.text(month),
            "budgets": dg.MetadataValue.int(len(budgets)),
            "over": dg.MetadataValue.int(counts["over"]),
            "at_risk": dg.MetadataValue.int(counts["at_risk"]),
            "projected_over_by_currency": dg.MetadataValue.json(over),
            "worst": dg.MetadataValue.md(_md_rows(alerting, BUDGET_COLUMNS)),
        },
    )


def anomaly_check_result(new: pd.DataFrame, severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    """Passes when fct_cost_anomalies has no anomaly of status 'new'."""
    worst = worst_anomalies(new)
    impact = _totals(worst, "impact_cost")
    if worst.empty:
        summary = "no new cost anomaly"
    else:
        teams = ", ".join(sorted({str(team) for team in worst["team"]}))
        amounts = ", ".join(money(amount, currency) for currency, amount in impact.items())
        summary = f"{len(worst)} new cost anomaly(ies) ({teams}); impact {amounts}"
    return dg.AssetCheckResult(
        check_name=ANOMALY_CHECK,
        asset_key=ANOMALY_CHECK_KEY.asset_key,
        passed=worst.empty,
        severity=severity,
        description=summary,
        metadata={
            "summary": dg.MetadataValue.text(summary),
            "new_anomalies": dg.MetadataValue.int(len(worst)),
            "impact_by_currency": dg.MetadataValue.json(impact),
            "worst": dg.MetadataValue.md(_md_rows(worst, ANOMALY_COLUMNS)),
        },
    )


def _logged(context: dg.AssetCheckExecutionContext, result: dg.AssetCheckResult) -> dg.AssetCheckResult:
    (context.log.info if result.passed else context.log.warning)(f"{result.check_name}: {result.description}")
    return result


@dg.asset_check(
    asset=BUDGET_CHECK_KEY.asset_key,
    name=BUDGET_CHECK,
    blocking=False,
    description="Budgets of the newest charge month at risk or over (news, never a gate: the build is published "
    "whatever the severity; CHARGEBACK_ALERT_BUDGET_SEVERITY).",
)
def budget_at_risk_or_over(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse, alerts: AlertsResource
) -> dg.AssetCheckResult:
    budgets = newest_month_budgets(warehouse, warehouse.model(BUDGET_STATUS_MART))
    return _logged(context, budget_check_result(budgets, alerts.severity("budget")))


@dg.asset_check(
    asset=ANOMALY_CHECK_KEY.asset_key,
    name=ANOMALY_CHECK,
    blocking=False,
    description="Cost anomalies of status new (news, never a gate: the build is published whatever the "
    "severity; CHARGEBACK_ALERT_ANOMALY_SEVERITY).",
)
def new_cost_anomalies(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse, alerts: AlertsResource
) -> dg.AssetCheckResult:
    new = anomalies_with_status(warehouse, warehouse.model(COST_ANOMALIES_MART), ("new",))
    return _logged(context, anomaly_check_result(new, alerts.severity("anomaly")))


def alert_checks_for(manifest: DbtManifest) -> list[dg.AssetChecksDefinition]:
    """The checks of the marts the dbt project builds (a check on an absent asset would not load)."""
    checks = {BUDGET_STATUS_MART: budget_at_risk_or_over, COST_ANOMALIES_MART: new_cost_anomalies}
    return [check for mart, check in checks.items() if _builds(manifest, mart)]


def _builds(manifest: DbtManifest, model: str) -> bool:
    try:
        manifest.model(model)
    except KeyError:
        return False
    return True
