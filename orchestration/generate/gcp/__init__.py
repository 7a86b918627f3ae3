"""Deterministic, streaming generator of the GCP Cloud Billing *detailed usage cost* export.

It writes what a BigQuery extract of `gcp_billing_export_resource_v1_<ACCOUNT>` looks like,
one extract folder per export-day partition (rows whose `export_time` falls on that UTC day),
plus a ground-truth table that says which team and workload phase really own every row.

The modules, in the order the data flows:

* organisation.py, skus.py: the company's fixed facts and what Google sells
* labels.py: label and tag spellings and quality; stripping them (``--untagged-share``)
* company.py: the company of a seed and scale, one line template per (resource, SKU)
* timeline.py: usage days, export batches, invoice months (Pacific time)
* usage_rows.py, overhead_rows.py: the hourly usage rows; tax, support, adjustments, rounding
* writers.py: the export's folder layout and files (NDJSON.gz or Parquet), partial extracts
* ground_truth.py: the true owner of every line item, keyed by the warehouse's line_item_id
* export.py: generate_gcp_export, the day loop and the manifest

Modelling choices (documented for the ingestion and dbt side):

* Usage runs from Pacific midnight of `start` to Pacific midnight of `start + months`, so the
  invoice months (`invoice.month`, Pacific time) are exactly the requested months, except late
  rows: a row exported on or after day 4 (Pacific) of the month after its usage month is billed
  on the export month's invoice (the usage month had closed).
* Regular rows are exported 1-6 h after `usage_end_time`, in one of ~24 export batches a day
  (many rows share an `export_time`); ~2 % are late (2-5 days), so they land in a later
  `export_date=` folder. Rows whose export_time falls after the usage window are still written.
* One export day per billing account is extracted twice: a partial extract taken mid-day (only
  the rows exported before that moment) and the complete one the next morning. Loading the
  folders in name order and replacing per (billing account, export day) gives each row once.
* `line_item_id` (see `line_item_key_string`) is unique over the complete data by construction:
  rows that share (account, service, sku, project, resource, location, usage hour) always get
  different export batches.
* Tax rows: one per project and Pacific day (cost = rate x that UTC day's project usage) and one
  on Support (no project). Support, tax on Support, rounding-error rows and networking in the
  shared VPC host project have `true_team = 'shared'`. `true_phase` of tax/support/rounding/
  networking/logging/monitoring rows is `non_ai`.
* Resource-manager tags follow Google's docs: `tags.key` is the short key name (`env`, `team`),
  `tags.namespace` the organization number that holds the key.
"""

from orchestration.generate.gcp.export import GenerateSummary, generate_gcp_export
from orchestration.generate.gcp.ground_truth import line_item_id, line_item_key_string
from orchestration.generate.gcp.labels import is_team_key
from orchestration.generate.gcp.writers import TABLE_PREFIX

__all__ = [
    "TABLE_PREFIX",
    "GenerateSummary",
    "generate_gcp_export",
    "is_team_key",
    "line_item_id",
    "line_item_key_string",
]
