"""What a check found, and the warehouse table that keeps every finding.

`check_results` sits beside the `quality` models (DuckDB: `quality.check_results`; BigQuery:
`<dataset>_quality.check_results`) and gets one row per check per run, appended, never updated:
a BI tool charts tag coverage over time from it (`observed_value` of `gx_tag_coverage`, by
`checked_at`). The table is created from the rows' own columns when absent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

RESULTS_TABLE = "check_results"

# The table's public columns, in order, and what each holds.
RESULT_COLUMNS: dict[str, str] = {
    "run_id": "Dagster run id (or the CLI's run id).",
    "check_name": "Check name, e.g. gx_tag_coverage.",
    "asset_key": "Dagster asset the check belongs to, e.g. fct_tag_coverage_daily.",
    "severity": "ERROR (fails the run, blocks what is downstream) or WARN.",
    "passed": "Whether every expectation of the check's suite held.",
    "observed_value": "The check's headline figure (e.g. the lowest daily tag coverage).",
    "threshold": "The limit it was held to.",
    "summary": "One line: what was found.",
    "details": "JSON text: failing rows, top offenders, per-expectation results.",
    "warehouse": "duckdb or bigquery.",
    "checked_at": "When the check ran (UTC).",
}


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
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

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


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows with explicit column types, which both warehouses create the table from: text,
    a boolean, nullable floats (a missing figure is NULL, not NaN) and a UTC timestamp."""
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    for name in ("observed_value", "threshold"):
        frame[name] = frame[name].astype("Float64")
    frame["passed"] = frame["passed"].astype(bool)
    frame["checked_at"] = pd.to_datetime(frame["checked_at"], utc=True)
    return frame


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
