"""A freshness reading as a Dagster check result: pure functions of what was read and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import dagster as dg

from orchestration.freshness.readers import SOURCE_SELECTOR, ExportTimeReading
from orchestration.freshness.thresholds import FreshnessThresholds
from orchestration.transform.project import GCP_EXPORT_SOURCE

EXPORT_TIME_CHECK = "export_time_freshness"
DBT_SOURCE_CHECK = "dbt_source_freshness"


def in_hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def export_time_result(
    reading: ExportTimeReading, now: datetime, thresholds: FreshnessThresholds
) -> dg.AssetCheckResult:
    """Pass within warn_after of now; WARN beyond it; ERROR beyond error_after or with no rows."""
    metadata: dict[str, Any] = {
        "relation": reading.relation,
        "row_count": dg.MetadataValue.int(reading.row_count),
        "checked_at": dg.MetadataValue.timestamp(now),
        "warn_after_hours": dg.MetadataValue.float(in_hours(thresholds.warn_after)),
        "error_after_hours": dg.MetadataValue.float(in_hours(thresholds.error_after)),
    }
    if reading.newest_export_time is None:
        return dg.AssetCheckResult(
            check_name=EXPORT_TIME_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{reading.relation} has no rows with an export_time: the export has not delivered anything yet"
            ),
            metadata=metadata,
        )
    lag = now - reading.newest_export_time
    metadata["newest_export_time"] = dg.MetadataValue.timestamp(reading.newest_export_time)
    metadata["lag_hours"] = dg.MetadataValue.float(in_hours(lag))
    newest = reading.newest_export_time.strftime("%Y-%m-%d %H:%M:%S UTC")
    if lag > thresholds.error_after:
        severity, threshold, verdict = dg.AssetCheckSeverity.ERROR, thresholds.error_after, "stalled"
    elif lag > thresholds.warn_after:
        severity, threshold, verdict = dg.AssetCheckSeverity.WARN, thresholds.warn_after, "late"
    else:
        # A newest row in the future (generated data, clock skew) is fresh, and said so.
        ahead = " (in the future: check the clocks)" if lag < timedelta(0) else ""
        return dg.AssetCheckResult(
            check_name=EXPORT_TIME_CHECK,
            passed=True,
            description=f"newest export_time {newest}, {in_hours(lag)} h ago{ahead}",
            metadata=metadata,
        )
    level = "error" if severity == dg.AssetCheckSeverity.ERROR else "warn"
    metadata["threshold_hours"] = dg.MetadataValue.float(in_hours(threshold))
    return dg.AssetCheckResult(
        check_name=EXPORT_TIME_CHECK,
        passed=False,
        severity=severity,
        description=(
            f"export {verdict}: newest export_time {newest} is {in_hours(lag)} h old, "
            f"more than {in_hours(threshold)} h ({level}_after)"
        ),
        metadata=metadata,
    )


def dbt_freshness_result(sources_json: Mapping[str, Any] | None, errors: list[str]) -> dg.AssetCheckResult:
    """The result of `dbt source freshness` for our source as a check result.

    dbt's `pass` passes; `warn` fails with WARN; `error` and `runtime error` fail with ERROR.
    dbt reports an empty table as max_loaded_at 0001-01-01, said here in words."""
    results = [r for r in (sources_json or {}).get("results", []) if r.get("unique_id") == GCP_EXPORT_SOURCE]
    if not results:
        detail = "; ".join(errors) or "no result for the source in sources.json"
        return dg.AssetCheckResult(
            check_name=DBT_SOURCE_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"dbt source freshness could not evaluate {SOURCE_SELECTOR}: {detail}",
            metadata={"dbt_errors": dg.MetadataValue.json(errors)},
        )
    result = results[0]
    status = result.get("status", "runtime error")
    criteria = result.get("criteria") or {}
    metadata: dict[str, Any] = {
        "dbt_status": status,
        "criteria": dg.MetadataValue.json(criteria),
    }
    max_loaded_at = result.get("max_loaded_at")
    never_loaded = not max_loaded_at or str(max_loaded_at).startswith("0001-01-01")
    if not never_loaded:
        metadata["max_loaded_at"] = str(max_loaded_at)
        metadata["lag_hours"] = dg.MetadataValue.float(
            round(float(result.get("max_loaded_at_time_ago_in_s", 0)) / 3600, 2)
        )
    if result.get("snapshotted_at"):
        metadata["snapshotted_at"] = str(result["snapshotted_at"])
    if status == "pass":
        return dg.AssetCheckResult(
            check_name=DBT_SOURCE_CHECK,
            passed=True,
            description=f"dbt source freshness: pass (max export_time {max_loaded_at})",
            metadata=metadata,
        )
    severity = dg.AssetCheckSeverity.WARN if status == "warn" else dg.AssetCheckSeverity.ERROR
    if status in ("warn", "error"):
        what = (
            "the source has no rows"
            if never_loaded
            else (f"max export_time {max_loaded_at} is {metadata['lag_hours'].value} h old")
        )
        lags = ", ".join(
            f"{level} {criteria[level]['count']} {criteria[level]['period']}s"
            for level in ("warn_after", "error_after")
            if (criteria.get(level) or {}).get("count") is not None
        )
        detail = f"{what} ({lags})" if lags else what
    else:  # runtime error: dbt's own words (a missing table, a lock, credentials)
        detail = result.get("message") or "; ".join(errors) or "no message"
    return dg.AssetCheckResult(
        check_name=DBT_SOURCE_CHECK,
        passed=False,
        severity=severity,
        description=f"dbt source freshness: {status}: {detail}",
        metadata=metadata,
    )
