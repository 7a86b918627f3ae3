"""Copy every mart of a BigQuery dataset into a DuckDB file, for benchmarks/compare_marts.py.

    python tests/bigquery/bigquery_marts.py PROJECT.DATASET OUT.duckdb

compare_marts.py compares the marts (schema `marts`) of two DuckDB warehouses; this puts a
BigQuery build's marts in that shape, so the same script compares BigQuery with DuckDB. The
BigQuery tests use it against the emulator; against a real BigQuery it uses application
default credentials (docs/bigquery.md, "Proving it on a real BigQuery").

Only representation changes: BigQuery's TIMESTAMPs (UTC instants) become DuckDB TIMESTAMPs in
UTC, as the DuckDB build stores them; NUMERIC arrives as DECIMAL(38, 9), DuckDB's money type.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def copy_marts(client, dataset: str, warehouse: Path) -> list[str]:
    """Each table and view of `dataset` (`project.dataset`) as a table of schema `marts` in the
    new DuckDB file `warehouse`; returns their names. `client`: a google.cloud.bigquery.Client."""
    marts = sorted(table.table_id for table in client.list_tables(dataset))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        for mart in marts:
            rows = client.query(f"select * from `{dataset}.{mart}`").result().to_arrow(create_bqstorage_client=False)
            con.register("bigquery_rows", rows)
            columns = con.execute("describe bigquery_rows").fetchall()
            listed = ", ".join(
                f'"{name}" at time zone \'UTC\' as "{name}"' if kind == "TIMESTAMP WITH TIME ZONE" else f'"{name}"'
                for name, kind, *_ in columns
            )
            con.execute(f'create table marts."{mart}" as select {listed} from bigquery_rows')
            con.unregister("bigquery_rows")
    return marts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="project.dataset of the marts (CHARGEBACK_BQ_PROJECT.CHARGEBACK_BQ_DATASET)")
    parser.add_argument("warehouse", type=Path, help="DuckDB file to create")
    args = parser.parse_args(argv)
    from google.cloud import bigquery

    project = args.dataset.split(".")[0]
    marts = copy_marts(bigquery.Client(project=project), args.dataset, args.warehouse)
    print(f"copied {len(marts)} marts of {args.dataset} to {args.warehouse}: {', '.join(marts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
