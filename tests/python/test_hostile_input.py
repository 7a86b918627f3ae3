"""Hostile input: what real billing exports send, through the ingestion and the build.

Every case either loads with the behaviour the README's "What bad input gets" table states, or
fails with an error naming the file, the line and the field, and leaves the warehouse exactly as
it was: every table of the DuckDB file (raw export, ingestion log), schema and rows, compared
before and after. Cases run through the loader (for the error's attributes) and through the
Dagster asset the CLI, the UI and the sensor run (for what a person sees). `test_ingest_gcp.py`
holds the loading semantics themselves; this module holds the adversarial cases and the
build-level ones (a few, one dbt build for all).
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from export_files import ACCOUNT, bq_row, extract_dir, write_shard
from warehouse_snapshot import fingerprint, working_copy

from orchestration.ingestion import gcp_readers
from orchestration.ingestion.assets import gcp_billing_export, ingestion_run_config
from orchestration.ingestion.gcp_loader import GcpIngestionError

TABLE = "raw.gcp_billing_export_resource_v1"
LOG = "raw.gcp_ingestion_log"
CHARGEBACK = Path(sys.executable).parent / "chargeback"


# --------------------------------------------------------------------------- helpers


def query(db: Path, sql: str, params=None) -> list[tuple]:
    """`sql` on the working copy of the warehouse published at `db`, where ingestion loads."""
    with duckdb.connect(str(working_copy(db)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def line(row: dict) -> str:
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture
def materialize(resources_for):
    """`materialize(db, paths[, instance])`: the ingestion asset as `chargeback ingest gcp` runs it,
    against this warehouse file."""

    def run(db: Path, paths: list[Path], instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [gcp_billing_export],
            resources=resources_for(db),
            run_config=ingestion_run_config([str(p) for p in paths]),
            raise_on_error=False,
            instance=instance,
        )

    return run


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.message


def materialization_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = result.asset_materializations_for_node(gcp_billing_export.op.name)
    return {key: value.value for key, value in event.metadata.items()}


@pytest.fixture
def loaded(ingest, tmp_path: Path) -> tuple[Path, dict]:
    """A warehouse with one earlier ingestion of the same day the hostile extracts bring."""
    db = tmp_path / "warehouse.duckdb"
    folder = extract_dir(tmp_path / "earlier", "2020-11-09", "20201109T120000Z")
    ingest(db, [write_shard(folder, 0, [bq_row(1), bq_row(2, cost=-0.5)])])
    return db, fingerprint(db)


# --------------------------------------------------------------------------- rejected input


def _replace(row: dict, path: str, value) -> dict:
    """A copy of the row with the value at a dotted path (`credits.0.amount`) replaced;
    `...` as value removes the key."""
    row = copy.deepcopy(row)
    *parents, last = path.split(".")
    node = row
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return row


GOOD = bq_row(10)


def _with_cost_text(text: str) -> str:
    """A raw line whose cost is written as given (for what json.dumps cannot write)."""
    marker = line(_replace(GOOD, "cost", 123.25))
    assert '"cost":123.25' in marker
    return marker.replace('"cost":123.25', f'"cost":{text}')


# (id, the bad shard's lines (str or bytes), line blamed, field blamed, text in the message)
REJECTED = [
    ("invalid_json_line", [line(GOOD), line(GOOD), '{"billing_account_id": "x", '], 3, None, "invalid JSON"),
    ("line_not_an_object", [line(GOOD), "[1, 2, 3]"], 2, None, "expected a JSON object"),
    (
        "cost_with_decimal_comma",
        [line(GOOD), line(_replace(GOOD, "cost", "12,5"))],
        2,
        "cost",
        'expected FLOAT, got "12,5"',
    ),
    (
        "labels_as_a_map",
        [line(_replace(GOOD, "labels", {"team": "search"}))],
        1,
        "labels",
        "expected an array of RECORD",
    ),
    (
        "credit_amount_as_text",
        [line(_replace(GOOD, "credits.0.amount", "ten"))],
        1,
        "credits[0].amount",
        'expected FLOAT, got "ten"',
    ),
    (
        "missing_billing_account_id",
        [line(GOOD), line(_replace(GOOD, "billing_account_id", ...))],
        2,
        "billing_account_id",
        "required to place the row in an export day, but absent",
    ),
    (
        "missing_export_time",
        [line(_replace(GOOD, "export_time", ...))],
        1,
        "export_time",
        "required to place the row in an export day, but absent",
    ),
    (
        "missing_cost",
        [line(GOOD), line(GOOD), line(_replace(GOOD, "cost", ...))],
        3,
        "cost",
        "required to charge the row back, but absent",
    ),
    (
        "null_currency",
        [line(_replace(GOOD, "currency", None))],
        1,
        "currency",
        "required to charge the row back, but absent",
    ),
    (
        "missing_invoice_month",
        [line(_replace(GOOD, "invoice.month", ...))],
        1,
        "invoice.month",
        "required to charge the row back, but absent",
    ),
    (
        "missing_usage_start_time",
        [line(_replace(GOOD, "usage_start_time", ...))],
        1,
        "usage_start_time",
        "required to charge the row back, but absent",
    ),
    ("nan_literal", [line(GOOD), _with_cost_text("NaN")], 2, "cost", "expected a finite FLOAT, got NaN"),
    ("nan_string", [line(_replace(GOOD, "cost", "NaN"))], 1, "cost", 'expected a finite FLOAT, got "NaN"'),
    ("infinity_literal", [_with_cost_text("-Infinity")], 1, "cost", "expected a finite FLOAT"),
    (
        "infinity_string",
        [line(_replace(GOOD, "cost_at_list", "Infinity"))],
        1,
        "cost_at_list",
        'expected a finite FLOAT, got "Infinity"',
    ),
    (
        "overflow_to_infinity",
        [line(GOOD).replace('"amount":3600', '"amount":1e999')],
        1,
        "usage.amount",
        "expected a finite FLOAT",
    ),
    (
        "infinite_credit",
        [line(_replace(GOOD, "credits.0.amount", "-inf"))],
        1,
        "credits[0].amount",
        "NaN and infinity are not amounts",
    ),
    (
        "numeric_nan",
        [line(_replace(GOOD, "price.effective_price", "NaN"))],
        1,
        "price.effective_price",
        'expected a finite NUMERIC, got "NaN"',
    ),
    (
        "numeric_too_large",
        [line(_replace(GOOD, "price.effective_price", "1" + "0" * 30))],
        1,
        "price.effective_price",
        "expected NUMERIC",
    ),
    (
        "invalid_utf8",
        [line(GOOD).encode(), line(GOOD).replace("search", "s\udcffearch").encode("utf-8", "surrogateescape")],
        2,
        None,
        "invalid JSON",
    ),
    ("lone_surrogate_escape", [line(GOOD).replace("search", "s\\ud800earch")], 1, None, "invalid JSON"),
]


def _write_lines(folder: Path, shard: int, lines: list) -> Path:
    path = folder / f"{shard:012d}.json.gz"
    with gzip.open(path, "wb") as fh:
        for item in lines:
            fh.write((item if isinstance(item, bytes) else item.encode()) + b"\n")
    return path


@pytest.mark.parametrize(
    "lines, line_no, field, text", [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED]
)
def test_rejected_input_names_file_line_field_and_changes_nothing(
    ingest, loaded, tmp_path, lines, line_no, field, text, materialize
):
    db, before = loaded
    folder = extract_dir(tmp_path / "hostile", "2020-11-09", "20201110T010000Z")
    write_shard(folder, 0, [bq_row(3)])  # a good shard of the same extract: rolled back too
    bad = _write_lines(folder, 1, lines)
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [folder])
    assert (err.value.file, err.value.line, err.value.field) == (bad, line_no, field), str(err.value)
    where = f"{bad.name} line {line_no}" + (f', field "{field}"' if field else "")
    assert str(err.value).startswith(where + ": "), str(err.value)
    assert text in str(err.value)
    assert fingerprint(db) == before
    # The same message reaches whoever ran the Dagster asset (CLI, UI, sensor, schedule).
    result = materialize(db, [folder])
    assert not result.success
    assert where in failure_message(result) and text in failure_message(result)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    place = {k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()}
    assert place == {"file": str(bad), "line": line_no, "field": field or ""}
    assert fingerprint(db) == before


def test_truncated_gzip_names_file_and_line_and_changes_nothing(ingest, loaded, tmp_path, materialize):
    db, before = loaded
    folder = extract_dir(tmp_path / "hostile", "2020-11-09", "20201110T010000Z")
    shard = write_shard(folder, 0, [bq_row(i) for i in range(200)])
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [folder])
    # The line is the first one that could not be read whole: no row after the cut is guessed at.
    assert err.value.file == shard and 1 < err.value.line <= 200 and err.value.field is None
    assert str(err.value).startswith(f"{shard.name} line {err.value.line}: truncated or corrupt gzip")
    assert fingerprint(db) == before
    result = materialize(db, [folder])
    assert not result.success and "truncated or corrupt gzip" in failure_message(result)
    assert fingerprint(db) == before


def test_a_row_too_long_for_the_reader_is_named(ingest, loaded, tmp_path):
    """A label array of 1.5 million labels (36 MB on one line) is past what DuckDB's reader takes:
    refused with its line, not with the reader's buffer message."""
    db, before = loaded
    folder = extract_dir(tmp_path / "hostile", "2020-11-09", "20201110T010000Z")
    huge = line(GOOD).replace('"labels":[', '"labels":[' + '{"key":"k","value":"v"},' * 1_500_000, 1)
    bad = _write_lines(folder, 0, [line(GOOD), huge])
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [folder])
    assert (err.value.file, err.value.line, err.value.field) == (bad, 2, None)
    assert f"rows longer than {gcp_readers.MAX_LINE_BYTES:,} bytes may not load" in str(err.value)
    assert fingerprint(db) == before


