"""Values the build cannot use are refused at ingestion, never loaded (orchestration/ingestion/gcp_values.py).

The chaos cases: an invoice month that is no month (202613, 000000, Sept26), usage in 1970, in
9999 or beyond the future tolerance, usage ending before it starts, a row exported before its
usage, amounts beyond the marts' DECIMAL. Each is refused naming file, line (Parquet: row),
field and value; nothing of the extract is loaded; a build afterwards succeeds.

The property (`test_property_no_accepted_value_fails_the_build`, marked `property`): for random
rows valid by the export schema, ingestion either refuses a row with a clear error, or what it
accepts builds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from export_files import bq_row, extract_dir, write_shard
from export_rows import NOW, export_rows
from hypothesis import HealthCheck, given, note, settings
from warehouse_snapshot import fingerprint, working_copy

from orchestration.ingestion import gcp_schema
from orchestration.ingestion.assets import gcp_billing_export, ingestion_run_config
from orchestration.ingestion.gcp_loader import GcpIngestionError
from orchestration.ingestion.gcp_values import (
    EARLIEST_DATE_ENV,
    FUTURE_TOLERANCE_ENV,
    BoundsError,
    ValueBounds,
)

TABLE = "raw.gcp_billing_export_resource_v1"
LOG = "raw.gcp_ingestion_log"
CHARGEBACK = Path(sys.executable).parent / "chargeback"
BOUNDS = ValueBounds.from_env({}, now=NOW)


def _at(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _month(month: str) -> dict:
    return {"invoice": {"month": month, "publisher_type": "GOOGLE"}}


def _in_the_future(hours: int) -> dict:
    start = NOW + dt.timedelta(hours=hours)
    return {
        "usage_start_time": _at(start),
        "usage_end_time": _at(start + dt.timedelta(minutes=30)),
        "export_time": _at(start + dt.timedelta(minutes=45)),
        **_month(f"{start:%Y%m}"),
    }


# (id, what the bad row changes, the field named, a text of the message). The good row is
# bq_row's: usage 2020-11-09 21:00-22:00 UTC, exported 23:00, invoice month 202011.
REFUSED = [
    (
        "invoice_month_13",
        _month("202613"),
        "invoice.month",
        'expected a month YYYYMM from 200001 to 202612, got "202613"',
    ),
    ("invoice_month_00", _month("000000"), "invoice.month", 'got "000000"'),
    ("invoice_month_as_words", _month("Sept26"), "invoice.month", 'got "Sept26"'),
    ("invoice_month_far_ahead", _month("209906"), "invoice.month", 'got "209906"'),
    (
        "usage_in_1970",
        {"usage_start_time": "1970-01-01 00:00:00 UTC"},
        "usage_start_time",
        "expected a time between 2000-01-01 00:00:00 and 2026-12-03 12:00:00 UTC (CHARGEBACK_INGEST_EARLIEST_DATE, "
        'now + CHARGEBACK_INGEST_FUTURE_TOLERANCE_HOURS), got "1970-01-01 00:00:00 UTC"',
    ),
    ("usage_in_9999", {"usage_end_time": "9999-12-31 23:59:59 UTC"}, "usage_end_time", '"9999-12-31 23:59:59 UTC"'),
    # 9999-12-31 23:00 at UTC-5 is in year 10000 UTC: past Python's datetime, not past the check.
    ("offset_past_year_9999", {"export_time": "9999-12-31 23:00:00-05:00"}, "export_time", "9999-12-31 23:00:00-05:00"),
    ("usage_beyond_the_future_tolerance", _in_the_future(25), "usage_start_time", "2026-12-03 13:00:00 UTC"),
    ("usage_ends_before_it_starts", {"usage_end_time": "2020-11-09 20:59:59 UTC"}, "usage_end_time", "cannot end"),
    (
        "exported_before_its_usage",
        {"export_time": "2020-11-09 20:00:00 UTC"},
        "export_time",
        'a row cannot be exported before its usage starts: "2020-11-09 20:00:00 UTC" is before usage_start_time '
        '"2020-11-09 21:00:00 UTC"',
    ),
    # The offset puts 21:30+02:00 at 19:30 UTC: before the usage, though the text reads later.
    ("exported_before_its_usage_in_utc", {"export_time": "2020-11-09T21:30:00+02:00"}, "export_time", "is before"),
    ("cost_beyond_the_marts_decimal", {"cost": 1e30}, "cost", "expected an amount below 1,000,000,000,000,000"),
    (
        "credit_beyond_the_marts_decimal",
        {"credits": [{"name": "Promo", "amount": -2e15, "type": "PROMOTION"}]},
        "credits[0].amount",
        "got -2000000000000000.0",
    ),
]


@pytest.fixture
def loaded(ingest, tmp_path: Path) -> tuple[Path, dict]:
    """A warehouse with an earlier ingestion of the export day the refused extracts bring."""
    db = tmp_path / "warehouse.duckdb"
    ingest(db, [write_shard(extract_dir(tmp_path / "earlier", "2020-11-09", "20201109T120000Z"), 0, [bq_row(1)])])
    return db, fingerprint(db)


@pytest.mark.parametrize("change, field, text", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_value_the_build_cannot_use_is_refused_naming_file_line_field_and_value(
    ingest, loaded, tmp_path, change, field, text
):
    db, before = loaded
    folder = extract_dir(tmp_path / "bad", "2020-11-09", "20201110T010000Z")
    write_shard(folder, 0, [bq_row(2)])  # a good shard of the same extract: not loaded either
    bad = write_shard(folder, 1, [bq_row(3), bq_row(4) | change])
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [folder], BOUNDS)
    assert (err.value.file, err.value.line, err.value.field) == (bad, 2, field), str(err.value)
    assert str(err.value).startswith(f'{bad.name} line 2, field "{field}": '), str(err.value)
    assert text in str(err.value)
    assert fingerprint(db) == before


def test_the_future_tolerance_is_relative_to_now(ingest, tmp_path):
    """Usage 23 hours ahead loads (clock skew, a local time written as UTC); a day later, the same
    usage 25 hours ahead would not."""
    folder = write_shard(extract_dir(tmp_path, "2026-12-03", "20261203T120000Z"), 0, [bq_row(1) | _in_the_future(23)])
    with pytest.raises(GcpIngestionError, match="usage_start_time"):
        ingest(tmp_path / "early.duckdb", [folder], ValueBounds.from_env({}, now=NOW - dt.timedelta(hours=2)))
    [result] = ingest(tmp_path / "w.duckdb", [folder], BOUNDS)
    assert result.rows_loaded == 1


def test_parquet_values_are_refused_naming_the_row(ingest, loaded, tmp_path):
    """Parquet carries timestamps as TIMESTAMP WITH TIME ZONE: the same rules, the row named."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    db, before = loaded

    def parquet_row(n: int, **change) -> dict:
        row = bq_row(n) | change
        del row["price"]  # NUMERIC, written as text by bq extract: not what a Parquet extract holds
        for name in ("usage_start_time", "usage_end_time", "export_time"):
            row[name] = dt.datetime.strptime(row[name], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.UTC)
        return row

    for field, change, text in (
        ("invoice.month", _month("202613"), 'got "202613"'),
        ("usage_start_time", {"usage_start_time": "1970-01-01 00:00:00 UTC"}, 'got "1970-01-01 00:00:00"'),
        ("export_time", {"export_time": "2020-11-09 20:00:00 UTC"}, "is before usage_start_time"),
        ("credits[0].amount", {"credits": [{"amount": 3e16, "type": "PROMOTION"}]}, "got 3e+16"),
    ):
        folder = extract_dir(tmp_path / field, "2020-11-09", "20201110T010000Z")
        path = folder / "000000000000.parquet"
        rows = [parquet_row(2), parquet_row(3), parquet_row(4, **change)]
        pq.write_table(pa.Table.from_pylist(rows, schema=gcp_schema.arrow_schema()), path)
        with pytest.raises(GcpIngestionError) as err:
            ingest(db, [folder], BOUNDS)
        assert (err.value.file, err.value.line, err.value.field) == (path, 3, field), str(err.value)
        assert str(err.value).startswith(f'{path.name} row 3, field "{field}": ') and text in str(err.value)
        assert fingerprint(db) == before


