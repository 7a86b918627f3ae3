"""The freshness checks on the GCP export asset, as Dagster asset checks."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.freshness.dbt_run import SOURCE_SELECTOR, run_dbt_source_freshness
from orchestration.freshness.readers import WarehouseUnavailable, read_export_days, read_newest_export_time
from orchestration.freshness.thresholds import FreshnessThresholds
from orchestration.freshness.verdicts import (
    DBT_SOURCE_CHECK,
    EXPORT_DAY_GAPS_CHECK,
    EXPORT_TIME_CHECK,
    FRESHNESS_CHECKS,
    dbt_freshness_result,
    export_day_gaps_result,
    export_time_result,
    in_hours,
)
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.locks import WarehouseBusy
from orchestration.resources import Warehouse

FRESHNESS_CHECK_KEYS = [dg.AssetCheckKey(GCP_BILLING_EXPORT, name) for name in FRESHNESS_CHECKS]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _unavailable(check_name: str, missing: WarehouseUnavailable) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=check_name, passed=False, severity=dg.AssetCheckSeverity.ERROR, description=str(missing)
    )


def _logged(context: dg.AssetCheckExecutionContext, result: dg.AssetCheckResult) -> dg.AssetCheckResult:
    (context.log.info if result.passed else context.log.warning)(f"{result.check_name}: {result.description}")
    return result


def build_export_freshness_checks(
    thresholds: FreshnessThresholds, clock: Clock = utc_now
) -> list[dg.AssetChecksDefinition]:
    """The freshness checks. `thresholds` are the dbt source's (thresholds.py); `clock` is
    injectable so tests (and generated data with its own calendar) decide what "now" is."""
    lags = f"warn after {in_hours(thresholds.warn_after)} h, error after {in_hours(thresholds.error_after)} h"
    future = f"an export_time more than {in_hours(thresholds.future_tolerance)} h in the future is an error"

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=EXPORT_TIME_CHECK,
        description=f"The newest export_time in the export against now ({lags}; {future}): notices a stalled "
        "export even when ingestion still runs.",
        blocking=False,
    )
    def export_time_freshness(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
        now = clock()
        try:
            reading = read_newest_export_time(warehouse, not_after=now + thresholds.future_tolerance)
        except (WarehouseUnavailable, WarehouseBusy) as missing:
            return _logged(context, _unavailable(EXPORT_TIME_CHECK, missing))
        return _logged(context, export_time_result(reading, now, thresholds))

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=EXPORT_DAY_GAPS_CHECK,
        description=f"No day without export rows in the last {thresholds.gap_window_days} days before a later "
        "day with rows: a hole the newest export_time cannot show (ERROR, with the days named).",
        blocking=False,
    )
    def export_day_gaps(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
        now = clock()
        try:
            days = read_export_days(warehouse, *thresholds.gap_window_at(now))
        except (WarehouseUnavailable, WarehouseBusy) as missing:
            return _logged(context, _unavailable(EXPORT_DAY_GAPS_CHECK, missing))
        return _logged(context, export_day_gaps_result(days, now, thresholds))

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=DBT_SOURCE_CHECK,
        description=f"`dbt source freshness --select {SOURCE_SELECTOR}` (loaded_at_field export_time; {lags}; "
        f"{future}).",
        blocking=False,
    )
    def dbt_source_freshness(
        context: dg.AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
    ) -> dg.AssetCheckResult:
        try:
            # dbt opens the working copy itself: it waits for its turn like any run of ours.
            with warehouse.lock(f"dbt source freshness of run {context.run.run_id}"):
                sources_json, errors = run_dbt_source_freshness(dbt, warehouse)
        except (WarehouseUnavailable, WarehouseBusy) as could_not_look:
            return _logged(context, _unavailable(DBT_SOURCE_CHECK, could_not_look))
        return _logged(context, dbt_freshness_result(sources_json, errors, thresholds))

    return [export_time_freshness, export_day_gaps, dbt_source_freshness]
