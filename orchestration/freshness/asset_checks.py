"""The two freshness checks on the GCP export asset, as Dagster asset checks."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.freshness.readers import (
    SOURCE_SELECTOR,
    WarehouseUnavailable,
    read_newest_export_time,
    run_dbt_source_freshness,
)
from orchestration.freshness.thresholds import FreshnessThresholds
from orchestration.freshness.verdicts import (
    DBT_SOURCE_CHECK,
    EXPORT_TIME_CHECK,
    dbt_freshness_result,
    export_time_result,
    in_hours,
)
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.resources import DuckDBWarehouse, Warehouse

FRESHNESS_CHECK_KEYS = [dg.AssetCheckKey(GCP_BILLING_EXPORT, name) for name in (EXPORT_TIME_CHECK, DBT_SOURCE_CHECK)]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_export_freshness_checks(
    thresholds: FreshnessThresholds, clock: Clock = utc_now
) -> list[dg.AssetChecksDefinition]:
    """The two freshness checks. `thresholds` are the dbt source's (thresholds.py); `clock` is
    injectable so tests (and generated data with its own calendar) decide what "now" is."""
    lags = f"warn after {in_hours(thresholds.warn_after)} h, error after {in_hours(thresholds.error_after)} h"

    def unavailable(check_name: str, missing: WarehouseUnavailable) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            check_name=check_name, passed=False, severity=dg.AssetCheckSeverity.ERROR, description=str(missing)
        )

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=EXPORT_TIME_CHECK,
        description=f"The newest export_time in the export against now ({lags}): notices a stalled export "
        "even when ingestion still runs.",
        blocking=False,
    )
    def export_time_freshness(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
        try:
            reading = read_newest_export_time(warehouse)
        except WarehouseUnavailable as missing:
            return unavailable(EXPORT_TIME_CHECK, missing)
        result = export_time_result(reading, clock(), thresholds)
        (context.log.info if result.passed else context.log.warning)(f"{EXPORT_TIME_CHECK}: {result.description}")
        return result

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=DBT_SOURCE_CHECK,
        description=f"`dbt source freshness --select {SOURCE_SELECTOR}` (loaded_at_field export_time; {lags}).",
        blocking=False,
    )
    def dbt_source_freshness(
        context: dg.AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
    ) -> dg.AssetCheckResult:
        if isinstance(warehouse, DuckDBWarehouse) and not warehouse.path.exists():
            # dbt-duckdb would create an empty file; say what is wrong instead.
            return unavailable(
                DBT_SOURCE_CHECK,
                WarehouseUnavailable(f"{warehouse.description} does not exist: nothing has been ingested yet"),
            )
        result = dbt_freshness_result(*run_dbt_source_freshness(dbt))
        (context.log.info if result.passed else context.log.warning)(f"{DBT_SOURCE_CHECK}: {result.description}")
        return result

    return [export_time_freshness, dbt_source_freshness]
