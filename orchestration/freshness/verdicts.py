"""Freshness readings as Dagster check results: pure functions of what was read and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg

from orchestration.freshness.dbt_run import SOURCE_SELECTOR
from orchestration.freshness.readers import ExportDays, ExportTimeReading
from orchestration.freshness.thresholds import FreshnessThresholds
from orchestration.transform.project import GCP_EXPORT_SOURCE

EXPORT_TIME_CHECK = "export_time_freshness"
EXPORT_DAY_GAPS_CHECK = "export_day_gaps"
DBT_SOURCE_CHECK = "dbt_source_freshness"
# Every freshness check, in the order they are reported.
FRESHNESS_CHECKS = (EXPORT_TIME_CHECK, EXPORT_DAY_GAPS_CHECK, DBT_SOURCE_CHECK)


def in_hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _utc_datetime(text: str) -> datetime:
    """A time dbt wrote; dbt writes UTC, with or without the offset."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def in_the_future(newest: datetime, now: datetime, thresholds: FreshnessThresholds) -> str | None:
    """Why a newest export_time cannot count as fresh: it is more than the clock-skew tolerance
    after now (None when it is not). Both the Dagster and the dbt check judge with this: one wrong
    row would otherwise make the export look fresh until its date, stalled or not."""
    ahead = newest - now
    if ahead <= thresholds.future_tolerance:
        return None
    return (
        f"newest export_time {_utc(newest)} is {in_hours(ahead)} h in the future, more than the "
        f"{in_hours(thresholds.future_tolerance)} h allowed for clock skew: a wrong export_time hides whether "
        "the export is still arriving"
    )


def export_time_result(
    reading: ExportTimeReading, now: datetime, thresholds: FreshnessThresholds
) -> dg.AssetCheckResult:
    """Pass within warn_after of now; WARN beyond it; ERROR beyond error_after, with no rows, or
    with a newest export_time in the future beyond the tolerance."""
    metadata: dict[str, Any] = {
        "relation": reading.relation,
        "row_count": dg.MetadataValue.int(reading.row_count),
        "checked_at": dg.MetadataValue.timestamp(now),
        "warn_after_hours": dg.MetadataValue.float(in_hours(thresholds.warn_after)),
        "error_after_hours": dg.MetadataValue.float(in_hours(thresholds.error_after)),
        "future_tolerance_hours": dg.MetadataValue.float(in_hours(thresholds.future_tolerance)),
    }

    def failed(severity: dg.AssetCheckSeverity, description: str) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            check_name=EXPORT_TIME_CHECK, passed=False, severity=severity, description=description, metadata=metadata
        )

    if reading.newest_export_time is None:
        return failed(
            dg.AssetCheckSeverity.ERROR,
            f"{reading.relation} has no rows with an export_time: the export has not delivered anything yet",
        )
    lag = now - reading.newest_export_time
    metadata["newest_export_time"] = dg.MetadataValue.timestamp(reading.newest_export_time)
    metadata["lag_hours"] = dg.MetadataValue.float(in_hours(lag))
    future = in_the_future(reading.newest_export_time, now, thresholds)
    if future:
        metadata["future_rows"] = dg.MetadataValue.int(reading.future_rows)
        if reading.newest_not_future is None:
            without = "no row is at or before then"
        else:
            metadata["newest_not_future"] = dg.MetadataValue.timestamp(reading.newest_not_future)
            without = (
                f"without them the newest export_time is {_utc(reading.newest_not_future)}, "
                f"{in_hours(now - reading.newest_not_future)} h ago"
            )
        return failed(
            dg.AssetCheckSeverity.ERROR,
            f"{future}. {reading.future_rows} row(s) are beyond the tolerance; {without}",
        )
    newest = _utc(reading.newest_export_time)
    if lag > thresholds.error_after:
        severity, threshold, verdict = dg.AssetCheckSeverity.ERROR, thresholds.error_after, "stalled"
    elif lag > thresholds.warn_after:
        severity, threshold, verdict = dg.AssetCheckSeverity.WARN, thresholds.warn_after, "late"
    else:
        # Ahead within the tolerance: clock skew, fresh, and said so.
        ahead = " (in the future, within the clock-skew tolerance)" if lag < timedelta(0) else ""
        return dg.AssetCheckResult(
            check_name=EXPORT_TIME_CHECK,
            passed=True,
            description=f"newest export_time {newest}, {in_hours(lag)} h ago{ahead}",
            metadata=metadata,
        )
    level = "error" if severity == dg.AssetCheckSeverity.ERROR else "warn"
    metadata["threshold_hours"] = dg.MetadataValue.float(in_hours(threshold))
    return failed(
        severity,
        f"export {verdict}: newest export_time {newest} is {in_hours(lag)} h old, "
        f"more than {in_hours(threshold)} h ({level}_after)",
    )


