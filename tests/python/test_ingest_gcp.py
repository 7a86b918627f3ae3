"""GCP billing export loading: BigQuery extract format in, export-day replacement semantics."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from export_files import ACCOUNT, OTHER_ACCOUNT, bq_row, extract_dir, write_shard
from warehouse_snapshot import working_copy

from orchestration.ingestion import gcp_schema
from orchestration.ingestion.gcp_loader import (
    GcpIngestionError,
    discover_extracts,
    ingest_gcp_files,
)

TABLE = "raw.gcp_billing_export_resource_v1"


def snapshot(db: Path) -> tuple:
    """Everything a failed ingestion must leave untouched."""
    db = working_copy(db)
    if not db.exists():
        return ()
    with duckdb.connect(str(db)) as con:
        data = con.execute(
            f"SELECT count(*), sum(cost), list(DISTINCT _ingestion_id ORDER BY _ingestion_id) FROM {TABLE}"
        ).fetchone()
        log = con.execute("SELECT * FROM raw.gcp_ingestion_log ORDER BY ingestion_id, file").fetchall()
    return data, log


def query(db: Path, sql: str) -> list[tuple]:
    """`sql` on the working copy of the warehouse published at `db`, where ingestion loads."""
    with duckdb.connect(str(working_copy(db))) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


# --------------------------------------------------------------------------- schema


def test_raw_table_follows_the_bigquery_schema(ingest, db, tmp_path):
    ingest(db, [write_shard(extract_dir(tmp_path, "2020-11-09", "20201110T010000Z"), 0, [bq_row(1)])])
    columns = query(
        db,
        f"SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = 'raw' AND table_name = '{TABLE.split('.')[1]}' ORDER BY ordinal_position",
    )
    names = [c[0] for c in columns]
    assert names[:28] == [f["name"] for f in gcp_schema.fields()]
    assert names[28:] == ["_export_date", "_ingestion_id", "_source_file"]
    types = dict(columns)
    assert types["export_time"] == "TIMESTAMP"
    assert types["cost"] == "DOUBLE"
    assert "DECIMAL(38,9)" in types["price"]
    assert types["credits"].endswith("[]")


# --------------------------------------------------------------------------- real format


def test_real_format_row_loads_with_nested_values_intact(ingest, db, tmp_path):
    row = bq_row(1, export_time="2020-11-09 23:41:17.1234 UTC")
    row.pop("resource")  # absent = NULL
    row["adjustment_info"] = {}  # all-null record = NULL
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    [result] = ingest(db, [write_shard(folder, 0, [row])])
    assert result.rows_loaded == 1 and result.billing_account_ids == (ACCOUNT,)
    assert result.export_dates == (dt.date(2020, 11, 9),)
    got = query(
        db,
        f"""SELECT credits[1].amount, labels[1].value, project.ancestors[2].resource_name,
        tags[1].inherited, price.effective_price, price.list_price, price.list_price_consumption_model,
        export_time, usage_start_time, _export_date, resource, adjustment_info, system_labels[1].key,
        cost_at_list, usage.amount FROM {TABLE}""",
    )[0]
    assert got == (
        -0.25,
        "search",
        "organizations/111",
        True,
        Decimal("0.021811"),
        Decimal("0.06"),
        None,
        dt.datetime(2020, 11, 9, 23, 41, 17, 123400),
        dt.datetime(2020, 11, 9, 21),
        dt.date(2020, 11, 9),
        None,
        None,
        "compute.googleapis.com/cores",
        2.0,
        3600.0,
    )


def test_timestamp_forms_and_empty_arrays(ingest, db, tmp_path):
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    rows = [
        bq_row(i, export_time=t)
        for i, t in enumerate(
            [
                "2020-11-09 23:00:00.5 UTC",
                "2020-11-09T23:00:00Z",
                "2020-11-10T01:00:00+02:00",
                "2020-11-09T23:00:00.123456+00:00",
            ]
        )
    ]
    rows[0]["credits"] = []
    rows[1].pop("credits")
    ingest(db, [write_shard(folder, 0, rows)])
    got = query(db, f"SELECT export_time, credits FROM {TABLE} ORDER BY project.id")
    assert [g[0] for g in got] == [
        dt.datetime(2020, 11, 9, 23, 0, 0, 500000),
        dt.datetime(2020, 11, 9, 23),
        dt.datetime(2020, 11, 9, 23),
        dt.datetime(2020, 11, 9, 23, 0, 0, 123456),
    ]
    assert got[0][1] == [] and got[1][1] == []  # [] and omitted are alike: never NULL


# --------------------------------------------------------------------------- semantics


def test_same_file_twice_changes_nothing_and_is_logged_as_skipped(ingest, db, tmp_path):
    shard = write_shard(extract_dir(tmp_path, "2020-11-09", "20201110T010000Z"), 0, [bq_row(1), bq_row(2)])
    ingest(db, [shard])
    before = query(db, f"SELECT count(*), list(_ingestion_id) FROM {TABLE}")
    [again] = ingest(db, [shard])
    assert (again.rows_loaded, again.rows_replaced, again.files_skipped) == (0, 0, 1)
    assert query(db, f"SELECT count(*), list(_ingestion_id) FROM {TABLE}") == before
    assert [s for (s,) in query(db, "SELECT status FROM raw.gcp_ingestion_log ORDER BY loaded_at")] == [
        "loaded",
        "skipped_duplicate",
    ]


def test_partial_then_complete_extract_leaves_only_complete_rows(ingest, db, tmp_path):
    partial = extract_dir(tmp_path, "2020-11-09", "20201109T120000Z")
    complete = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    write_shard(partial, 0, [bq_row(1, cost=1.0), bq_row(2, cost=2.0)])
    write_shard(complete, 0, [bq_row(1, cost=1.0), bq_row(2, cost=2.0), bq_row(3, cost=4.0)])
    first, second = ingest(db, [tmp_path])  # a directory: both extracts, in order
    assert first.extract == partial and second.extract == complete
    assert second.rows_replaced == 2
    assert query(db, f"SELECT count(*), sum(cost) FROM {TABLE}") == [(3, 7.0)]
    assert query(
        db, f"SELECT DISTINCT rows_replaced FROM raw.gcp_ingestion_log WHERE ingestion_id = '{second.ingestion_id}'"
    ) == [(2,)]


def test_late_rows_of_a_later_export_day_add(ingest, db, tmp_path):
    day1 = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    day2 = extract_dir(tmp_path, "2020-11-10", "20201111T010000Z")
    write_shard(day1, 0, [bq_row(1)])
    late = bq_row(1, export_time="2020-11-10 04:00:00 UTC", cost=0.5)  # same usage hour, later export
    write_shard(day2, 0, [late])
    results = ingest(db, [day1, day2])
    assert [r.rows_replaced for r in results] == [0, 0]
    assert query(db, f"SELECT _export_date, cost FROM {TABLE} ORDER BY 1") == [
        (dt.date(2020, 11, 9), 1.5),
        (dt.date(2020, 11, 10), 0.5),
    ]


def test_multi_shard_extract_is_one_ingestion(ingest, db, tmp_path):
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    shards = [write_shard(folder, i, [bq_row(10 * i + j) for j in range(3)]) for i in range(3)]
    assert discover_extracts(list(reversed(shards))) == [shards]
    [result] = ingest(db, shards)
    assert result.rows_loaded == 9 and len(result.files) == 3
    assert query(db, "SELECT count(DISTINCT ingestion_id), count(*), sum(row_count) FROM raw.gcp_ingestion_log") == [
        (1, 3, 9)
    ]
    # One shard of it alone again: skipped, nothing replaced.
    [again] = ingest(db, [shards[1]])
    assert (again.rows_loaded, again.rows_replaced, again.files_skipped) == (0, 0, 1)
    assert query(db, f"SELECT count(*) FROM {TABLE}") == [(9,)]


def test_reextract_of_one_account_leaves_another_account_alone(ingest, db, tmp_path):
    mine = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    other = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z", account=OTHER_ACCOUNT)
    write_shard(mine, 0, [bq_row(1)])
    write_shard(other, 0, [bq_row(1, account=OTHER_ACCOUNT), bq_row(2, account=OTHER_ACCOUNT)])
    ingest(db, [tmp_path])
    redo = extract_dir(tmp_path / "later", "2020-11-09", "20201111T010000Z")
    write_shard(redo, 0, [bq_row(1, cost=9.0), bq_row(2, cost=9.0)])
    [result] = ingest(db, [redo])
    assert result.rows_replaced == 1
    assert query(db, f"SELECT billing_account_id, count(*), sum(cost) FROM {TABLE} GROUP BY 1 ORDER BY 1") == [
        (ACCOUNT, 2, 18.0),
        (OTHER_ACCOUNT, 2, 3.0),
    ]


# --------------------------------------------------------------------------- errors


def _loaded_baseline(ingest, db: Path, tmp_path: Path) -> tuple:
    ingest(db, [write_shard(extract_dir(tmp_path, "2020-11-09", "20201109T120000Z"), 0, [bq_row(1)])])
    return snapshot(db)


GOOD = json.dumps(bq_row(2), separators=(",", ":"))


@pytest.mark.parametrize(
    "lines, line, field, text",
    [
        ([GOOD, GOOD, '{"billing_account_id": "x", '], 3, None, "invalid JSON"),
        ([GOOD, GOOD, GOOD.replace('"cost":1.5', '"cost":"12,5"')], 3, "cost", 'expected FLOAT, got "12,5"'),
        ([GOOD, GOOD.replace('"export_time":"2020-11-09 23:00:00 UTC",', "")], 2, "export_time", "absent"),
        (
            [GOOD, GOOD.replace('"usage_start_time":"2020-11-09 21:00:00 UTC"', '"usage_start_time":"yesterday"')],
            2,
            "usage_start_time",
            "expected TIMESTAMP",
        ),
    ],
)
def test_malformed_file_names_file_line_and_field_and_changes_nothing(ingest, db, tmp_path, lines, line, field, text):
    before = _loaded_baseline(ingest, db, tmp_path)
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    bad = write_shard(folder, 1, [], raw_lines=lines)
    write_shard(folder, 0, [bq_row(3)])  # a good shard in the same extract is rolled back too
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [folder])
    assert (err.value.file, err.value.line, err.value.field) == (bad, line, field)
    assert str(err.value).startswith(f"{bad.name} line {line}") and text in str(err.value)
    assert snapshot(db) == before


def test_truncated_gzip_is_an_error_and_changes_nothing(ingest, db, tmp_path):
    before = _loaded_baseline(ingest, db, tmp_path)
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    shard = write_shard(folder, 0, [bq_row(i) for i in range(50)])
    shard.write_bytes(shard.read_bytes()[:-40])
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [shard])
    assert err.value.file == shard and err.value.line is not None
    assert "gzip" in str(err.value)
    assert snapshot(db) == before


def test_loader_works_on_the_callers_connection_and_leaves_it_usable_after_a_refusal(db, tmp_path, raw_tables):
    earlier = write_shard(extract_dir(tmp_path, "2020-11-09", "20201109T120000Z"), 0, [bq_row(1)])
    refused = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    write_shard(refused, 0, [], raw_lines=[GOOD, '{"billing_account_id": "x", '])
    later = write_shard(
        extract_dir(tmp_path / "later", "2020-11-10", "20201111T010000Z"),
        0,
        [bq_row(2, export_time="2020-11-10 23:00:00 UTC")],
    )
    working_copy(db).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(working_copy(db))) as con:  # DuckDB's default settings: the loader needs none of its own
        with pytest.raises(GcpIngestionError):
            ingest_gcp_files(con, [earlier, refused], raw_tables)  # the first extract commits, the second is refused
        [result] = ingest_gcp_files(con, [later], raw_tables)  # the same connection, still open and usable
        assert result.rows_loaded == 1
        assert con.execute(f"SELECT _export_date, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 1").fetchall() == [
            (dt.date(2020, 11, 9), 1),
            (dt.date(2020, 11, 10), 1),
        ]


def test_empty_file_loads_zero_rows_and_deletes_nothing(ingest, db, tmp_path):
    before = _loaded_baseline(ingest, db, tmp_path)
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    empty_gz = write_shard(folder, 0, [])
    zero_bytes = folder / "000000000001.json"
    zero_bytes.write_bytes(b"")
    [result] = ingest(db, [empty_gz, zero_bytes])
    assert (result.rows_loaded, result.rows_replaced) == (0, 0)
    assert snapshot(db)[0] == before[0]
    assert query(
        db, f"SELECT row_count, status FROM raw.gcp_ingestion_log WHERE ingestion_id = '{result.ingestion_id}'"
    ) == [(0, "loaded"), (0, "loaded")]


def test_unknown_extra_fields_are_accepted_and_reported(ingest, db, tmp_path):
    row = bq_row(1)
    row["brand_new_column"] = {"a": 1}
    row["price"]["new_price_field"] = "1.0"
    [result] = ingest(db, [write_shard(extract_dir(tmp_path, "2020-11-09", "20201110T010000Z"), 0, [row])])
    assert result.rows_loaded == 1
    assert result.unknown_fields == ("brand_new_column", "price.new_price_field")
    assert query(db, "SELECT unknown_fields FROM raw.gcp_ingestion_log") == [
        (["brand_new_column", "price.new_price_field"],)
    ]


# --------------------------------------------------------------------------- parquet


def _arrow_value(field: dict, value):
    """JSON value -> the Python value pyarrow wants for the canonical type."""
    if value is None:
        return [] if gcp_schema.is_repeated(field) else None
    if gcp_schema.is_repeated(field):
        return [_arrow_value(dict(field, mode="NULLABLE"), v) for v in value]
    if field["type"] == "RECORD":
        return {sub["name"]: _arrow_value(sub, value.get(sub["name"])) for sub in field["fields"]}
    if field["type"] == "NUMERIC":
        return Decimal(str(value))
    if field["type"] == "TIMESTAMP":
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S %Z").replace(tzinfo=dt.UTC)
    return value


def test_parquet_loads_identically_to_json(ingest, tmp_path):
    rows = [bq_row(1), bq_row(2, cost=0.25)]
    rows[1].pop("resource")
    json_db, parquet_db = tmp_path / "j.duckdb", tmp_path / "p.duckdb"
    ingest(json_db, [write_shard(extract_dir(tmp_path / "j", "2020-11-09", "20201110T010000Z"), 0, rows)])
    folder = extract_dir(tmp_path / "p", "2020-11-09", "20201110T010000Z")
    table = pa.Table.from_pylist(
        [{f["name"]: _arrow_value(f, r.get(f["name"])) for f in gcp_schema.fields()} for r in rows],
        schema=gcp_schema.arrow_schema(),
    )
    pq.write_table(table, folder / "000000000000.parquet")
    [result] = ingest(parquet_db, [folder])
    assert result.rows_loaded == 2
    columns = ", ".join(gcp_schema.quote(f["name"]) for f in gcp_schema.fields()) + ", _export_date"
    sql = f"SELECT {columns} FROM {TABLE} ORDER BY project.id"
    assert query(parquet_db, sql) == query(json_db, sql)


def test_reextract_with_a_byte_identical_shard_keeps_that_shards_rows(ingest, db, tmp_path):
    partial = extract_dir(tmp_path, "2020-11-09", "20201109T120000Z")
    complete = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    write_shard(partial, 0, [bq_row(1)])
    write_shard(complete, 0, [bq_row(1)])  # same bytes as the partial's shard: skipped
    write_shard(complete, 1, [bq_row(2)])
    _, second = ingest(db, [tmp_path])
    assert (second.files_skipped, second.rows_replaced, second.rows_loaded) == (1, 0, 1)
    assert query(db, f"SELECT count(*) FROM {TABLE}") == [(2,)]


def test_directory_walk_keeps_to_the_export_layout(tmp_path):
    shard = write_shard(extract_dir(tmp_path, "2020-11-09", "20201110T010000Z"), 0, [bq_row(1)])
    (tmp_path / "manifest.json").write_text("{}\n")
    (tmp_path / "ground_truth").mkdir()
    (tmp_path / "ground_truth" / "part-00000.parquet").write_bytes(b"PAR1")
    assert discover_extracts([tmp_path]) == [[shard]]
