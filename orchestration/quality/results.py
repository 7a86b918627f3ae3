"""What a check found, and the warehouse table that keeps every finding.

`quality.check_results` (DuckDB) or `<dataset>_quality.check_results` (BigQuery) gets one row
per check per run, appended, never updated: a BI tool charts tag coverage over time from it
(`observed_value` of `gx_tag_coverage`, by `checked_at`). The table is created when absent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Protocol

RESULTS_SCHEMA = "quality"
RESULTS_TABLE = "check_results"

# (name, DuckDB type, BigQuery type, description): the table's public columns, in order.
RESULT_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("run_id", "VARCHAR", "STRING", "Dagster run id (or the CLI's run id)."),
    ("check_name", "VARCHAR", "STRING", "Check name, e.g. gx_tag_coverage."),
    ("asset_key", "VARCHAR", "STRING", "Dagster asset the check belongs to, e.g. fct_tag_coverage_daily."),
    ("severity", "VARCHAR", "STRING", "ERROR (blocks the marts) or WARN."),
    ("passed", "BOOLEAN", "BOOL", "Whether every expectation of the check's suite held."),
    ("observed_value", "DOUBLE", "FLOAT64", "The check's headline figure (e.g. the lowest daily tag coverage)."),
    ("threshold", "DOUBLE", "FLOAT64", "The limit it was held to."),
    ("summary", "VARCHAR", "STRING", "One line: what was found."),
    ("details", "VARCHAR", "STRING", "JSON text: failing rows, top offenders, per-expectation results."),
    ("warehouse", "VARCHAR", "STRING", "duckdb or bigquery."),
    ("checked_at", "TIMESTAMP", "TIMESTAMP", "When the check ran (UTC)."),
)


@dataclass
class CheckOutcome:
    """One check's verdict and figures; becomes Dagster metadata and one results-table row."""

    check_name: str
    asset_key: str
    severity: str  # "ERROR" or "WARN"
    passed: bool
    observed_value: float | None
    threshold: float | None
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(tzinfo=None))

    def row(self, run_id: str, warehouse: str) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "check_name": self.check_name,
            "asset_key": self.asset_key,
            "severity": self.severity,
            "passed": bool(self.passed),
            "observed_value": _finite(self.observed_value),
            "threshold": _finite(self.threshold),
            "summary": self.summary,
            "details": json.dumps(self.details, default=_json_default, sort_keys=True),
            "warehouse": warehouse,
            "checked_at": self.checked_at,
        }


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


class ResultsWriter(Protocol):
    def append(self, rows: list[dict[str, Any]]) -> None: ...


class DuckDBResultsWriter:
    """Appends to quality.check_results in the DuckDB file, creating schema and table if absent."""

    def __init__(self, connect):
        self._connect = connect  # () -> duckdb connection (read-write), closed by the caller's context

    @staticmethod
    def ddl() -> list[str]:
        columns = ", ".join(f"{name} {duck}" for name, duck, _, _ in RESULT_COLUMNS)
        return [
            f"create schema if not exists {RESULTS_SCHEMA}",
            f"create table if not exists {RESULTS_SCHEMA}.{RESULTS_TABLE} ({columns})",
        ]

    def append(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = [name for name, *_ in RESULT_COLUMNS]
        with self._connect() as con:
            # One transaction: a run's findings land together or not at all.
            con.execute("begin")
            for statement in self.ddl():
                con.execute(statement)
            con.executemany(
                f"insert into {RESULTS_SCHEMA}.{RESULTS_TABLE} ({', '.join(names)}) "
                f"values ({', '.join('?' for _ in names)})",
                [[row[name] for name in names] for row in rows],
            )
            con.execute("commit")


class BigQueryResultsWriter:
    """Appends to `<project>.<dataset>.check_results` with a load job (free, unlike streaming
    inserts, and visible to queries at once), creating the dataset and table if absent."""

    def __init__(self, client, project: str, dataset: str, location: str | None = None):
        self.client = client
        self.project = project
        self.dataset = dataset
        self.location = location

    @property
    def table_id(self) -> str:
        return f"{self.project}.{self.dataset}.{RESULTS_TABLE}"

    @staticmethod
    def schema():
        from google.cloud import bigquery

        return [
            bigquery.SchemaField(name, bq_type, mode="REQUIRED" if name in ("run_id", "check_name", "passed", "checked_at") else "NULLABLE", description=text)
            for name, _, bq_type, text in RESULT_COLUMNS
        ]

    def append(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{self.dataset}")
        if self.location:
            dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True)
        table = bigquery.Table(self.table_id, schema=self.schema())
        table.description = "One row per data-quality check per run (orchestration/quality)."
        self.client.create_table(table, exists_ok=True)
        payload = [
            {**row, "checked_at": row["checked_at"].isoformat(sep=" ") if isinstance(row["checked_at"], datetime) else row["checked_at"]}
            for row in rows
        ]
        job_config = bigquery.LoadJobConfig(
            schema=self.schema(),
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
        )
        job = self.client.load_table_from_json(payload, self.table_id, job_config=job_config, location=self.location)
        job.result()  # raises on a failed load, with BigQuery's own error list
