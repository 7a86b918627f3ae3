"""Real export rows in BigQuery's own JSON extract format, through the `chargeback` command.

The fixture holds rows as `bq extract` writes them: timestamps like `2020-11-09 23:00:00 UTC`
with and without fractions, NULL fields left out, `{}` for an all-null record, NUMERIC as
strings, credits and labels as arrays of records (empty, absent or several), an unknown new
field, tax, adjustment and rounding-error rows. They must reach the marts with nothing lost
or duplicated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "gcp" / "real_export_rows.json"
CHARGEBACK = Path(sys.executable).parent / "chargeback"


def _rows() -> list[dict]:
    return [json.loads(line, parse_float=Decimal) for line in FIXTURE.read_text().splitlines()]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "CHARGEBACK_DUCKDB_PATH": str(work / "warehouse.duckdb"), "DAGSTER_HOME": str(work / "dagster")}
    for command in (["ingest", "gcp", str(FIXTURE)], ["build"]):
        completed = subprocess.run([str(CHARGEBACK), *command], env=env, capture_output=True, text=True)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return work / "warehouse.duckdb"


def _query(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_row_is_one_line_item(warehouse):
    assert _query(warehouse, "select count(*), count(distinct line_item_id) from marts.fct_cost_line_items") == [(6, 6)]


def test_money_matches_the_file_to_the_cent(warehouse):
    expected = sum(Decimal(str(r["cost"])) + sum((Decimal(str(c["amount"])) for c in r.get("credits", [])), Decimal(0)) for r in _rows())
    [(line_items,)] = _query(warehouse, "select sum(billed_cost) from marts.fct_cost_line_items")
    [(monthly,)] = _query(warehouse, "select sum(billed_cost) from marts.fct_chargeback_monthly where invoice_month = '2020-11'")
    assert abs(line_items - expected) < Decimal("0.000001")
    assert monthly == line_items


def test_attribution_of_real_rows(warehouse):
    rows = dict(
        (resource or cost_type, (team, method, reason, label, phase))
        for resource, cost_type, team, method, reason, label, phase in _query(
            warehouse,
            "select resource_name, cost_type, team, allocation_method, unallocated_reason, team_label_value, workload_phase "
            "from marts.fct_cost_line_items where cost_type <> 'adjustment' or resource_name is null",
        )
    )
    assert rows["fm-pretrain-a100-7"] == ("foundation-models", "tag:resource_label", None, "Foundation Models", "training")
    assert rows["ranker-endpoint"] == ("inference-platform", "tag:project_label", None, "inference-platform", "inference")
    assert rows["tax"][:2] == ("foundation-models", "tag:project_label")
    assert rows["rounding_error"][:3] == ("unallocated", "unallocated", "no_team_label")
    adjustment = _query(warehouse, "select team, unallocated_reason, team_label_value, charge_category, charge_class from marts.fct_cost_line_items where cost_type = 'adjustment'")
    assert adjustment == [("unallocated", "unknown_team_value", "fnd-models", "Adjustment", "Correction")]


def test_nested_values_survive(warehouse):
    [(credits_cud, credits_sud, tags)] = _query(
        warehouse,
        "select credits_committed_use, credits_sustained_use, tags from marts.fct_cost_line_items where resource_name = 'fm-pretrain-a100-7'",
    )
    assert credits_cud == Decimal("-8.214942") and credits_sud == Decimal("-1.5")
    assert json.loads(tags) == {"Team": "Foundation Models", "phase": "pre-training"}
