"""`chargeback build` on BigQuery's dialect (the emulator) gives what the DuckDB build gives.

The fixtures (conftest.py) run both builds on the same export. What a green run proves, and
what only a real BigQuery proves, is in docs/bigquery.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from bigquery_marts import copy_marts
from export_table import REPEATED_FIELDS

from orchestration.settings import PROJECT_ROOT

COMPARE_MARTS = PROJECT_ROOT / "benchmarks" / "compare_marts.py"

# How `chargeback build` prints check results (orchestration/cli.py, print_check_results).
CHECK_COUNTS = re.compile(
    r"\[chargeback\] checks: (\d+) data-quality \(GX\) checks, (\d+) other checks "
    r"such as dbt tests \((\d+) passed\)"
)
TAIL = 4000  # characters of a build's output shown when a test fails

CHECK_LINE = re.compile(r"^  (passed|FAILED \((?:ERROR|WARN)\))\s+(\S+) on (\S+): (.*)$", re.MULTILINE)


def check_results(output: str) -> dict[str, tuple[str, str]]:
    """check name → (verdict, summary) of each check `chargeback build` printed."""
    return {name: (verdict, summary) for verdict, name, _asset, summary in CHECK_LINE.findall(output)}


def client_rows(client, sql: str) -> list[tuple]:
    return [tuple(row.values()) for row in client.query(sql).result()]


def check_counts(output: str) -> tuple[int, int, int]:
    """(data-quality checks, other checks such as dbt tests, of which passed)."""
    found = CHECK_COUNTS.search(output)
    assert found, f"`chargeback build` printed no check results:\n{output[-TAIL:]}"
    return tuple(int(group) for group in found.groups())


# --------------------------------------------------------------------------- the export table


def test_export_table_holds_every_row_as_bigquery_does(emulator, export):
    client = emulator.client()
    table = client.get_table(export.table_id)
    assert table.time_partitioning.field == "export_time"
    null_arrays = " + ".join(f"countif({name} is null)" for name in REPEATED_FIELDS)
    [(rows, nulls, added)] = client.query(
        f"select count(*), {null_arrays}, countif(some_field_google_added_later.x = 1) from `{export.table_id}`"
    ).result()
    assert (rows, nulls) == (export.rows, 0)
    # The real rows' field that Google added after the schema file: a column of the table.
    assert export.columns_added == ("some_field_google_added_later",) and added == 1


# --------------------------------------------------------------------------- the build


def test_build_passes_every_dbt_test_on_bigquery(bigquery_build, duckdb_build):
    duckdb_counts = check_counts(duckdb_build.output)
    quality, others, passed = check_counts(bigquery_build.output)
    assert others == passed, f"dbt tests failed on BigQuery:\n{bigquery_build.output[-TAIL:]}"
    assert (quality, others) == duckdb_counts[:2], "not the same checks as on DuckDB"


def test_every_unit_test_ran_and_passed(bigquery_build):
    # dbt prints what it found, then per invocation what it ran and the tally.
    found = re.search(r"Found .*?\b(\d+) unit tests", bigquery_build.output)
    assert found, f"dbt found no unit test:\n{bigquery_build.output[-TAIL:]}"
    ran = sum(int(count) for count in re.findall(r"Finished running .*?\b(\d+) unit tests", bigquery_build.output))
    assert ran == int(found[1]), f"{ran} of {found[1]} unit tests ran on BigQuery" + (
        " (DBT_EXCLUDE_RESOURCE_TYPES is set)" if os.environ.get("DBT_EXCLUDE_RESOURCE_TYPES") else ""
    )
    errors = re.findall(r"Done\. PASS=\d+ WARN=\d+ ERROR=(\d+)", bigquery_build.output)
    assert errors and set(errors) == {"0"}


def test_data_quality_checks_give_the_duckdb_verdicts(bigquery_build, duckdb_build):
    on_bigquery, on_duckdb = check_results(bigquery_build.output), check_results(duckdb_build.output)
    assert on_bigquery, f"no data-quality check result printed:\n{bigquery_build.output[-TAIL:]}"
    assert on_bigquery == on_duckdb


def test_data_quality_results_are_recorded_on_bigquery(emulator, bigquery_build):
    # The checks append their outcomes to <marts dataset>_quality.check_results with a load job.
    recorded = client_rows(
        emulator.client(), f"select check_name, passed, warehouse from `{bigquery_build.marts}_quality.check_results`"
    )
    printed = check_results(bigquery_build.output)
    assert sorted(recorded) == sorted((name, verdict == "passed", "bigquery") for name, (verdict, _) in printed.items())


def test_freshness_reads_the_export_table(bigquery_build, duckdb_build):
    # Both age checks (Dagster's query and `dbt source freshness`) name the newest export_time.
    def newest(output: str) -> list[str]:
        return re.findall(
            r"\[chargeback\] freshness (\S+): (\w+) - .*?export_time (\d{4}-\d\d-\d\d.\d\d:\d\d:\d\d)", output
        )

    assert len(newest(bigquery_build.output)) == 2
    # (in either order: the two checks are one step each, and Dagster may run either first)
    assert sorted(newest(bigquery_build.output)) == sorted(newest(duckdb_build.output))

    # The missing-days check reads the export table too, with the same verdict.
    def gaps(output: str) -> list[str]:
        return re.findall(r"\[chargeback\] freshness export_day_gaps: (.*)", output)

    assert len(gaps(bigquery_build.output)) == 1
    assert gaps(bigquery_build.output) == gaps(duckdb_build.output)


# --------------------------------------------------------------------------- the marts


def test_every_mart_equals_the_duckdb_build(emulator, bigquery_build, duckdb_build, tmp_path):
    bigquery_marts = tmp_path / "bigquery-marts.duckdb"
    marts = copy_marts(emulator.client(), bigquery_build.marts, bigquery_marts)
    assert marts, f"no mart in {bigquery_build.marts}"
    compared = subprocess.run(
        [sys.executable, str(COMPARE_MARTS), str(duckdb_build.marts), str(bigquery_marts)],
        check=False,
        capture_output=True,
        text=True,
    )
    print(compared.stdout)
    assert compared.returncode == 0, (
        f"marts differ (DuckDB before, BigQuery after):\n{compared.stdout}{compared.stderr}"
    )
    # Every mart is compared with rows in it: the export's incidents give anomalies, its untagged
    # resources unallocated costs, its business metrics the business's unit costs.
    empty = re.findall(r"^SAME +(\w+): all 0 rows", compared.stdout, re.MULTILINE)
    assert not empty, f"marts without a row to compare: {empty}"


# --------------------------------------------------------------------------- write, audit, publish
# (last in this file: the final test changes the build dataset)


def test_the_build_is_checked_in_its_own_dataset_and_published_by_its_run(emulator, bigquery_build, warehouse):
    client = emulator.client()
    built, published = f"{bigquery_build.marts}_build", bigquery_build.marts
    marts = [mart.identifier for mart in warehouse.manifest.marts()]
    assert {mart.schema for mart in warehouse.manifest.marts()} == {built.split(".")[1]}
    assert sorted(table.table_id for table in client.list_tables(built)) == marts
    assert sorted(table.table_id for table in client.list_tables(published)) == marts
    for mart in marts:
        assert _rows(client, f"{built}.{mart}") == _rows(client, f"{published}.{mart}"), mart
    [run_id] = re.findall(r"build_job succeeded in \S+ \(run ([0-9a-f-]+)\)", bigquery_build.output)
    assert warehouse.recorded_build()["run_id"] == run_id


def test_a_publication_replaces_every_mart_in_one_transaction_or_none(emulator, bigquery_build, warehouse, monkeypatch):
    """The second publication of a dataset replaces rows in one transaction (the first copied
    tables): every mart changes together, and a statement failing in it changes no mart."""
    from orchestration.transform import bigquery_publication

    client = emulator.client()
    built, published = f"{bigquery_build.marts}_build", bigquery_build.marts
    marts = [mart.identifier for mart in warehouse.manifest.marts()]
    client.query(f"delete from `{built}.{marts[0]}` where true").result()  # a "new build" of the first mart

    warehouse.publish()
    assert _rows(client, f"{published}.{marts[0]}") == []
    before = {mart: _rows(client, f"{published}.{mart}") for mart in marts}

    # A statement failing after every mart's DELETE and INSERT, before the COMMIT.
    emptied = next(mart for mart in reversed(marts) if before[mart])
    client.query(f"delete from `{built}.{emptied}` where true").result()
    script = bigquery_publication._replace_rows_in_one_transaction
    monkeypatch.setattr(
        bigquery_publication,
        "_replace_rows_in_one_transaction",
        lambda *args: script(*args).replace(
            "COMMIT TRANSACTION;", "SELECT ERROR('mid-publication');\nCOMMIT TRANSACTION;"
        ),
    )
    with pytest.raises(Exception, match="mid-publication"):
        warehouse.publish()
    after = {mart: _rows(client, f"{published}.{mart}") for mart in marts}
    assert after == before, "a failed publication changed published marts"
    assert after[emptied], f"{emptied} was emptied in the build dataset, not in the published one"


def _rows(client, table: str) -> list[tuple]:
    return sorted(client_rows(client, f"select to_json_string(t) from `{table}` as t"))
