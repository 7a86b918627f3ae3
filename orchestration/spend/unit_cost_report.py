"""What the demo prints of the unit costs: the newest usage month of fct_unit_costs and
fct_ai_spend_mix_monthly, for all teams together, and the cost per thousand requests per team."""

from __future__ import annotations

import duckdb

from orchestration.reporting import MARTS
from orchestration.spend import ALL

METRIC_LABELS = {
    "cost_per_million_input_tokens": "per million input tokens",
    "cost_per_million_output_tokens": "per million output tokens",
    "cost_per_accelerator_hour": "per accelerator hour",
    "cost_per_prediction_accelerator_hour": "per online prediction accelerator hour",
    "cost_per_prediction_vcpu_hour": "per online prediction vCPU hour",
    "cost_per_thousand_requests": "per thousand requests",
    "cost_per_thousand_documents": "per thousand documents",
}


def render_unit_costs(con: duckdb.DuckDBPyConnection) -> str:
    """The unit costs of the newest usage month, as text (empty marts: says so)."""
    (month,) = con.execute(f"select max(charge_month) from {MARTS}.fct_unit_costs").fetchone()
    if month is None:
        return "Unit costs: none (no token, accelerator or prediction usage, no business metrics)."
    lines = [f"Unit costs, usage month {month:%Y-%m} (all teams; the month may still be filling in):"]
    rows = con.execute(
        f"""
        select billing_currency, metric, subject, quantity, quantity_unit, unit_cost
        from {MARTS}.fct_unit_costs
        where charge_month = ? and team = '{ALL}' and metric not like 'cost_per_thousand_%'
        order by billing_currency, metric, subject
        """,
        [month],
    ).fetchall()
    for currency, metric, subject, quantity, unit, unit_cost in rows:
        label = f"{subject} {METRIC_LABELS.get(metric, metric)}"
        lines.append(f"  {label:<55} {_amount(unit_cost):>12} {currency}   ({quantity:,.1f} {unit})")
    per_team = con.execute(
        f"""
        select team, billing_currency, metric, quantity, quantity_unit, unit_cost
        from {MARTS}.fct_unit_costs
        where charge_month = ? and team != '{ALL}' and metric like 'cost_per_thousand_%'
        order by metric, team, billing_currency
        """,
        [month],
    ).fetchall()
    if per_team:
        lines.append("  From the business's metrics:")
        for team, currency, metric, quantity, unit, unit_cost in per_team:
            label = f"{team} {METRIC_LABELS.get(metric, metric)}"
            lines.append(f"  {label:<55} {_amount(unit_cost):>12} {currency}   ({quantity:,.1f} {unit})")
    mix = con.execute(
        f"""
        select billing_currency, ai_cost, inference_cost, inference_share, previous_inference_share,
               inference_share_change
        from {MARTS}.fct_ai_spend_mix_monthly
        where charge_month = ? and team = '{ALL}'
        order by billing_currency
        """,
        [month],
    ).fetchall()
    for currency, ai_cost, inference_cost, share, previous, change in mix:
        trend = (
            "no month before" if previous is None else f"{previous:.1%} the month before, {change * 100:+.1f} points"
        )
        lines.append(
            f"  Inference share of AI spend ({currency}): {_share(share)} "
            f"({inference_cost:,.2f} of {ai_cost:,.2f}; {trend})"
        )
    return "\n".join(lines)


def _amount(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
