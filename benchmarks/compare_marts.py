"""Compare every mart of two DuckDB warehouses, row for row and column for column.

    python benchmarks/compare_marts.py BEFORE.duckdb AFTER.duckdb [--renamed OLD=NEW ...]

Proves that a change of code left what analysts and BI tools read exactly as it was: build the
same export with the old code and with the new (each into its own warehouse file), then compare.
Each mart (every table and view in schema `marts`) is compared as a multiset of rows: the same
columns, and every row as often on both sides (`except all` both ways), values exactly equal.
`--renamed fct_old=fct_new` pairs a mart that a change renamed on purpose.

Each warehouse is opened on its own, read-only, and its marts are copied to Parquet first: the
views in a warehouse name its own catalog, which two warehouses attached side by side would mix
up. Prints one line per mart and exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"


def export_marts(warehouse: Path, folder: Path) -> dict[str, list[str]]:
    """Each mart of `warehouse` as folder/<mart>.parquet; returns mart → its column names."""
    columns: dict[str, list[str]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        marts = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [MARTS_SCHEMA]
            ).fetchall()
        ]
        for mart in marts:
            relation = f'"{MARTS_SCHEMA}"."{mart}"'
            columns[mart] = [row[0] for row in con.execute(f"describe {relation}").fetchall()]
            con.execute(f"copy (select * from {relation}) to '{folder / mart}.parquet' (format parquet)")
    return columns


def compare(before: Path, after: Path, renamed: dict[str, str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="compare-marts-") as scratch:
        before_dir, after_dir = Path(scratch, "before"), Path(scratch, "after")
        before_dir.mkdir()
        after_dir.mkdir()
        before_columns = export_marts(before, before_dir)
        after_columns = export_marts(after, after_dir)
        pairs = {mart: renamed.get(mart, mart) for mart in before_columns}
        same = True
        for mart in sorted(set(after_columns) - set(pairs.values())):
            print(f"NEW      {mart}: only in {after}")
            same = False
        con = duckdb.connect()
        con.execute("set enable_progress_bar = false")
        for old, new in sorted(pairs.items()):
            label = old if old == new else f"{old} -> {new}"
            if new not in after_columns:
                print(f"MISSING  {label}: not in {after}")
                same = False
                continue
            if sorted(before_columns[old]) != sorted(after_columns[new]):
                gone = sorted(set(before_columns[old]) - set(after_columns[new]))
                added = sorted(set(after_columns[new]) - set(before_columns[old]))
                print(f"COLUMNS  {label}: only before {gone}, only after {added}")
                same = False
                continue
            listed = ", ".join(f'"{column}"' for column in before_columns[old])
            left = f"select {listed} from '{before_dir / old}.parquet'"
            right = f"select {listed} from '{after_dir / new}.parquet'"
            rows = con.execute(f"select count(*) from ({left})").fetchone()[0]
            only_before = con.execute(f"select count(*) from ({left} except all {right})").fetchone()[0]
            only_after = con.execute(f"select count(*) from ({right} except all {left})").fetchone()[0]
            if only_before or only_after:
                print(f"DIFFERS  {label}: {only_before:,} rows only before, {only_after:,} only after (of {rows:,})")
                same = False
            else:
                print(f"SAME     {label}: all {rows:,} rows, {len(before_columns[old])} columns")
        return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument(
        "--renamed", action="append", default=[], metavar="OLD=NEW", help="a mart renamed on purpose (repeatable)"
    )
    args = parser.parse_args(argv)
    renamed = dict(pair.split("=", 1) for pair in args.renamed)
    return 0 if compare(args.before, args.after, renamed) else 1


if __name__ == "__main__":
    sys.exit(main())
