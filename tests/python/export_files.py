"""Export files as BigQuery's extract writes them, for the ingestion tests (a helper module,
not a test module: the tests import it, as they import sql_harness)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

ACCOUNT = "01338E-BE3FD6-363B4C"
OTHER_ACCOUNT = "0A1B2C-3D4E5F-678901"


def bq_row(n: int, *, account: str = ACCOUNT, export_time: str = "2020-11-09 23:00:00 UTC", cost: float = 1.5) -> dict:
    """A row as `bq extract` writes it: NULL fields omitted, NUMERIC as strings."""
    return {
        "billing_account_id": account,
        "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
        "sku": {"id": "2E27-4F75-95CD", "description": "E2 Instance Core running in Americas"},
        "usage_start_time": "2020-11-09 21:00:00 UTC",
        "usage_end_time": "2020-11-09 22:00:00 UTC",
        "project": {
            "id": f"proj-{n}",
            "number": "123456789012",
            "name": "Project",
            "labels": [{"key": "env", "value": "prod"}],
            "ancestry_numbers": "/111/222/",
            "ancestors": [
                {"resource_name": "projects/123456789012", "display_name": "Project"},
                {"resource_name": "organizations/111", "display_name": "example.com"},
            ],
        },
        "labels": [{"key": "team", "value": "search"}, {"key": "k8s-namespace", "value": "ml"}],
        "system_labels": [{"key": "compute.googleapis.com/cores", "value": "4"}],
        "location": {"location": "us-central1-a", "country": "US", "region": "us-central1", "zone": "us-central1-a"},
        "resource": {"name": f"vm-{n}", "global_name": f"//compute.googleapis.com/vm-{n}"},
        "tags": [{"key": "111/env", "value": "prod", "inherited": True, "namespace": "111"}],
        "price": {
            "effective_price": "0.021811",
            "tier_start_amount": "0",
            "unit": "hour",
            "pricing_unit_quantity": "1",
            "list_price": 0.06,
        },
        "transaction_type": "GOOGLE",
        "export_time": export_time,
        "cost": cost,
        "currency": "USD",
        "currency_conversion_rate": 1,
        "usage": {"amount": 3600, "unit": "seconds", "amount_in_pricing_units": 1, "pricing_unit": "hour"},
        "credits": [
            {
                "name": "Sustained usage discount",
                "amount": -0.25,
                "full_name": "SUD",
                "id": "x",
                "type": "SUSTAINED_USAGE_DISCOUNT",
            }
        ],
        "invoice": {"month": "202011", "publisher_type": "GOOGLE"},
        "cost_type": "regular",
        "cost_at_list": 2,
    }


def extract_dir(root: Path, day: str, stamp: str, account: str = ACCOUNT) -> Path:
    folder = (
        root / f"gcp_billing_export_resource_v1_{account.replace('-', '_')}" / f"export_date={day}" / f"extract={stamp}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_shard(folder: Path, shard: int, rows: list, *, raw_lines: list[str] | None = None) -> Path:
    path = folder / f"{shard:012d}.json.gz"
    lines = raw_lines if raw_lines is not None else [json.dumps(r, separators=(",", ":")) for r in rows]
    with gzip.open(path, "wt") as fh:
        fh.write("".join(line + "\n" for line in lines))
    return path