def test_two_rows_of_one_line_item_are_refused_naming_both(ingest, loaded, tmp_path):
    """Rows alike in every field of the line item key would share a line_item_id and fail every
    later build's unique test: refused, both rows named, across the shards of an extract. A row
    differing in one key field (here the cost, at the ninth decimal) is another line item."""
    db, before = loaded
    folder = extract_dir(tmp_path / "repeated", "2020-11-09", "20201110T010000Z")
    first = write_shard(folder, 0, [bq_row(2), bq_row(3)])
    repeated = bq_row(3) | {"labels": [{"key": "team", "value": "another"}]}  # labels are not in the key
    second = write_shard(folder, 1, [bq_row(4), repeated])
    with pytest.raises(GcpIngestionError) as err:
        ingest(db, [folder], BOUNDS)
    assert (err.value.file, err.value.line) == (second, 2), str(err.value)
    assert str(err.value).startswith(f"{second.name} line 2: the same line item as {first.name} line 2: alike in ")
    assert "billing_account_id, service.id, sku.id" in str(err.value)
    assert fingerprint(db) == before

    near = extract_dir(tmp_path / "near", "2020-11-09", "20201110T020000Z")
    write_shard(near, 0, [bq_row(3), bq_row(3, cost=1.500000001)])
    [result] = ingest(db, [near], BOUNDS)
    assert result.rows_loaded == 2


