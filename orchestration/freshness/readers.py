"""Reading what freshness is judged on: the export's newest export_time, and dbt's own verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from dagster_dbt import DbtCliResource

from orchestration.resources import Warehouse

SOURCE_SELECTOR = "source:gcp_billing_export.detailed_usage_cost"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its log lines, even as JSON


@dataclass(frozen=True)
class ExportTimeReading:
    relation: str
    row_count: int
    newest_export_time: datetime | None  # timezone-aware UTC; None when the table has no rows


class WarehouseUnavailable(Exception):
    """The export cannot be read at all (no warehouse file, no table): reported as a failed check."""


def read_newest_export_time(warehouse: Warehouse) -> ExportTimeReading:
    """The newest export_time and the row count of the export, wherever the dbt source says it is."""
    relation = warehouse.export()
    if not warehouse.exists(relation):
        raise WarehouseUnavailable(
            f"the GCP export {relation.schema}.{relation.identifier} does not exist in {warehouse.description}: "
            "nothing has been ingested yet (locally: `chargeback ingest gcp`), or CHARGEBACK_EXPORT_* names "
            "another table"
        )
    quoted = warehouse.quoted(relation)
    # Plain SQL: the same statement on DuckDB and BigQuery (only export_time is read).
    row = warehouse.query(f"select max(export_time) as newest_export_time, count(*) as row_count from {quoted}").iloc[0]
    return ExportTimeReading(
        relation=quoted, row_count=int(row["row_count"]), newest_export_time=_as_utc(row["newest_export_time"])
    )


def _as_utc(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    value = pd.Timestamp(value).to_pydatetime()
    # The local raw table stores naive UTC (see gcp_schema.py); BigQuery returns aware UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def run_dbt_source_freshness(dbt: DbtCliResource) -> tuple[dict[str, Any] | None, list[str]]:
    """`dbt source freshness` of the export: (its sources.json, or None; dbt's error lines)."""
    # One stable folder per target (not dagster-dbt's fresh one per run), so dbt re-parses the
    # project only when it changed: a full parse costs more than the query itself. The previous
    # run's sources.json goes first: a run that cannot reach the warehouse must not leave it
    # to be read as today's verdict.
    target_path = Path("target") / (dbt.target or "default") / "source_freshness"
    (Path(dbt.project_dir) / target_path / "sources.json").unlink(missing_ok=True)
    # Not passed a context: that ties the invocation to @dbt_assets; this is a plain command.
    invocation = dbt.cli(
        ["source", "freshness", "--select", SOURCE_SELECTOR], raise_on_error=False, target_path=target_path
    )
    errors = [
        _ANSI.sub("", str(event.raw_event["info"].get("msg", ""))).strip()
        for event in invocation.stream_raw_events()
        if event.raw_event.get("info", {}).get("level") == "error"
    ]
    try:
        return invocation.get_artifact("sources.json"), errors
    except FileNotFoundError:
        return None, errors
