"""Reading what freshness is judged on, from the export wherever the dbt source says it is: its
newest export_time, and which recent days have rows. Plain SQL, the same statements on DuckDB and
BigQuery; only export_time is read (on BigQuery the export is partitioned by its day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd

from orchestration.resources import Warehouse


@dataclass(frozen=True)
class ExportTimeReading:
    relation: str
    row_count: int
    newest_export_time: datetime | None  # timezone-aware UTC; None when the table has no rows
    future_rows: int
    """Rows whose export_time is after the `not_after` the reading was asked with."""
    newest_not_future: datetime | None
    """The newest export_time at or before `not_after`: how fresh the export is without those rows."""


@dataclass(frozen=True)
class ExportDays:
    relation: str
    rows_by_day: dict[date, int]
    """Rows per UTC day of export_time, for the days asked for that have rows."""
    first_export_day: date | None
    """The day of the oldest export_time before the window's end: no day before it can be missing."""


class WarehouseUnavailable(Exception):
    """The export cannot be read at all (no warehouse file, no table), or dbt could not look at it:
    reported as a failed check, in these words."""


def _checked_relation(warehouse: Warehouse) -> str:
    relation = warehouse.export()
    if not warehouse.exists(relation):
        raise WarehouseUnavailable(
            f"the GCP export {relation.schema}.{relation.identifier} does not exist in {warehouse.description}: "
            "nothing has been ingested yet (locally: `chargeback ingest gcp`), or CHARGEBACK_EXPORT_* names "
            "another table"
        )
    return warehouse.quoted(relation)


def read_newest_export_time(warehouse: Warehouse, not_after: datetime) -> ExportTimeReading:
    """The newest export_time and the row count of the export; and, apart, the rows after
    `not_after` (export_times in the future) and the newest export_time without them."""
    quoted = _checked_relation(warehouse)
    limit = _timestamp(not_after)
    row = warehouse.query(
        "select max(export_time) as newest_export_time, count(*) as row_count, "
        f"count(case when export_time > {limit} then 1 end) as future_rows, "
        f"max(case when export_time <= {limit} then export_time end) as newest_not_future "
        f"from {quoted}"
    ).iloc[0]
    return ExportTimeReading(
        relation=quoted,
        row_count=int(row["row_count"]),
        newest_export_time=_as_utc(row["newest_export_time"]),
        future_rows=int(row["future_rows"]),
        newest_not_future=_as_utc(row["newest_not_future"]),
    )


def read_export_days(warehouse: Warehouse, first_day: date, last_day: date) -> ExportDays:
    """Rows per UTC day of export_time from `first_day` to `last_day` (both included), and the day
    of the oldest export_time up to `last_day`. Locally `_export_date` is that same day (the
    loader sets it so, as BigQuery's partition day), so both warehouses are asked the same."""
    quoted = _checked_relation(warehouse)
    start = _timestamp(datetime.combine(first_day, time(), UTC))
    end = _timestamp(datetime.combine(last_day + timedelta(days=1), time(), UTC))
    # Rows before the window fall in one group (export_day null): only their oldest is wanted.
    frame = warehouse.query(
        f"select case when export_time >= {start} then cast(export_time as date) end as export_day, "
        "count(*) as row_count, min(export_time) as oldest_export_time "
        f"from {quoted} where export_time < {end} group by 1"
    )
    oldest = [_as_utc(value) for value in frame["oldest_export_time"]]
    days = {
        pd.Timestamp(day).date(): int(rows)
        for day, rows in zip(frame["export_day"], frame["row_count"], strict=True)
        if not pd.isna(day)
    }
    known = [value for value in oldest if value is not None]
    return ExportDays(relation=quoted, rows_by_day=days, first_export_day=min(known).date() if known else None)


def _timestamp(moment: datetime) -> str:
    """A UTC timestamp literal both warehouses read alike (the local table stores naive UTC)."""
    return f"timestamp '{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def _as_utc(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    value = pd.Timestamp(value).to_pydatetime()
    # The local raw table stores naive UTC (see gcp_schema.py); BigQuery returns aware UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