def test_parquet_nan_and_missing_currency_are_named_by_row(ingest, loaded, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    db, before = loaded
    for column, value, message in (
        ("cost", float("nan"), "expected finite numbers"),
        ("currency", None, "required in every row, but null"),
    ):
        folder = extract_dir(tmp_path / column, "2020-11-09", "20201110T010000Z")
        table = pa.table(
            {
                "billing_account_id": [ACCOUNT] * 3,
                "service": [{"id": "6F81-5844-456A"}] * 3,
                "sku": [{"id": "2E27-4F75-95CD"}] * 3,
                "export_time": ["2020-11-09 23:00:00 UTC"] * 3,
                "usage_start_time": ["2020-11-09 21:00:00 UTC"] * 3,
                "usage_end_time": ["2020-11-09 22:00:00 UTC"] * 3,
                "invoice": [{"month": "202011"}] * 3,
                "cost_type": ["regular"] * 3,
                "cost": [1.0, 2.0, 3.0],
                "currency": ["USD"] * 3,
            }
        )
        index = table.column_names.index(column)
        values = table.column(column).to_pylist()
        values[2] = value
        table = table.set_column(index, column, pa.array(values, type=table.schema.field(column).type))
        path = folder / "000000000000.parquet"
        pq.write_table(table, path)
        with pytest.raises(GcpIngestionError) as err:
            ingest(db, [folder])
        assert (err.value.file, err.value.line, err.value.field) == (path, 3, column)
        assert str(err.value).startswith(f'{path.name} row 3, field "{column}"') and message in str(err.value)
        assert fingerprint(db) == before


# --------------------------------------------------------------------------- accepted input


def _raw_rows(db: Path, where: str = "true") -> list[tuple]:
    """The raw table's rows without the lineage columns (which ingestion loaded them)."""
    return query(db, f"SELECT * EXCLUDE (_ingestion_id, _source_file) FROM {TABLE} WHERE {where} ORDER BY ALL")


def test_unknown_fields_load_and_are_reported_in_log_metadata_and_run_log(loaded, tmp_path, materialize):
    db, _ = loaded
    earlier = _raw_rows(db)
    drifted = bq_row(3, export_time="2020-11-10 23:00:00 UTC")
    drifted["carbon_footprint"] = {"kg_co2e": 0.12}  # a new top-level column
    drifted["usage"]["amount_in_gpu_hours"] = 0.5  # a new member of a record
    drifted["credits"][0]["campaign"] = "spring"  # a new member of an array's records
    folder = extract_dir(tmp_path / "drift", "2020-11-10", "20201111T010000Z")
    write_shard(folder, 0, [bq_row(4, export_time="2020-11-10 23:00:00 UTC"), drifted])
    expected = ["carbon_footprint", "credits.campaign", "usage.amount_in_gpu_hours"]

    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize(db, [folder], instance)
        assert result.success
        warnings = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.level == logging.WARNING]
    metadata = materialization_metadata(result)
    assert metadata["unknown_fields"] == expected and metadata["rows_loaded"] == 2
    assert any(
        f"fields not in the export schema, loaded without them: {', '.join(expected)}" in message
        for message in warnings
    ), warnings
    assert query(db, f"SELECT unknown_fields FROM {LOG} WHERE file LIKE '%drift%'") == [(expected,)]
    # The known fields of the drifted row are all there; the earlier day is untouched.
    assert query(db, f"SELECT usage.amount, credits[1].amount FROM {TABLE} WHERE project.id = 'proj-3'") == [
        (3600.0, -0.25)
    ]
    assert _raw_rows(db, "_export_date = DATE '2020-11-09'") == earlier