def test_two_parquet_rows_of_one_line_item_are_refused_naming_both(ingest, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for n in (1, 2, 2):
        row = bq_row(n)
        del row["price"]  # NUMERIC, written as text by bq extract: not what a Parquet extract holds
        for name in ("usage_start_time", "usage_end_time", "export_time"):
            row[name] = dt.datetime.strptime(row[name], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.UTC)
        rows.append(row)
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    path = folder / "000000000000.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=gcp_schema.arrow_schema()), path)
    with pytest.raises(GcpIngestionError, match=r"^000000000000.parquet row 3: the same line item as row 2: "):
        ingest(tmp_path / "w.duckdb", [folder], BOUNDS)


def test_bounds_are_read_from_the_environment():
    assert ValueBounds(dt.datetime(2000, 1, 1), NOW + dt.timedelta(hours=24)) == BOUNDS
    env = {EARLIEST_DATE_ENV: "2018-06-01", FUTURE_TOLERANCE_ENV: "2.5"}
    assert ValueBounds.from_env(env, now=NOW) == ValueBounds(dt.datetime(2018, 6, 1), NOW + dt.timedelta(hours=2.5))
    aware = NOW.replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=-8)))
    assert ValueBounds.from_env({}, now=aware) == BOUNDS
    for name, value in (
        (EARLIEST_DATE_ENV, "June 2018"),
        (FUTURE_TOLERANCE_ENV, "a day"),
        (FUTURE_TOLERANCE_ENV, "-1"),
    ):
        with pytest.raises(BoundsError, match=name):
            ValueBounds.from_env({name: value}, now=NOW)


def test_the_asset_reads_the_bounds_from_the_environment(resources_for, tmp_path, monkeypatch):
    """What `chargeback ingest`, the sensor and the schedule run: 2020 rows are refused once the
    earliest date is later."""
    folder = extract_dir(tmp_path, "2020-11-09", "20201110T010000Z")
    write_shard(folder, 0, [bq_row(1)])
    db = tmp_path / "w.duckdb"

    def materialize() -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [gcp_billing_export],
            resources=resources_for(db),
            run_config=ingestion_run_config([str(folder)]),
            raise_on_error=False,
        )

    monkeypatch.setenv(EARLIEST_DATE_ENV, "2021-01-01")
    refused = materialize()
    assert not refused.success
    [failure] = [e for e in refused.all_events if e.is_step_failure]
    assert (
        'line 1, field "invoice.month": expected a month YYYYMM from 202101' in failure.step_failure_data.error.message
    )
    monkeypatch.delenv(EARLIEST_DATE_ENV)
    assert materialize().success


# --------------------------------------------------------------------------- through the CLI


def _cli(work: Path, *command: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CHARGEBACK_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "DAGSTER_HOME": str(work / "dagster"),
        "CHARGEBACK_DUCKDB_MEMORY_LIMIT": "1GB",
    }
    (work / "dagster").mkdir(exist_ok=True)
    return subprocess.run([str(CHARGEBACK), *command], env=env, capture_output=True, text=True)


# Refused whatever the day the tests run (the future-tolerance case needs an injected now).
CLI_REFUSED = [case for case in REFUSED if case[0] != "usage_beyond_the_future_tolerance"]


