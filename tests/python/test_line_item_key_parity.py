"""The line item key is one list of fields (orchestration/ingestion/line_item_key.py) rendered
three times: the generator's Python (`line_item_key_string`, whose md5 is the ground truth's
`line_item_id`), the warehouse's SQL (macros/attribution/line_item_key.sql, applied in staging)
and the loader's SQL, which refuses two rows of one line item. All must give the same id for
the same export row, or the ground truth joins nothing and the loader misses a collision.

Hostile rows - nulls and empty strings in every key field, the separator inside a value, unicode,
timestamps written the ways the export writes them, floats at the edge of nine decimals - are
loaded by the real ingestion and run through the staging model's compiled SQL; each row's
`line_item_id` must equal the Python one.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

import duckdb
import pytest
import sql_harness as harness

from orchestration.generate.gcp import line_item_key_string
from orchestration.ingestion import gcp_schema
from orchestration.ingestion.gcp_values import ValueBounds
from orchestration.ingestion.line_item_key import LINE_ITEM_KEY_FIELDS, NUMBER, TEXT, TIMESTAMP, line_item_key_sql
from orchestration.settings import PROJECT_ROOT

BASE = {
    "billing_account_id": "0136A2-7F9C4E-B81D05",
    "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
    "sku": {"id": "2E27-4F75-95CD", "description": "N1 Predefined Instance Core"},
    "project": {"id": "fm-pretrain", "number": "123", "name": "FM pretrain"},
    "resource": {
        "name": "vm-1",
        "global_name": "//compute.googleapis.com/projects/fm-pretrain/zones/us-central1-a/instances/1",
    },
    "location": {"location": "us-central1-a", "region": "us-central1", "zone": "us-central1-a"},
    "usage_start_time": "2026-07-01 13:00:00 UTC",
    "usage_end_time": "2026-07-01 14:00:00 UTC",
    "export_time": "2026-07-01 18:02:11.1 UTC",
    "cost_type": "regular",
    "cost": 1.5,
    "currency": "USD",
    "usage": {"amount": 3600.0, "unit": "seconds"},
    "invoice": {"month": "202607"},
}

# Each case changes the base row; `seller_name` (not part of the key) names the row.
CASES = {
    "base": {},
    # Fields a row may lack (the required ones are refused at ingestion: gcp_schema.REQUIRED_FIELDS).
    "no optional key field": {"project": None, "resource": None, "location": None, "usage": None},
    "records with null fields": {"project": {"id": None}, "resource": {"name": "vm"}, "usage": {"amount": None}},
    "empty strings": {"sku": {"id": ""}, "project": {"id": ""}, "cost_type": ""},
    "separator and unicode in values": {
        "sku": {"id": "a|b"},
        "project": {"id": "projet-été-日本"},
        "resource": {"global_name": "x||y"},
    },
    "adjustment": {"cost_type": "adjustment", "adjustment_info": {"id": "adj-1|2", "type": "GENERAL_ADJUSTMENT"}},
    "timestamp with microseconds": {"export_time": "2026-07-01 18:02:11.123456 UTC"},
    "ISO timestamp with Z": {"usage_start_time": "2026-07-01T13:00:00Z", "export_time": "2026-07-01T18:02:11.5Z"},
    "timestamp with +00:00": {"export_time": "2026-07-01 18:02:11+00:00"},
    "before the epoch and far ahead": {
        "usage_start_time": "1969-12-31 23:59:59.999999 UTC",
        "usage_end_time": "2999-01-01 00:00:00 UTC",
    },
    "tiny and negative amounts": {"cost": -1e-10, "usage": {"amount": 4.9999999e-10}},
    "negative zero": {"cost": -0.0},
    "ten decimals": {"cost": 0.1234567895, "usage": {"amount": 2.0000000005}},
    "binary fractions": {"cost": 0.1, "usage": {"amount": 1 / 3}},
    "large amounts": {"cost": 123456789012.34567, "usage": {"amount": 1e15}},
    "integral float": {"cost": 3.0, "usage": {"amount": 0.0}},
    # (19:02:11 UTC: the case "timestamp with +00:00" is 18:02:11, and one row per line item loads.)
    "timestamp with another offset": {"export_time": "2026-07-01 21:02:11+02:00"},
}


def _row(name: str, changes: dict) -> dict:
    row = json.loads(json.dumps(BASE))
    row.update(changes)
    row["seller_name"] = name
    return row


@pytest.fixture(scope="module")
def warehouse_ids(tmp_path_factory, ingest, working_copy) -> dict[str, str]:
    """line_item_id per case, as the staging model computes it on the loaded rows."""
    work = tmp_path_factory.mktemp("line-item-key")
    export = work / "rows.json"
    export.write_text(
        "".join(json.dumps(_row(name, changes), ensure_ascii=False) + "\n" for name, changes in CASES.items())
    )
    database = work / "warehouse.duckdb"
    # The hostile cases include times before 1970 (negative epochs) and in 2999, which ingestion
    # refuses by default (gcp_values): the key is tested on them nevertheless, with wider bounds.
    wide = ValueBounds.from_env({"CHARGEBACK_INGEST_EARLIEST_DATE": "1900-01-01"}, now=datetime(2999, 12, 31))
    ingest(database, [export], bounds=wide)

    compiled = harness.compile_inline(
        "select seller_name, line_item_id from {{ ref('stg_gcp_billing_export__cost_line_items') }}", database
    )
    loader_key = line_item_key_sql(gcp_schema.field_sql)
    with duckdb.connect(str(working_copy(database)), read_only=True) as con:  # where ingestion loaded
        by_loader = dict(
            con.execute(f"select seller_name, md5({loader_key}) from raw.gcp_billing_export_resource_v1").fetchall()
        )
        return {name: (line_item_id, by_loader[name]) for name, line_item_id in con.execute(compiled).fetchall()}


@pytest.mark.parametrize("name", list(CASES))
def test_python_and_sql_give_the_same_line_item_id(warehouse_ids, name):
    """The staging model's id, and the key the loader refuses repeated rows by, equal Python's."""
    key = line_item_key_string(_row(name, CASES[name]))
    expected = hashlib.md5(key.encode("utf-8")).hexdigest()
    assert warehouse_ids[name] == (expected, expected), f"Python key: {key!r}"


def test_the_staging_model_hashes_the_fields_of_line_item_key_fields():
    """The model lists the fields in Jinja; LINE_ITEM_KEY_FIELDS is the list the Python uses."""
    model = PROJECT_ROOT / "models" / "staging" / "gcp_billing_export" / "stg_gcp_billing_export__cost_line_items.sql"
    listed = re.search(r"line_item_key\(\[(.*?)\]\)", model.read_text(), re.DOTALL)[1]
    kinds = {"": TEXT, "timestamp_micros_text": TIMESTAMP, "fixed9": NUMBER}
    fields = [(path, kinds[how]) for how, path in re.findall(r"(?:(\w+)\()?'([^']+)'\)?", listed)]
    assert tuple(fields) == LINE_ITEM_KEY_FIELDS