def export_day_gaps_result(days: ExportDays, now: datetime, thresholds: FreshnessThresholds) -> dg.AssetCheckResult:
    """ERROR when a day of the recent window has no export row while a later day has: a hole the
    newest export_time cannot show (a day Google did not export, or locally an extract that never
    landed or loaded; either way that day's costs may be missing from the marts)."""
    window_start, last_day = thresholds.gap_window_at(now)
    # No day before the export began can be missing.
    first_day = max(window_start, days.first_export_day) if days.first_export_day else window_start
    present = sorted(day for day in days.rows_by_day if first_day <= day <= last_day)
    missing: list[date] = []
    if present:
        span = (present[-1] - first_day).days + 1
        missing = [first_day + timedelta(days=n) for n in range(span) if first_day + timedelta(days=n) not in present]
    metadata: dict[str, Any] = {
        "relation": days.relation,
        "window_days": dg.MetadataValue.int(thresholds.gap_window_days),
        "window": f"{window_start.isoformat()} to {last_day.isoformat()} (UTC days of export_time)",
        "rows_by_day": dg.MetadataValue.json({day.isoformat(): days.rows_by_day[day] for day in present}),
        "missing_days": dg.MetadataValue.json([day.isoformat() for day in missing]),
    }
    if missing:
        return dg.AssetCheckResult(
            check_name=EXPORT_DAY_GAPS_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{len(missing)} day(s) without any export row before {present[-1].isoformat()}, which has rows: "
                f"{', '.join(day.isoformat() for day in missing)} (last {thresholds.gap_window_days} days)"
            ),
            metadata=metadata,
        )
    if not present:
        description = (
            f"no export rows in the last {thresholds.gap_window_days} days, so no day between them is missing "
            f"(a stalled export is {EXPORT_TIME_CHECK}'s to report)"
        )
    else:
        description = f"every day from {first_day.isoformat()} to {present[-1].isoformat()} has export rows"
    return dg.AssetCheckResult(
        check_name=EXPORT_DAY_GAPS_CHECK, passed=True, description=description, metadata=metadata
    )


def dbt_freshness_result(
    sources_json: Mapping[str, Any], errors: list[str], thresholds: FreshnessThresholds
) -> dg.AssetCheckResult:
    """The result of `dbt source freshness` for our source as a check result.

    dbt's `pass` passes; `warn` fails with WARN; `error` and `runtime error` fail with ERROR. A
    max_loaded_at in the future beyond the tolerance is an ERROR whatever dbt says (dbt calls it
    fresh), judged against dbt's own snapshot time. dbt reports an empty table as max_loaded_at
    0001-01-01, said here in words."""
    results = [r for r in sources_json.get("results", []) if r.get("unique_id") == GCP_EXPORT_SOURCE]
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
        "dbt_invocation_id": str(sources_json.get("metadata", {}).get("invocation_id")),
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
    future = None
    if status in ("pass", "warn", "error") and not never_loaded and result.get("snapshotted_at"):
        measured_at = _utc_datetime(str(result["snapshotted_at"]))
        future = in_the_future(_utc_datetime(str(max_loaded_at)), measured_at, thresholds)
    if status == "pass" and not future:
        return dg.AssetCheckResult(
            check_name=DBT_SOURCE_CHECK,
            passed=True,
            description=f"dbt source freshness: pass (max export_time {max_loaded_at})",
            metadata=metadata,
        )
    severity = dg.AssetCheckSeverity.WARN if status == "warn" and not future else dg.AssetCheckSeverity.ERROR
    if future:
        detail = f"dbt says {status}, but its {future}"
    elif status in ("warn", "error"):
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
        description=f"dbt source freshness: {'error' if future else status}: {detail}",
        metadata=metadata,
    )