def test_empty_files_load_nothing_and_replace_nothing(loaded, tmp_path, materialize):
    db, before = loaded
    folder = extract_dir(tmp_path / "empty", "2020-11-09", "20201110T010000Z")
    empty_gzip = write_shard(folder, 0, [])
    (folder / "000000000001.json").write_bytes(b"")
    (folder / "000000000002.json").write_bytes(b"\n\n  \n")
    result = materialize(db, [folder])
    assert result.success
    metadata = materialization_metadata(result)
    assert (metadata["rows_loaded"], metadata["rows_replaced"], metadata["files_loaded"]) == (0, 0, 3)
    assert fingerprint(db)[TABLE] == before[TABLE]  # an empty extract says nothing about the day
    assert (
        query(db, f"SELECT row_count, status FROM {LOG} WHERE extract = ?", [str(empty_gzip.parent)])
        == [(0, "loaded")] * 3
    )


def test_same_file_twice_and_twice_under_two_names_load_once(loaded, tmp_path, materialize):
    db, _ = loaded
    folder = extract_dir(tmp_path / "twice", "2020-11-10", "20201111T010000Z")
    shard = write_shard(folder, 0, [bq_row(5), bq_row(6)])
    copy_ = folder / "000000000001.json.gz"
    copy_.write_bytes(shard.read_bytes())  # the same bytes under another shard name
    first = materialize(db, [folder])
    assert materialization_metadata(first)["rows_loaded"] == 2
    after_first = fingerprint(db)
    second = materialize(db, [shard, shard])
    metadata = materialization_metadata(second)
    assert (metadata["rows_loaded"], metadata["files_skipped_as_already_loaded"]) == (0, 1)
    assert fingerprint(db)[TABLE] == after_first[TABLE]
    assert query(db, f"SELECT status, count(*) FROM {LOG} WHERE extract = ? GROUP BY 1 ORDER BY 1", [str(folder)]) == [
        ("loaded", 1),
        ("skipped_duplicate", 2),
    ]


