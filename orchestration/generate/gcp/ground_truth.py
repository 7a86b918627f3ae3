"""The ground truth: which team and workload phase really own every line item.

It is keyed by the warehouse's `line_item_id`, the md5 of `line_item_key_string`: the dbt macro
`line_item_key` (macros/attribution/line_item_key.sql) builds the same text from the same
fields, so the attribution can be graded by joining on the id. The hot loop of the usage rows
(usage_rows.py) builds that text from pre-formatted parts; `line_item_id` is the reference.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.ingestion.line_item_key import line_item_key_string


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
