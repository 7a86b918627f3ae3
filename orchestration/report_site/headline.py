"""The report's headline figures as Dagster metadata on the marts they come from, so the Dagster UI
shows them on each mart's page (and plots them from run to run): observed on the published
warehouse once a build is published."""

from __future__ import annotations

import dagster as dg
import duckdb

from orchestration.report_site import queries
from orchestration.report_site.queries import Marts, Unavailable


def _per_currency(rows: list[dict], field: str, prefix: str) -> dict[str, dg.MetadataValue]:
    totals: dict[str, float] = {}
    for row in rows:
        if row[field] is not None:
            totals[row["billing_currency"]] = totals.get(row["billing_currency"], 0.0) + row[field]
    return {
        f"{prefix}_{currency}": dg.MetadataValue.float(round(total, 2)) for currency, total in sorted(totals.items())
    }


def headline_figures(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, dg.MetadataValue]]:
    """Mart name -> its headline figures for the open month (marts that are absent get none)."""
    marts = Marts(con)
    if not marts.has("fct_cost_daily"):
        return {}
    month = queries.report_month(marts)
    if month is None:
        return {}
    figures: dict[str, dict[str, dg.MetadataValue]] = {
        "fct_cost_daily": {
            "open_month": dg.MetadataValue.text(month.isoformat()),
            "data_through": dg.MetadataValue.text(str(queries.data_through(marts))),
            **_per_currency(queries.month_to_date(marts, month), "month_to_date_cost", "month_to_date"),
        }
    }
    forecasts = queries.forecasts(marts, month)
    if not isinstance(forecasts, Unavailable):
        figures["fct_month_end_forecast"] = _per_currency(forecasts, "forecast_cost", "forecast_month_end")
    budgets = queries.budgets(marts, month)
    if not isinstance(budgets, Unavailable):
        statuses = [row["status"] for row in budgets]
        figures["fct_budget_status"] = {
            f"budgets_{status}": dg.MetadataValue.int(statuses.count(status))
            for status in ("over", "at_risk", "on_track")
        }
    counts = queries.anomaly_counts(marts)
    if not isinstance(counts, Unavailable):
        figures["fct_cost_anomalies"] = {
            f"anomalies_{status}": dg.MetadataValue.int(counts.get(status, 0)) for status in ("new", "ongoing")
        }
    unallocated = queries.largest_unallocated(marts, limit=1_000_000)
    if not isinstance(unallocated, Unavailable):
        figures["fct_unallocated_costs"] = {
            "resources": dg.MetadataValue.int(len(unallocated)),
            **_per_currency(unallocated, "effective_cost", "unallocated"),
        }
    return figures


def headline_observations(con: duckdb.DuckDBPyConnection) -> list[dg.AssetObservation]:
    return [
        dg.AssetObservation(asset_key=dg.AssetKey([mart]), metadata=metadata)
        for mart, metadata in headline_figures(con).items()
        if metadata
    ]