def _exported_through_the_day(n: int, hour: int) -> dict:
    """A row of usage in the first hour of 9 November, exported at `hour` that day."""
    row = bq_row(n, export_time=f"2020-11-09 {hour:02d}:00:00 UTC")
    return row | {"usage_start_time": "2020-11-09 00:00:00 UTC", "usage_end_time": "2020-11-09 01:00:00 UTC"}


def test_partial_then_complete_extract_equals_the_complete_extract_alone(ingest, tmp_path, materialize):
    day_rows = [_exported_through_the_day(i, h) for i, h in enumerate((3, 9, 15, 21))]
    partial = extract_dir(tmp_path / "x", "2020-11-09", "20201109T120000Z")
    complete = extract_dir(tmp_path / "x", "2020-11-09", "20201110T010000Z")
    write_shard(partial, 0, day_rows[:2])
    write_shard(complete, 0, day_rows[:3])
    write_shard(complete, 1, day_rows[3:])
    both, alone = tmp_path / "both.duckdb", tmp_path / "alone.duckdb"
    result = materialize(both, [partial, complete])
    assert materialization_metadata(result)["rows_replaced"] == 2
    ingest(alone, [complete])
    assert _raw_rows(both) == _raw_rows(alone) and len(_raw_rows(both)) == 4


def test_late_rows_for_a_closed_month_add_and_leave_its_days_alone(ingest, tmp_path):
    """October is invoiced. A row of October usage exported in November adds to the raw data
    (on its own, later export day); nothing loaded for October is replaced or changed."""
    db = tmp_path / "warehouse.duckdb"
    october = extract_dir(tmp_path, "2020-10-31", "20201101T010000Z")
    closed = [bq_row(i, export_time="2020-10-31 23:00:00 UTC") for i in range(3)]
    for row in closed:
        row.update(
            usage_start_time="2020-10-31 21:00:00 UTC",
            usage_end_time="2020-10-31 22:00:00 UTC",
            invoice={"month": "202010"},
        )
    write_shard(october, 0, closed)
    ingest(db, [october])
    october_rows = _raw_rows(db)
    late = copy.deepcopy(closed[0])
    late.update(export_time="2020-11-03 05:00:00 UTC", cost=0.75)  # same usage hour, exported late
    november = extract_dir(tmp_path, "2020-11-03", "20201104T010000Z")
    write_shard(november, 0, [late])
    [result] = ingest(db, [november])
    assert (result.rows_loaded, result.rows_replaced) == (1, 0)
    assert _raw_rows(db, "_export_date = DATE '2020-10-31'") == october_rows
    assert query(db, f"SELECT invoice.month, count(*), sum(cost) FROM {TABLE} GROUP BY 1") == [("202010", 4, 5.25)]


