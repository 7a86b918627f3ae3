"""The GCP billing export as BigQuery's export table holds it, loaded into the emulator.

A generated export is a set of extracts, as `bq extract` writes them: one folder per export
day and extract time, where a day's partial extract is followed by its complete one. Google's
table holds each row once, so only the last extract of each day is loaded (the same choice
the local ingestion ends with). The table has the project's own schema file and is partitioned
by day of `export_time`, as Google creates it.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.ingestion.gcp_loader import discover_extracts
from orchestration.settings import PROJECT_ROOT

SCHEMA_FILE = PROJECT_ROOT / "orchestration" / "ingestion" / "gcp_billing_export_schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())
REPEATED_FIELDS = tuple(field["name"] for field in SCHEMA if field.get("mode") == "REPEATED")


@dataclass(frozen=True)
class LoadedExport:
    table_id: str
    """`project.dataset.table` of the export table."""
    rows: int
    columns_added: tuple[str, ...]
    """Fields the rows have beyond the schema file, added to the table as Google adds new fields."""


def latest_extract_files(export_dir: Path) -> list[Path]:
    """The files of the last extract of each export day (`export_date=*/extract=*/`)."""
    latest: dict[Path, list[Path]] = {}
    for extract in discover_extracts([export_dir]):  # in load order: extract folders sort by time
        latest[extract[0].parent.parent] = extract
    return [file for extract in latest.values() for file in extract]


def read_rows(files: Iterable[Path]) -> Iterator[dict]:
    """Each row of NDJSON files (gzip or plain) as BigQuery stores it: an extract leaves an
    empty REPEATED field out, and BigQuery holds it as an empty array, never NULL."""
    for file in files:
        opener = gzip.open if file.name.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    for name in REPEATED_FIELDS:
                        if row.get(name) is None:
                            row[name] = []
                    yield row


def _field_for(name: str, value) -> dict:
    """A BigQuery schema field for a JSON value, for a field Google added after the schema file."""
    if isinstance(value, dict):
        return {
            "name": name,
            "type": "RECORD",
            "mode": "NULLABLE",
            "fields": [_field_for(key, item) for key, item in value.items()],
        }
    kind = {bool: "BOOLEAN", int: "INTEGER", float: "FLOAT"}.get(type(value), "STRING")
    return {"name": name, "type": kind, "mode": "NULLABLE"}


def load_export_table(client, table_id: str, rows: list[dict]) -> LoadedExport:
    """Create the export table `table_id` afresh, as Google does (the schema file, partitioned
    by day of `export_time`), and load `rows` into it (a load job of NDJSON).

    A top-level field the schema file does not know is added as a column: Google adds new
    fields to the export table's schema, and the project must read such a table unchanged.
    (BigQuery rejects a field its table lacks, where bqemulator silently drops it.)
    """
    from google.cloud import bigquery

    known = {field["name"] for field in SCHEMA}
    added: dict[str, dict] = {}
    for row in rows:
        for name in row.keys() - known - added.keys():
            added[name] = _field_for(name, row[name])
    schema = [bigquery.SchemaField.from_api_repr(field) for field in [*SCHEMA, *added.values()]]
    project, dataset, _ = table_id.split(".")
    client.create_dataset(f"{project}.{dataset}", exists_ok=True)
    client.delete_table(table_id, not_found_ok=True)
    table = bigquery.Table(table_id, schema=schema)
    # Created before the load: bqemulator ignores a load job's partitioning for a new table.
    table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field="export_time")
    client.create_table(table)
    job_config = bigquery.LoadJobConfig(
        schema=schema,
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
    )
    payload = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    client.load_table_from_file(io.BytesIO(payload), table_id, job_config=job_config).result()
    return LoadedExport(table_id=table_id, rows=len(rows), columns_added=tuple(sorted(added)))
