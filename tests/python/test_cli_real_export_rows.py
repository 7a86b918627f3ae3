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
    env = {
        **os.environ,
        "CHARGEBACK_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "DAGSTER_HOME": str(work / "dagster"),
    }
    for command in (["ingest", "gcp", str(FIXTURE)], ["build"]):
        completed = subprocess.run([str(CHARGEBACK), *command], env=env, capture_output=True, text=True)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return work / "warehouse.duckdb"


def _query(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_row_is_one_line_item_or_its_shares(warehouse):
    # The Support and rounding-error rows are split across teams by the shared-cost pools.
    [(sources, unsplit, ids, rows)] = _query(
        warehouse,
        "select count(distinct source_line_item_id), count(*) filter (where line_item_id = source_line_item_id), "
        "count(distinct line_item_id), count(*) from marts.fct_cost_line_items",
    )
    assert sources == 6 and ids == rows and unsplit < 6 < rows


def test_money_matches_the_file_to_the_cent(warehouse):
    expected = sum(
        Decimal(str(r["cost"])) + sum((Decimal(str(c["amount"])) for c in r.get("credits", [])), Decimal(0))
        for r in _rows()
    )
    [(line_items,)] = _query(warehouse, "select sum(billed_cost) from marts.fct_cost_line_items")
    [(monthly,)] = _query(
        warehouse, "select sum(billed_cost) from marts.fct_chargeback_monthly where invoice_month = '2020-11'"
    )
    assert abs(line_items - expected) < Decimal("0.000001")
    assert monthly == line_items


def test_attribution_of_real_rows(warehouse):
    rows = {
        resource or cost_type: (team, method, reason, label, phase)
        for resource, cost_type, team, method, reason, label, phase in _query(
            warehouse,
            "select resource_name, cost_type, team, allocation_method, unallocated_reason, team_label_value, "
            "workload_phase from marts.fct_cost_line_items where allocation_method not like 'shared:%'",
        )
    }
    assert rows["fm-pretrain-a100-7"] == (
        "foundation-models",
        "tag:resource_label",
        None,
        "Foundation Models",
        "training",
    )
    assert rows["ranker-endpoint"] == (
        "inference-platform",
        "tag:project_label",
        None,
        "inference-platform",
        "inference",
    )
    assert rows["tax"][:2] == ("foundation-models", "tag:project_label")
    # The unknown resource label value falls through to the project's team label.
    assert rows["adjustment"][:3] == ("foundation-models", "tag:project_label", None)
    [(charge_category, charge_class)] = _query(
        warehouse, "select charge_category, charge_class from marts.fct_cost_line_items where cost_type = 'adjustment'"
    )
    assert (charge_category, charge_class) == ("Adjustment", "Correction")
    pools = dict(
        _query(
            warehouse,
            "select cost_type || ':' || service_name, list(distinct allocation_method) from marts.fct_cost_line_items "
            "where allocation_method like 'shared:%' group by 1",
        )
    )
    assert set(pools) == {"regular:Support", "rounding_error:Invoice"}


def test_nested_values_survive(warehouse):
    [(credits_cud, credits_sud, tags)] = _query(
        warehouse,
        "select credits_committed_use, credits_sustained_use, tags from marts.fct_cost_line_items "
        "where resource_name = 'fm-pretrain-a100-7'",
    )
    assert credits_cud == Decimal("-8.214942") and credits_sud == Decimal("-1.5")
    assert json.loads(tags) == {"Team": "Foundation Models", "phase": "pre-training"}