def test_a_huge_label_array_loads_intact(ingest, tmp_path):
    """100,000 labels on one row (GCP allows 64): about 3.5 MB on one line, within the reader's limit."""
    db = tmp_path / "warehouse.duckdb"
    labels = [{"key": f"key-{i}", "value": f"value-{i}"} for i in range(100_000)]
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    write_shard(folder, 0, [bq_row(1), dict(bq_row(2), labels=labels)])
    [result] = ingest(db, [folder])
    assert result.rows_loaded == 2
    assert query(
        db,
        f"SELECT len(labels), labels[100000].value, list_sum(list_transform(labels, lambda l: len(l.key))) "
        f"FROM {TABLE} WHERE project.id = 'proj-2'",
    ) == [(100_000, "value-99999", sum(len(label["key"]) for label in labels))]


UNICODE_LABELS = [
    {"key": "team", "value": "🚀 Search-Ränking 🔥"},
    {"key": "équipe", "value": "données"},  # accented key and value
    {"key": "owner", "value": "👩🏽‍💻"},  # a ZWJ sequence with a skin-tone modifier
    {"key": "flag", "value": "🏳️‍🌈"},
    {"key": "cjk", "value": "推論サービス"},
    {"key": "rtl", "value": "\u05e6\u05d5\u05d5\u05ea \u200fאבג"},  # Hebrew with a right-to-left mark
    {"key": "combining", "value": "e\u0301"},  # e + combining accent, kept as written (not NFC)
    {"key": "control", "value": "tab\there\u0000nul"},
    {"key": "astral-escaped", "value": "\U0001f600"},
]


