"""The headline figures of the watching-spend marts as Dagster metadata, so the asset pages of the
UI show (and plot, run after run) where spend is heading without a query.

Read from what the build just made, after `dbt build` has ended (locally dbt holds the working
copy while it runs), and recorded as observations of the marts: the build step materialized them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd

from orchestration.resources import Warehouse
from orchestration.spend import ALL


def _budget_headlines(warehouse: Warehouse, table: str) -> dict[str, dg.MetadataValue]:
    rows = warehouse.query(
        f"""
        select status, count(*) as budgets
        from {table}
        where charge_month = (select max(charge_month) from {table})
        group by status
        """
    )
    counts = {row.status: int(row.budgets) for row in rows.itertuples()}
    return {
        "budgets_over": dg.MetadataValue.int(counts.get("over", 0)),
        "budgets_at_risk": dg.MetadataValue.int(counts.get("at_risk", 0)),
        "budgets_on_track": dg.MetadataValue.int(counts.get("on_track", 0)),
    }


def _forecast_headlines(warehouse: Warehouse, table: str) -> dict[str, dg.MetadataValue]:
    rows = warehouse.query(
        f"""
        select charge_month, data_through, billing_currency,
               sum(month_to_date_cost) as month_to_date_cost, sum(forecast_cost) as forecast_cost
        from {table}
        where charge_month = (select max(charge_month) from {table})
          and workload_phase = '{ALL}' and provider_name = '{ALL}'
        group by charge_month, data_through, billing_currency
        order by billing_currency
        """
    )
    if rows.empty:
        return {}
    first = rows.iloc[0]
    metadata = {
        "open_month": dg.MetadataValue.text(str(pd.Timestamp(first.charge_month).date())[:7]),
        "data_through": dg.MetadataValue.text(str(pd.Timestamp(first.data_through).date())),
    }
    for row in rows.itertuples():
        currency = row.billing_currency
        metadata[f"month_to_date_{currency}"] = dg.MetadataValue.float(round(float(row.month_to_date_cost), 2))
        metadata[f"forecast_{currency}"] = dg.MetadataValue.float(round(float(row.forecast_cost), 2))
    return metadata


# Mart → its headline figures, read from the table the build made.
HEADLINES: dict[str, Callable[[Warehouse, str], dict[str, dg.MetadataValue]]] = {
    "fct_budget_status": _budget_headlines,
    "fct_month_end_forecast": _forecast_headlines,
}


def headline_observations(warehouse: Warehouse, built: set[dg.AssetKey]) -> Iterator[dg.AssetObservation]:
    """One observation per headline mart this build made (a build of a selection may not make them)."""
    for mart, headlines in HEADLINES.items():
        key = dg.AssetKey([mart])
        if key not in built:
            continue
        relation = warehouse.model(mart)
        if not warehouse.exists(relation):
            continue
        metadata = headlines(warehouse, warehouse.quoted(relation))
        if metadata:
            yield dg.AssetObservation(asset_key=key, metadata=metadata)
