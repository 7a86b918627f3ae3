"""The ground truth: which team and workload phase really own every line item.

It is keyed by the warehouse's `line_item_id`, the md5 of `line_item_key_string`: the dbt macro
`line_item_key` (macros/attribution/line_item_key.sql) builds the same text from the same
fields, so the attribution can be graded by joining on the id. The hot loop of the usage rows
(usage_rows.py) builds that text from pre-formatted parts; `line_item_id` is the reference.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestration.generate.gcp.timeline import epoch_us, key_timestamp


def _key_ts(v: Any) -> str:
    """A row's timestamp (a datetime, or a string as BigQuery or ISO write it) as the key holds it."""
    if v is None:
        return ""
    if not isinstance(v, datetime):
        text = str(v).strip().removesuffix(" UTC").removesuffix("Z")
        v = datetime.fromisoformat(text.replace(" ", "T", 1))
    # No offset means UTC, as BigQuery writes it; another offset is converted, as the warehouse does.
    v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return key_timestamp(epoch_us(v))


def _fixed9(v: Any) -> str:
    """A number as the key holds it: nine decimals (NUMERIC-like strings exactly, via Decimal)."""
    if v is None:
        return ""
    if isinstance(v, str):
        v = Decimal(v)
    return f"{v:.9f}"


def _get(row: dict, rec: str, field: str) -> Any:
    """`row[rec][field]`, None when the record is absent or null."""
    r = row.get(rec)
    return r.get(field) if isinstance(r, dict) else None


def line_item_key_string(row: dict) -> str:
    """The string whose md5 is the warehouse's `line_item_id` (NULL/absent -> '')."""
    parts = [
        row.get("billing_account_id"),
        _get(row, "service", "id"),
        _get(row, "sku", "id"),
        _get(row, "project", "id"),
        _get(row, "resource", "global_name"),
        _get(row, "location", "location"),
        _key_ts(row.get("usage_start_time")),
        _key_ts(row.get("usage_end_time")),
        _key_ts(row.get("export_time")),
        row.get("cost_type"),
        _get(row, "adjustment_info", "id"),
        _fixed9(row.get("cost")),
        _fixed9(_get(row, "usage", "amount")),
    ]
    return "|".join("" if p is None else str(p) for p in parts)


def line_item_id(row: dict) -> str:
    """The warehouse's `line_item_id` of an export row."""
    return hashlib.md5(line_item_key_string(row).encode("utf-8")).hexdigest()


class GroundTruth:
    """ground_truth/part-NNNNN.parquet: true team and phase of every line item."""

    COLS = (
        "line_item_id",
        "billing_account_id",
        "invoice_month",
        "currency",
        "cost",
        "credits_total",
        "true_team",
        "true_phase",
    )

    def __init__(self, folder: Path, batch: int = 100_000):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.batch = batch
        self.part = 0
        self.rows: list[tuple] = []

    def add(self, t: tuple) -> None:
        self.rows.append(t)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows and self.part > 0:  # (with no rows at all, still write an empty part-00000)
            return
        rows = self.rows
        schema = pa.schema([(c, pa.float64() if c in ("cost", "credits_total") else pa.string()) for c in self.COLS])
        table = pa.Table.from_arrays(
            [pa.array([r[i] for r in rows], type=schema.field(i).type) for i in range(len(self.COLS))], schema=schema
        )
        pq.write_table(table, self.folder / f"part-{self.part:05d}.parquet", compression="snappy")
        self.part += 1
        self.rows = []