def test_unicode_and_emoji_in_labels_load_exactly_as_written(ingest, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    row = dict(bq_row(1), labels=UNICODE_LABELS)
    # One shard as UTF-8, one with every non-ASCII character \u-escaped (surrogate pairs for emoji):
    # BigQuery writes the first; both are JSON for the same text.
    _write_lines(folder, 0, [line(row)])
    _write_lines(folder, 1, [json.dumps(dict(row, resource={"name": "escaped"}), ensure_ascii=True)])
    ingest(db, [folder])
    stored = query(db, f"SELECT resource.name, labels FROM {TABLE} ORDER BY 1 NULLS FIRST")
    assert [labels for _, labels in stored] == [UNICODE_LABELS, UNICODE_LABELS]


# --------------------------------------------------------------------------- killed mid-ingestion

# Staging these takes seconds and inserting them into the raw table about a second on this
# machine: long enough to be caught in the act by a 10 ms poll.
BIG_ROWS = 80_000


def _big_extract(folder: Path, rows: int, shards: int = 3) -> list[Path]:
    """One extract (one folder, so one transaction) big enough to take seconds to load."""
    template = line(bq_row(0, export_time="2020-11-10 23:00:00 UTC"))
    paths = []
    for shard in range(shards):
        path = folder / f"{shard:012d}.json.gz"
        with gzip.open(path, "wt", compresslevel=1) as fh:
            for n in range(shard, rows, shards):
                fh.write(template.replace('"proj-0"', f'"proj-{n}"').replace('"vm-0"', f'"vm-{n}"') + "\n")
        paths.append(path)
    return paths


def _cli_env(db: Path, tmp_path: Path) -> dict:
    return {
        **os.environ,
        "CHARGEBACK_DUCKDB_PATH": str(db),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "CHARGEBACK_DUCKDB_MEMORY_LIMIT": "1GB",
    }


@pytest.fixture
def killable(ingest, tmp_path: Path):
    """A warehouse with earlier loads (one of them of the export day the big extract replaces),
    and the big extract."""
    db = tmp_path / "warehouse.duckdb"
    earlier = [
        extract_dir(tmp_path / "earlier", day, stamp)
        for day, stamp in (("2020-11-09", "20201110T010000Z"), ("2020-11-10", "20201110T120000Z"))
    ]
    write_shard(earlier[0], 0, [bq_row(1), bq_row(2)])
    write_shard(earlier[1], 0, [bq_row(3, export_time="2020-11-10 09:00:00 UTC")])
    ingest(db, earlier)
    big = extract_dir(tmp_path / "big", "2020-11-10", "20201111T010000Z")
    _big_extract(big, rows=BIG_ROWS)
    (tmp_path / "dagster").mkdir()
    return db, big


def _assert_consistent_then_ingest_again(ingest, db: Path, before: dict, big: Path) -> None:
    # Reopening replays the WAL, if any: nothing of the killed load, the earlier loads intact.
    assert fingerprint(db) == before
    [result] = ingest(db, [big])
    assert (result.rows_loaded, result.rows_replaced, result.files_skipped) == (BIG_ROWS, 1, 0)
    assert query(db, f"SELECT _export_date, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 1") == [
        (dt.date(2020, 11, 9), 2),
        (dt.date(2020, 11, 10), BIG_ROWS),
    ]


def test_ingestion_killed_while_writing_leaves_the_warehouse_as_it_was(ingest, killable, tmp_path):
    """`chargeback ingest gcp` in a subprocess, SIGKILLed as soon as the warehouse file grows:
    DuckDB is then inserting the staged extract into the raw table (it writes big inserts to the
    file before COMMIT; the WAL is written only at COMMIT)."""
    db, big = killable
    before = fingerprint(db)
    written = working_copy(db)  # where the ingestion writes
    size = written.stat().st_size
    output = (tmp_path / "cli.log").open("w")
    process = subprocess.Popen(
        [str(CHARGEBACK), "ingest", "gcp", str(big)],
        env=_cli_env(db, tmp_path),
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    wal = written.with_name(written.name + ".wal")
    deadline, writing = time.monotonic() + 300, False
    while process.poll() is None and time.monotonic() < deadline and not writing:
        writing = written.stat().st_size != size or (wal.exists() and wal.stat().st_size > 0)
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL and writing, (tmp_path / "cli.log").read_text()[-3000:]
    assert "succeeded" not in (tmp_path / "cli.log").read_text()
    _assert_consistent_then_ingest_again(ingest, db, before, big)


# The loader the asset runs, in a process of its own (without the CLI's 20 s of imports).
KILL_BEFORE_COMMIT = """
import os, signal, sys
from pathlib import Path
import duckdb
from orchestration.ingestion import gcp_loader
original = gcp_loader._write_log
def write_log_then_die(*args, **kwargs):
    original(*args, **kwargs)  # earlier rows deleted, new rows inserted, log written: all uncommitted
    os.kill(os.getpid(), signal.SIGKILL)
gcp_loader._write_log = write_log_then_die
with duckdb.connect(sys.argv[1], config={"memory_limit": "3GB", **gcp_loader.LOAD_CONNECTION_CONFIG}) as con:
    gcp_loader.ingest_gcp_files(con, [Path(sys.argv[2])], gcp_loader.RawTables(sys.argv[3], sys.argv[4]))
"""


def test_ingestion_killed_just_before_commit_leaves_the_warehouse_as_it_was(ingest, killable, tmp_path, raw_tables):
    """The worst moment, made certain: every statement of the ingestion has run (the day's earlier
    rows deleted, 150,000 rows inserted, the log written) and the process dies before COMMIT."""
    db, big = killable
    before = fingerprint(db)
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILL_BEFORE_COMMIT,
            str(working_copy(db)),
            str(big),
            raw_tables.schema,
            raw_tables.export_table,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == -signal.SIGKILL, completed.stdout[-2000:] + completed.stderr[-2000:]
    _assert_consistent_then_ingest_again(ingest, db, before, big)


# --------------------------------------------------------------------------- through the build
# One `chargeback ingest gcp` and one `chargeback build` (a dbt build, ~1 min) for every case that
# must reach the marts: negative costs, two currencies in one billing account, late rows for a
# closed month, unicode and emoji in labels, a huge label array, an unknown field.

EMOJI_TEAM = "🚀 Search-Ränking 🔥"


def _october(
    n: int,
    *,
    team: str | None = "foundation-models",
    currency: str = "USD",
    cost: float,
    credits: float | None = None,
    export_time: str = "2020-10-31 23:00:00 UTC",
    invoice_month: str = "202010",
    **extra,
) -> dict:
    row = bq_row(n, export_time=export_time, cost=cost)
    row.update(
        usage_start_time="2020-10-31 21:00:00 UTC",
        usage_end_time="2020-10-31 22:00:00 UTC",
        currency=currency,
        invoice={"month": invoice_month, "publisher_type": "GOOGLE"},
        labels=[{"key": "team", "value": team}] if team else [],
    )
    row["credits"] = [] if credits is None else [dict(row["credits"][0], amount=credits)]
    if currency != "USD":
        row["currency_conversion_rate"] = 0.92
    row.update(extra)
    return row


def _build_case_rows() -> dict[str, list[dict]]:
    """Extract folder stamp -> rows. October 2020 is invoiced; its late rows arrive in November."""
    adjustment = {
        "id": "adj-1",
        "description": "Refund for an outage",
        "mode": "MANUAL_ADJUSTMENT",
        "type": "GENERAL_ADJUSTMENT",
    }
    huge_labels = [{"key": f"k{i}", "value": f"v{i}"} for i in range(5_000)] + [{"key": "team", "value": "inference"}]
    october = [
        _october(1, cost=10.0, credits=-1.0),
        _october(2, team="applied-ml", cost=-4.5, cost_type="adjustment", adjustment_info=adjustment),
        _october(3, currency="EUR", cost=7.25, credits=-0.5),
        _october(4, team="applied-ml", currency="EUR", cost=-2.0),  # a negative usage cost
        _october(5, team=EMOJI_TEAM, cost=3.0),
        _october(6, team=None, cost=1.5, labels=huge_labels),
        _october(7, cost=0.25, carbon_footprint={"kg_co2e": 0.01}),  # schema drift
    ]
    late = [
        # Usage of 31 October exported on 2 November: one still on the October invoice, one on
        # November's (Google bills usage reported after the month closed on the next invoice).
        _october(8, cost=1.25, export_time="2020-11-02 05:00:00 UTC"),
        _october(9, cost=0.5, export_time="2020-11-02 05:00:00 UTC", invoice_month="202011"),
        _october(
            10,
            cost=3.0,
            export_time="2020-11-02 05:00:00 UTC",
            invoice_month="202011",
            usage_start_time="2020-11-01 21:00:00 UTC",
            usage_end_time="2020-11-01 22:00:00 UTC",
        ),
    ]
    return {"20201101T010000Z": october, "20201103T010000Z": late}


def _expected_totals(rows: list[dict]) -> dict[tuple[str, str, str], Decimal]:
    """Σ cost + Σ credits per (billing account, invoice month, currency), exactly."""
    totals: dict[tuple[str, str, str], Decimal] = {}
    for row in rows:
        key = (
            row["billing_account_id"],
            f"{row['invoice']['month'][:4]}-{row['invoice']['month'][4:]}",
            row["currency"],
        )
        amount = Decimal(str(row["cost"])) + sum((Decimal(str(c["amount"])) for c in row["credits"]), Decimal(0))
        totals[key] = totals.get(key, Decimal(0)) + amount
    return totals


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[dict], str, subprocess.CompletedProcess]:
    """The build cases ingested and built with the CLI, after a refused `chargeback ingest`."""
    work = tmp_path_factory.mktemp("hostile-build")
    cases = _build_case_rows()
    for stamp, rows in cases.items():
        day = f"{stamp[:4]}-{stamp[4:6]}-{int(stamp[6:8]) - 1:02d}"
        write_shard(extract_dir(work / "export", day, stamp), 0, rows)
    bad = _write_lines(
        extract_dir(work / "bad", "2020-11-02", "20201103T020000Z"),
        0,
        [line(_october(11, cost=1.0)), line(_october(12, cost=1.0)).replace('"cost":1.0', '"cost":"12,5"')],
    )
    (work / "dagster").mkdir()
    db = work / "warehouse.duckdb"
    env = _cli_env(db, work)

    def chargeback(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(CHARGEBACK), *command], env=env, capture_output=True, text=True)

    ingested = chargeback("ingest", "gcp", str(work / "export"))
    assert ingested.returncode == 0, ingested.stdout[-3000:] + ingested.stderr[-3000:]
    before = fingerprint(db)
    refused = chargeback("ingest", "gcp", str(bad))
    assert fingerprint(db) == before
    built_ = chargeback("build")
    assert built_.returncode == 0, built_.stdout[-3000:] + built_.stderr[-3000:]
    return db, [r for rows in cases.values() for r in rows], ingested.stdout + ingested.stderr, refused