def test_refused_extracts_leave_a_warehouse_that_builds(tmp_path):
    """`chargeback ingest gcp` refuses each bad extract (exit 1, file, line and field in its
    output) and loads nothing of it; `chargeback build` then succeeds on what was loaded."""
    good = extract_dir(tmp_path / "good", "2020-11-09", "20201110T010000Z")
    write_shard(good, 0, [bq_row(n) for n in range(5)])
    loaded = _cli(tmp_path, "ingest", "gcp", str(good))
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    db = tmp_path / "warehouse.duckdb"
    before = fingerprint(db)
    for name, change, field, _ in CLI_REFUSED:
        folder = extract_dir(tmp_path / name, "2020-11-09", "20201110T020000Z")
        bad = write_shard(folder, 0, [bq_row(10), bq_row(11) | change])
        refused = _cli(tmp_path, "ingest", "gcp", str(folder))
        assert refused.returncode == 1, (name, refused.stdout[-2000:])
        assert f'{bad.name} line 2, field "{field}"' in refused.stderr, (name, refused.stderr[-3000:])
        assert fingerprint(db) == before, name
    built = _cli(tmp_path, "build")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    with duckdb.connect(str(working_copy(db)), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT source_line_item_id) FROM marts.fct_cost_line_items").fetchone() == (
            5,
        )


# --------------------------------------------------------------------------- the property


def _load_refusing(ingest, work: Path, shards: list[list[dict]]) -> tuple[int, list[str]]:
    """Ingest the shards as one extract into work/warehouse.duckdb; on each refusal, check it
    (file, line and field named, nothing loaded, the row named refused alone too), drop the row
    and try again. The rows loaded, and the fields of the refusals."""
    db = work / "warehouse.duckdb"
    folder = extract_dir(work / "export", "2026-12-01", "20261202T000000Z")
    refused: list[str] = []
    while True:
        paths = [write_shard(folder, i, rows) for i, rows in enumerate(shards)]
        try:
            [result] = ingest(db, [folder], BOUNDS)
            return result.rows_loaded, refused
        except GcpIngestionError as err:
            message = str(err)
            assert err.file in paths and err.line is not None and err.field, message
            assert message.startswith(f'{err.file.name} line {err.line}, field "{err.field}": '), message
            with duckdb.connect(str(working_copy(db)), read_only=True) as con:
                assert con.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (0,), message
                assert con.execute(f"SELECT count(*) FROM {LOG}").fetchone() == (0,), message
            blamed = shards[paths.index(err.file)].pop(err.line - 1)
            alone = extract_dir(work / f"alone-{len(refused)}", "2026-12-01", "20261202T000000Z")
            with pytest.raises(GcpIngestionError) as again:
                ingest(work / "scratch.duckdb", [write_shard(alone, 0, [blamed])], BOUNDS)
            assert again.value.field == err.field, (message, str(again.value))
            refused.append(err.field)


_PROPERTY_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_the_property_examples_load_some_rows_and_refuse_others(ingest):
    """The property test below is only as good as its examples: they must be varied (not only
    hypothesis' first, simplest one, as when an example draws more than hypothesis allows), and
    load rows as well as exercise refusals. Ingestion only, no build: cheap."""
    outcomes: list[tuple[int, list[str]]] = []

    @settings(_PROPERTY_SETTINGS, max_examples=10, database=None)
    @given(shards=export_rows())
    def load(shards):
        with tempfile.TemporaryDirectory(prefix="ingest-examples-") as tmp:
            outcomes.append(_load_refusing(ingest, Path(tmp), shards))

    load()
    assert len(outcomes) == 10
    assert sum(loaded for loaded, _ in outcomes) >= 100, outcomes
    refused = {field for _, fields in outcomes for field in fields}
    assert {"invoice.month", "usage_start_time", "usage_end_time", "export_time"} <= refused, outcomes


@pytest.mark.property
@settings(_PROPERTY_SETTINGS, max_examples=5)
@given(shards=export_rows())
def test_property_no_accepted_value_fails_the_build(ingest, shards):
    """Random rows valid by the export schema, as one extract: each refusal names a file, a line
    and a field, and the row named is refused alone too; without the refused rows, the extract
    loads, and `chargeback build` succeeds with every loaded row in the marts."""
    with tempfile.TemporaryDirectory(prefix="ingest-property-") as tmp:
        work = Path(tmp)
        loaded, refused = _load_refusing(ingest, work, shards)
        note(f"refused: {refused}; {loaded} rows loaded")
        built = _cli(work, "build")
        assert built.returncode == 0, json.dumps(shards)[:5000] + built.stdout[-5000:] + built.stderr[-3000:]
        with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
            [(sources,)] = con.execute(
                "SELECT count(DISTINCT source_line_item_id) FROM marts.fct_cost_line_items"
            ).fetchall()
        assert sources == loaded