def test_build_conserves_money_per_currency_with_negative_and_late_rows(built):
    db, rows, *_ = built
    expected = _expected_totals(rows)
    assert expected[(ACCOUNT, "2020-10", "EUR")] == Decimal("4.75")  # 7.25 - 0.5 - 2.0
    for mart in ("fct_cost_line_items", "fct_chargeback_monthly"):
        got = {
            (a, m, c): total
            for a, m, c, total in query(
                db,
                f"SELECT billing_account_id, invoice_month, billing_currency, sum(billed_cost) "
                f"FROM marts.{mart} GROUP BY ALL",
            )
        }
        assert got.keys() == expected.keys(), mart
        for key, total in expected.items():
            assert abs(got[key] - total) < Decimal("0.000001"), (mart, key, got[key], total)


def test_chargeback_keeps_currencies_apart(built):
    db, *_ = built
    # One billing account, two currencies: every chargeback row is in one currency, and each
    # team's October EUR charge is made of EUR rows only.
    assert query(
        db,
        "SELECT billing_currency, team, sum(effective_cost) FROM marts.fct_chargeback_monthly "
        "WHERE invoice_month = '2020-10' AND billing_currency = 'EUR' GROUP BY ALL ORDER BY ALL",
    ) == [("EUR", "applied-ml", Decimal("-2.000000000")), ("EUR", "foundation-models", Decimal("6.750000000"))]
    assert query(
        db,
        "SELECT count(DISTINCT billing_currency) FROM marts.fct_chargeback_monthly "
        f"WHERE billing_account_id = '{ACCOUNT}' AND invoice_month = '2020-10'",
    ) == [(2,)]


def test_negative_costs_are_charged_as_negative(built):
    db, *_ = built
    assert query(
        db,
        "SELECT team, billing_currency, billed_cost, charge_category FROM marts.fct_cost_line_items "
        "WHERE billed_cost < 0 ORDER BY billing_currency",
    ) == [
        ("applied-ml", "EUR", Decimal("-2.000000000"), "Usage"),
        ("applied-ml", "USD", Decimal("-4.500000000"), "Adjustment"),
    ]
    assert query(
        db,
        "SELECT direct_cost FROM marts.fct_chargeback_monthly WHERE team = 'applied-ml' "
        "AND billing_currency = 'USD' AND invoice_month = '2020-10'",
    ) == [(Decimal("-4.500000000"),)]


def test_late_rows_of_a_closed_month_add_to_the_invoice_month_they_carry(built):
    db, *_ = built
    rows = query(
        db,
        "SELECT resource_name, invoice_month, cast(charge_period_start AS DATE), billed_cost "
        "FROM marts.fct_cost_line_items WHERE resource_name IN ('vm-1', 'vm-8', 'vm-9') ORDER BY 1",
    )
    assert rows == [
        ("vm-1", "2020-10", dt.date(2020, 10, 31), Decimal("9.000000000")),
        ("vm-8", "2020-10", dt.date(2020, 10, 31), Decimal("1.250000000")),
        ("vm-9", "2020-11", dt.date(2020, 10, 31), Decimal("0.500000000")),
    ]


def test_unicode_team_label_stays_visible_and_huge_label_array_is_attributed(built):
    db, *_ = built
    [(team, reason, seen, tags)] = query(
        db,
        "SELECT team, unallocated_reason, team_label_value, tags FROM marts.fct_cost_line_items "
        "WHERE resource_name = 'vm-5'",
    )
    assert (team, reason, seen) == ("unallocated", "unknown_team_value", EMOJI_TEAM)
    assert json.loads(tags)["team"] == EMOJI_TEAM
    [(team, method, tags)] = query(
        db, "SELECT team, allocation_method, tags FROM marts.fct_cost_line_items WHERE resource_name = 'vm-6'"
    )
    assert (team, method) == ("inference-platform", "tag:resource_label")
    assert len(json.loads(tags)) == 5_001


def test_cli_refuses_a_bad_extract_naming_file_line_and_field(built):
    *_, refused = built
    assert refused.returncode == 1
    assert '000000000000.json.gz line 2, field "cost": expected FLOAT, got "12,5"' in refused.stderr, refused.stderr[
        -3000:
    ]


def test_cli_reports_unknown_fields_and_keeps_loading(built):
    db, rows, ingest_output, _ = built
    assert "fields not in the export schema, loaded without them: carbon_footprint" in ingest_output
    assert query(db, f"SELECT count(*) FROM {TABLE}") == [(len(rows),)]


def test_an_older_extract_loaded_after_a_newer_one_is_skipped(ingest, tmp_path, materialize):
    """Complete extract first, then the partial one of the same day (re-landed, or an old folder
    ingested again): the partial would lose rows, so its day is skipped and reported; another
    account's export day in the same old extract, which nothing newer covers, still loads."""
    db = tmp_path / "warehouse.duckdb"
    rows = [_exported_through_the_day(i, h) for i, h in enumerate((3, 9, 15, 21))]
    partial = extract_dir(tmp_path / "x", "2020-11-09", "20201109T120000Z")
    complete = extract_dir(tmp_path / "x", "2020-11-09", "20201110T010000Z")
    write_shard(partial, 0, rows[:2])
    other_day = write_shard(partial, 1, [bq_row(9, account="0A1B2C-3D4E5F-678901")])
    write_shard(complete, 0, rows)
    ingest(db, [complete])
    complete_rows = _raw_rows(db)
    result = materialize(db, [partial])
    assert result.success
    assert materialization_metadata(result)["export_days_skipped_as_superseded"] == [f"{ACCOUNT} 2020-11-09"]
    assert _raw_rows(db, f"billing_account_id = '{ACCOUNT}'") == complete_rows
    assert query(db, f"SELECT count(*) FROM {TABLE} WHERE billing_account_id <> '{ACCOUNT}'") == [(1,)]
    assert query(db, f"SELECT file, row_count, status FROM {LOG} WHERE extract = ? ORDER BY file", [str(partial)]) == [
        (str(partial / "000000000000.json.gz"), 0, "skipped_superseded"),
        (str(other_day), 1, "loaded"),
    ]
    # Loading everything again (as the daily schedule does with the landing folder) changes no row.
    before = _raw_rows(db)
    ingest(db, [tmp_path / "x"])
    assert _raw_rows(db) == before
