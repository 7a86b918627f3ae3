"""Deterministic, streaming generator of the GCP Cloud Billing *detailed usage cost* export.

It writes what a BigQuery extract of `gcp_billing_export_resource_v1_<ACCOUNT>` looks like,
one extract folder per export-day partition (rows whose `export_time` falls on that UTC day),
plus a ground-truth table that says which team and workload phase really own every row.

Layout::

    OUT/gcp_billing_export_resource_v1_<ACCOUNT_WITH_UNDERSCORES>/export_date=YYYY-MM-DD/
        extract=YYYYMMDDTHHMMSSZ/000000000000.json.gz     (or .parquet; shards of <= shard_rows rows)
    OUT/ground_truth/part-00000.parquet ...
    OUT/manifest.json

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

from __future__ import annotations

import bisect
import gc
import hashlib
import json
import math
import queue
import random
import threading
import zlib
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Literal

import orjson

from orchestration.ingestion import gcp_schema

TABLE_PREFIX = "gcp_billing_export_resource_v1_"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US


# --------------------------------------------------------------------------------------------
# line item id (must match the warehouse)
# --------------------------------------------------------------------------------------------
def _key_ts(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    s = str(v).strip()
    for suf in (" UTC", "Z", "+00:00"):
        if s.endswith(suf):
            s = s[: -len(suf)]
    s = s.replace("T", " ")
    base, _, frac = s.partition(".")
    return f"{base}.{(frac + '000000')[:6]}"


def _fixed9(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        v = Decimal(v)
    return f"{v:.9f}"


def _get(row: dict, rec: str, field: str) -> Any:
    r = row.get(rec)
    return r.get(field) if isinstance(r, dict) else None


def line_item_key_string(row: dict) -> str:
    """The string whose md5 is the warehouse's `line_item_id` (NULL/absent -> '')."""
    parts = [
        row.get("billing_account_id"),
        _get(row, "service", "id"),
        _get(row, "sku", "id"),
        _get(row, "project", "id"),
        _get(row, "resource", "global_name"),
        _get(row, "location", "location"),
        _key_ts(row.get("usage_start_time")),
        _key_ts(row.get("usage_end_time")),
        _key_ts(row.get("export_time")),
        row.get("cost_type"),
        _get(row, "adjustment_info", "id"),
        _fixed9(row.get("cost")),
        _fixed9(_get(row, "usage", "amount")),
    ]
    return "|".join("" if p is None else str(p) for p in parts)


def line_item_id(row: dict) -> str:
    return hashlib.md5(line_item_key_string(row).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# time helpers
# --------------------------------------------------------------------------------------------
def _us(dt: datetime) -> int:
    return (dt - _EPOCH) // timedelta(microseconds=1)


def _dt(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _bq_ts(us: int) -> str:
    secs, frac = divmod(us, 1_000_000)
    s = (_EPOCH + timedelta(seconds=secs)).strftime("%Y-%m-%d %H:%M:%S")
    if frac:
        s += "." + f"{frac:06d}".rstrip("0")
    return s + " UTC"


def _key_ts_us(us: int) -> str:
    secs, frac = divmod(us, 1_000_000)
    return (_EPOCH + timedelta(seconds=secs)).strftime("%Y-%m-%d %H:%M:%S") + f".{frac:06d}"


def _nth_sunday(year: int, month: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(6 - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _pacific_offset_h(us: int) -> int:
    """UTC offset of America/Los_Angeles (US rule since 2007), without tzdata."""
    t = _dt(us)
    y = t.year
    start = datetime.combine(_nth_sunday(y, 3, 2), datetime.min.time(), timezone.utc) + timedelta(hours=10)
    end = datetime.combine(_nth_sunday(y, 11, 1), datetime.min.time(), timezone.utc) + timedelta(hours=9)
    return -7 if start <= t < end else -8


def _pacific(us: int) -> datetime:
    return _dt(us + _pacific_offset_h(us) * _HOUR_US)


def _pacific_midnight_us(d: date) -> int:
    guess = _us(datetime.combine(d, datetime.min.time(), timezone.utc)) + 8 * _HOUR_US
    return _us(datetime.combine(d, datetime.min.time(), timezone.utc)) - _pacific_offset_h(guess) * _HOUR_US


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


# --------------------------------------------------------------------------------------------
# the company
# --------------------------------------------------------------------------------------------
ORG_NUMBER = "418273650912"
ORG_NAME = "example-ai.com"
CONSUMPTION_MODEL = {"id": "7754-699E-0EBF", "description": "Default"}

TEAMS = [
    "foundation-models", "applied-ml", "inference-platform", "ml-platform", "data-engineering",
    "search-ranking", "trust-safety", "analytics", "web-app",
]
PHASES = ["data_preparation", "training", "fine_tuning", "inference", "experimentation", "non_ai"]

# value variants covered by seeds/team_aliases.csv after lower(trim()) and '_' -> '-'
TEAM_VARIANTS = {
    "foundation-models": ["Foundation Models", "foundation_models", " fm ", "fundation-models", "FM", "Foundation-Models"],
    "applied-ml": ["Applied ML", "applied_ml", "appliedml", "Applied-ML"],
    "inference-platform": ["inference", "Serving", "infernce-platform", "Inference_Platform"],
    "ml-platform": ["platform", "mlplatform", "ML-Platform", "ml_platform"],
    "data-engineering": ["data-eng", "DE", "dataeng", "Data_Engineering"],
    "search-ranking": ["search", "Search", "search_ranking"],
    "trust-safety": ["trust-and-safety", "T&S", "Trust-Safety", "trust_safety"],
    "analytics": ["BI", "Analytics", " analytics"],
    "web-app": ["webapp", "web", "Web-App", "web_app"],
}
# values NOT covered by the aliases seed (true team is still the intended one)
TEAM_TYPOS = {
    "foundation-models": ["foundation-model", "fnd-models"],
    "applied-ml": ["aplied-ml", "appliedml-team"],
    "inference-platform": ["inferense", "infra-serving"],
    "ml-platform": ["ml-platfrom", "mlplatfrom"],
    "data-engineering": ["data-engg", "dataengineering"],
    "search-ranking": ["searchh", "search-rank"],
    "trust-safety": ["trust-n-safety", "tns"],
    "analytics": ["analytic", "bi-team"],
    "web-app": ["web-ap", "frontend"],
}
# key variants covered by seeds/tag_key_aliases.csv after lower(trim()) and '-'/' ' -> '_'
TEAM_KEY_VARIANTS = ["Team", " team ", "TEAM", "owner-team", "Owner_Team", "Cost-Center", "cost center",
                     "squad", "team-name", "owner"]
PHASE_KEY_VARIANTS = ["workload_phase", "workload_phase", "phase", "phase", "ml-phase", "Workload-Phase", "ai_phase", "Phase"]
PHASE_VARIANTS = {
    "training": ["training", "train", "pretraining", "Training", "pre_training"],
    "fine_tuning": ["fine_tuning", "finetune", "sft", "Fine_Tuning", "finetuning"],
    "inference": ["inference", "serving", "prediction", "online_prediction", "Inference"],
    "experimentation": ["experimentation", "research", "notebook", "experiment"],
    "data_preparation": ["data_prep", "etl", "preprocessing", "data_preparation"],
    "non_ai": ["none", "non_ai"],
}
PHASE_TYPOS = {
    "training": ["model-training"], "fine_tuning": ["lora"], "inference": ["prod-serving"],
    "experimentation": ["eval"], "data_preparation": ["feature-eng"], "non_ai": ["n/a"],
}

SERVICES = {
    "compute": ("6F81-5844-456A", "Compute Engine"),
    "vertex": ("C7E2-9256-1C43", "Vertex AI"),
    "gke": ("CCD8-9BF1-090E", "Kubernetes Engine"),
    "gcs": ("95FF-2EF5-5EA1", "Cloud Storage"),
    "bq": ("24E6-581D-38E5", "BigQuery"),
    "dataflow": ("1992-3666-B975", "Dataflow"),
    "net": ("E505-1604-58F8", "Networking"),
    "logging": ("5490-F7B7-8DF6", "Cloud Logging"),
    "monitoring": ("58CD-E7C3-72CA", "Cloud Monitoring"),
    "support": ("2062-016F-44A2", "Support"),
    "invoice": ("B5E3-9C1A-7D20", "Invoice"),
}

# units: usage unit, pricing unit, usage units per pricing unit
_GIB = 2**30
UNITS = {
    "hour": ("seconds", "hour", 3600.0),
    "gibh": ("byte-seconds", "gibibyte hour", 3600.0 * _GIB),
    "gibm": ("byte-seconds", "gibibyte month", 3600.0 * 730 * _GIB),
    "gib": ("bytes", "gibibyte", float(_GIB)),
    "tib": ("bytes", "tebibyte", float(2**40)),
    "tok": ("count", "count", 1.0),
    "ops": ("requests", "10 thousand requests", 10000.0),
}

# key: (service, description ({geo} = Americas/EMEA), unit, list price USD per pricing unit, discount)
SKUS: dict[str, tuple[str, str, str, float, float]] = {
    "gpu_h100": ("compute", "Nvidia H100 80GB GPU running in {geo}", "hour", 9.796, 0.0),
    "gpu_a100": ("compute", "Nvidia Tesla A100 GPU running in {geo}", "hour", 2.933908, 0.0),
    "gpu_l4": ("compute", "Nvidia L4 GPU running in {geo}", "hour", 0.56, 0.0),
    "a3_core": ("compute", "A3 Instance Core running in {geo}", "hour", 0.039586, 0.0),
    "a3_ram": ("compute", "A3 Instance Ram running in {geo}", "gibh", 0.003387, 0.0),
    "a2_core": ("compute", "A2 Instance Core running in {geo}", "hour", 0.031611, 0.0),
    "a2_ram": ("compute", "A2 Instance Ram running in {geo}", "gibh", 0.004237, 0.0),
    "g2_core": ("compute", "G2 Instance Core running in {geo}", "hour", 0.024988, 0.0),
    "g2_ram": ("compute", "G2 Instance Ram running in {geo}", "gibh", 0.002928, 0.0),
    "n1_core": ("compute", "N1 Predefined Instance Core running in {geo}", "hour", 0.031611, 0.0),
    "n1_ram": ("compute", "N1 Predefined Instance Ram running in {geo}", "gibh", 0.004237, 0.0),
    "e2_core": ("compute", "E2 Instance Core running in {geo}", "hour", 0.021811, 0.0),
    "e2_ram": ("compute", "E2 Instance Ram running in {geo}", "gibh", 0.002923, 0.0),
    "pd": ("compute", "Storage PD Capacity", "gibm", 0.04, 0.0),
    "pd_ssd": ("compute", "SSD backed PD Capacity", "gibm", 0.17, 0.0),
    "vx_train_h100": ("vertex", "Vertex AI: Custom Training on Nvidia H100 80GB GPU running in {geo}", "hour", 11.2654, 0.0),
    "vx_train_a100": ("vertex", "Vertex AI: Custom Training on Nvidia Tesla A100 GPU running in {geo}", "hour", 3.3741, 0.0),
    "vx_train_core": ("vertex", "Vertex AI: Custom Training a2-highgpu Instance Core running in {geo}", "hour", 0.036353, 0.0),
    "vx_pred_l4": ("vertex", "Vertex AI: Online Prediction on Nvidia L4 GPU running in {geo}", "hour", 0.644, 0.0),
    "vx_pred_a100": ("vertex", "Vertex AI: Online Prediction on Nvidia Tesla A100 GPU running in {geo}", "hour", 3.3741, 0.0),
    "vx_pred_core": ("vertex", "Vertex AI: Online Prediction n1-standard Instance Core running in {geo}", "hour", 0.036353, 0.0),
    "vx_batch_t4": ("vertex", "Vertex AI: Batch Prediction on Nvidia Tesla T4 GPU running in {geo}", "hour", 0.4025, 0.0),
    "vx_wb_core": ("vertex", "Vertex AI Workbench: Instance Core running in {geo}", "hour", 0.0379, 0.0),
    "vx_wb_gpu": ("vertex", "Vertex AI Workbench: Nvidia Tesla T4 GPU running in {geo}", "hour", 0.35, 0.0),
    "vx_tune": ("vertex", "Vertex AI: Gemini 2.5 Flash Supervised Tuning", "tok", 0.000005, 0.0),
    "gem_pro_in": ("vertex", "Gemini 2.5 Pro Input Text Tokens", "tok", 0.00000125, 0.0),
    "gem_pro_out": ("vertex", "Gemini 2.5 Pro Output Text Tokens", "tok", 0.00001, 0.0),
    "gem_flash_in": ("vertex", "Gemini 2.5 Flash Input Text Tokens", "tok", 0.0000003, 0.0),
    "gem_flash_out": ("vertex", "Gemini 2.5 Flash Output Text Tokens", "tok", 0.0000025, 0.0),
    "gke_mgmt": ("gke", "Regional Kubernetes Clusters", "hour", 0.1, 0.0),
    "gke_ap_cpu": ("gke", "Autopilot Pod mCPU Requests ({region})", "hour", 0.0445, 0.0),
    "gke_ap_mem": ("gke", "Autopilot Pod Memory Requests ({region})", "gibh", 0.0049225, 0.0),
    "gcs_std": ("gcs", "Standard Storage {mr} Regional", "gibm", 0.020, 0.0),
    "gcs_multi": ("gcs", "Standard Storage {mr} Multi-region", "gibm", 0.026, 0.0),
    "gcs_nearline": ("gcs", "Nearline Storage {mr} Regional", "gibm", 0.010, 0.0),
    "gcs_ops": ("gcs", "Standard Storage Class A Operations", "ops", 0.05, 0.0),
    "bq_analysis": ("bq", "Analysis", "tib", 6.25, 0.0),
    "bq_storage": ("bq", "Active Logical Storage", "gibm", 0.02, 0.0),
    "df_vcpu": ("dataflow", "vCPU Time Batch {city}", "hour", 0.056, 0.0),
    "df_ram": ("dataflow", "RAM Time Batch {city}", "gibh", 0.003557, 0.0),
    "net_egress": ("net", "Network Internet Data Transfer Out from {geo} to {geo}", "gib", 0.12, 0.0),
    "net_interzone": ("net", "Network Inter Zone Data Transfer Out", "gib", 0.01, 0.0),
    "net_lb": ("net", "Cloud Load Balancer Forwarding Rule Minimum Service Charge in {geo}", "hour", 0.025, 0.0),
    "log_storage": ("logging", "Log Storage cost", "gib", 0.5, 0.0),
    "mon_metrics": ("monitoring", "Metric Volume", "gib", 0.2582, 0.0),
}

ACCOUNTS = [
    {"id": "0136A2-7F9C4E-B81D05", "currency": "USD", "rate": 1.0, "share": 0.9, "region": "us-central1",
     "country": "US", "geo": "Americas", "mr": "US", "city": "Iowa", "extract_hms": "031200", "tax": 0.0625},
    {"id": "01F3C9-2E8A71-D4B6A0", "currency": "EUR", "rate": 0.92, "share": 0.1, "region": "europe-west4",
     "country": "NL", "geo": "EMEA", "mr": "EU", "city": "Netherlands", "extract_hms": "032700", "tax": 0.0},
]
_EUR_MONTHLY = [0.9184, 0.9211, 0.9197, 0.9226, 0.9172, 0.9203]

# departments (folders) -> teams
DEPARTMENTS = {
    "research": ["foundation-models", "applied-ml"],
    "ml-infrastructure": ["inference-platform", "ml-platform"],
    "data": ["data-engineering", "analytics"],
    "product": ["search-ranking", "trust-safety", "web-app"],
}

# resource kinds: list of (sku key, quantity per hour, sku weight)
KINDS: dict[str, list[tuple[str, float, float]]] = {
    "a3_vm": [("gpu_h100", 8, 1.0), ("a3_core", 208, 1.0), ("a3_ram", 1872, 1.0), ("pd_ssd", 2048, 0.6)],
    "a2_vm": [("gpu_a100", 8, 1.0), ("a2_core", 96, 1.0), ("a2_ram", 680, 1.0), ("pd", 500, 0.6)],
    "a2_vm1": [("gpu_a100", 1, 1.0), ("a2_core", 12, 1.0), ("a2_ram", 85, 1.0), ("pd", 200, 0.6)],
    "g2_vm": [("gpu_l4", 1, 1.0), ("g2_core", 8, 1.0), ("g2_ram", 32, 1.0), ("pd", 100, 0.6)],
    "n1_vm": [("n1_core", 8, 1.0), ("n1_ram", 30, 1.0), ("pd", 100, 0.6)],
    "e2_vm": [("e2_core", 4, 1.0), ("e2_ram", 16, 1.0), ("pd", 50, 0.5)],
    "vx_train_h100": [("vx_train_h100", 8, 1.0), ("vx_train_core", 208, 0.8)],
    "vx_train_a100": [("vx_train_a100", 4, 1.0), ("vx_train_core", 48, 0.8)],
    "vx_endpoint_l4": [("vx_pred_l4", 2, 1.0), ("vx_pred_core", 16, 1.0)],
    "vx_endpoint_a100": [("vx_pred_a100", 2, 1.0), ("vx_pred_core", 24, 1.0)],
    "vx_batch": [("vx_batch_t4", 4, 1.0)],
    "workbench": [("vx_wb_core", 8, 1.0), ("vx_wb_gpu", 1, 0.5)],
    "vx_tuning": [("vx_tune", 3.0e7, 1.0)],
    "gemini_api": [("gem_pro_in", 1.5e7, 1.0), ("gem_pro_out", 2.0e6, 1.0), ("gem_flash_in", 8.0e7, 1.0),
                   ("gem_flash_out", 1.0e7, 1.0)],
    "gcs_bucket": [("gcs_std", 150_000, 1.0), ("gcs_ops", 80_000, 0.6)],
    "gcs_multi": [("gcs_multi", 40_000, 1.0), ("gcs_ops", 20_000, 0.4)],
    "gcs_archive": [("gcs_nearline", 400_000, 1.0)],
    "bq_dataset": [("bq_analysis", 0.6, 1.0), ("bq_storage", 20_000, 0.8)],
    "dataflow_job": [("df_vcpu", 64, 1.0), ("df_ram", 240, 1.0)],
    "gke_node_l4": [("gpu_l4", 4, 1.0), ("g2_core", 48, 1.0), ("g2_ram", 192, 1.0)],
    "gke_node_a100": [("gpu_a100", 8, 1.0), ("a2_core", 96, 1.0), ("a2_ram", 680, 1.0)],
    "gke_autopilot": [("gke_ap_cpu", 24, 1.0), ("gke_ap_mem", 96, 1.0)],
    "gke_cluster": [("gke_mgmt", 1, 1.0)],
    "lb": [("net_lb", 1, 1.0), ("net_egress", 40, 1.0)],
    "egress": [("net_egress", 120, 1.0), ("net_interzone", 300, 0.7)],
    "logging": [("log_storage", 3, 1.0)],
    "monitoring": [("mon_metrics", 1.5, 1.0)],
}

MACHINE_SPECS = {
    "a3_vm": ("a3-highgpu-8g", "208", "1916928"), "a2_vm": ("a2-highgpu-8g", "96", "696320"),
    "a2_vm1": ("a2-highgpu-1g", "12", "87040"), "g2_vm": ("g2-standard-8", "8", "32768"),
    "n1_vm": ("n1-standard-8", "8", "30720"), "e2_vm": ("e2-standard-4", "4", "16384"),
    "gke_node_l4": ("g2-standard-48", "48", "196608"), "gke_node_a100": ("a2-highgpu-8g", "96", "696320"),
}

# hour-of-day profiles (UTC); Pacific business hours are 16-01 UTC in summer
_PROFILES = {
    "flat": [1.0] * 24,
    "diurnal": [1.0 + 0.6 * (1 if 15 <= h <= 23 else 0) + 0.3 * (1 if h in (0, 1, 14) else 0) for h in range(24)],
    "business": [1.0 if (h >= 16 or h <= 1) else 0.08 for h in range(24)],
    "nightly": [1.0 if 7 <= h <= 13 else 0.12 for h in range(24)],
}
AI_PHASES = {"data_preparation", "training", "fine_tuning", "inference", "experimentation"}

# (account, team, project id, display name, env); team None = shared network host, "sandbox"
PROJECTS = [
    (0, "foundation-models", "fm-train-prod", "FM Training Prod", "prod"),
    (0, "foundation-models", "fm-research-dev", "FM Research Dev", "dev"),
    (0, "applied-ml", "applied-ml-prod", "Applied ML Prod", "prod"),
    (0, "applied-ml", "applied-ml-dev", "Applied ML Dev", "dev"),
    (0, "inference-platform", "inference-serving-prod", "Inference Serving Prod", "prod"),
    (0, "inference-platform", "inference-serving-staging", "Inference Serving Staging", "staging"),
    (0, "ml-platform", "ml-platform-shared-gke", "ML Platform Shared GKE", "prod"),
    (0, "ml-platform", "ml-platform-tools", "ML Platform Tools", "prod"),
    (0, "data-engineering", "data-eng-pipelines-prod", "Data Pipelines Prod", "prod"),
    (0, "data-engineering", "data-eng-pipelines-dev", "Data Pipelines Dev", "dev"),
    (0, "search-ranking", "search-ranking-prod", "Search Ranking Prod", "prod"),
    (0, "search-ranking", "search-ranking-dev", "Search Ranking Dev", "dev"),
    (0, "trust-safety", "tns-classifiers-prod", "Trust & Safety Classifiers", "prod"),
    (0, "analytics", "analytics-bi-prod", "Analytics BI", "prod"),
    (0, "web-app", "webapp-prod", "Web App Prod", "prod"),
    (0, "web-app", "webapp-dev", "Web App Dev", "dev"),
    (0, "applied-ml", "ai-sandbox-4471", "AI Sandbox", "sandbox"),
    (0, None, "net-host-prod", "Shared VPC Host", "prod"),
    (1, "inference-platform", "inference-eu-prod", "Inference EU Prod", "prod"),
    (1, "web-app", "webapp-eu-prod", "Web App EU Prod", "prod"),
    (1, "search-ranking", "search-eu-prod", "Search EU Prod", "prod"),
]
SANDBOX = "ai-sandbox-4471"
SHARED_GKE = "ml-platform-shared-gke"
NET_HOST = "net-host-prod"

# resource specs: (project, kind, name pattern, base count, scales, phase, profile, duty)
# name pattern: '{i}' instance, '{p}' person. Phase None -> non_ai.
SPECS = [
    ("fm-train-prod", "a3_vm", "fm-pretrain-h100-pool-{i}|a3-node-{i:03d}", 4, True, "training", "flat", 1.0),
    ("fm-train-prod", "vx_train_h100", "fm-pretrain-run-{i}|custom-job-{n}", 2, True, "training", "flat", 0.7),
    ("fm-train-prod", "gcs_bucket", "fm-pretraining-corpus|fm-tokenized-shards", 2, False, "data_preparation", "flat", 1.0),
    ("fm-train-prod", "gcs_bucket", "fm-checkpoints", 1, False, "training", "flat", 1.0),
    ("fm-train-prod", "dataflow_job", "fm-tokenize-corpus-v{i}|beam-job-{n}", 1, True, "data_preparation", "nightly", 0.5),
    ("fm-research-dev", "a2_vm", "fm-ablation-a100-{i}|gpu-box-{i}", 1, True, "experimentation", "business", 0.6),
    ("fm-research-dev", "workbench", "notebook-{p}", 2, True, "experimentation", "business", 0.7),
    ("applied-ml-prod", "a2_vm", "ft-a100-{i}|finetune-worker-{i}|a2-worker-{i}", 2, True, "fine_tuning", "flat", 0.8),
    ("applied-ml-prod", "vx_train_a100", "sft-job-{i}|custom-job-{n}", 1, True, "fine_tuning", "flat", 0.6),
    ("applied-ml-prod", "vx_tuning", "gemini-tuning-{i}", 1, False, "fine_tuning", "business", 0.4),
    ("applied-ml-prod", "vx_batch", "eval-batch-predict-{i}", 1, False, "experimentation", "nightly", 0.4),
    ("applied-ml-prod", "gcs_bucket", "applied-ml-datasets", 1, False, "data_preparation", "flat", 1.0),
    ("applied-ml-dev", "workbench", "notebook-{p}", 3, True, "experimentation", "business", 0.7),
    ("applied-ml-dev", "a2_vm1", "exp-a100-{i}|dev-vm-{i}", 1, True, "experimentation", "business", 0.5),
    ("inference-serving-prod", "vx_endpoint_a100", "chat-serving-endpoint-{i}|endpoint-{n}", 2, True, "inference", "diurnal", 1.0),
    ("inference-serving-prod", "vx_endpoint_l4", "embed-serving-endpoint-{i}|endpoint-{n}", 2, True, "inference", "diurnal", 1.0),
    ("inference-serving-prod", "gemini_api", "llm-gateway", 1, False, "inference", "diurnal", 1.0),
    ("inference-serving-prod", "g2_vm", "vllm-l4-{i}|inference-node-{i}|l4-host-{i}", 4, True, "inference", "diurnal", 1.0),
    ("inference-serving-prod", "lb", "llm-gateway-lb", 1, False, None, "diurnal", 1.0),
    ("inference-serving-prod", "logging", "", 1, False, None, "diurnal", 1.0),
    ("inference-serving-staging", "g2_vm", "vllm-staging-{i}", 1, True, "inference", "business", 0.6),
    ("ml-platform-shared-gke", "gke_cluster", "ml-shared-gke-usc1", 1, False, None, "flat", 1.0),
    ("ml-platform-tools", "e2_vm", "ci-runner-{i}|gh-runner-{i}", 2, True, None, "business", 0.8),
    ("ml-platform-tools", "gcs_bucket", "ml-artifacts-registry", 1, False, None, "flat", 1.0),
    ("ml-platform-tools", "monitoring", "", 1, False, None, "flat", 1.0),
    ("data-eng-pipelines-prod", "dataflow_job", "events-etl-{i}|beam-job-{n}", 2, True, "data_preparation", "nightly", 0.8),
    ("data-eng-pipelines-prod", "bq_dataset", "feature_store|training_sets", 2, False, "data_preparation", "nightly", 0.9),
    ("data-eng-pipelines-prod", "gcs_archive", "raw-events-archive", 1, False, "data_preparation", "flat", 1.0),
    ("data-eng-pipelines-dev", "dataflow_job", "etl-dev-{i}", 1, True, "data_preparation", "business", 0.4),
    ("search-ranking-prod", "vx_endpoint_l4", "ranker-serving-endpoint|endpoint-{n}", 1, True, "inference", "diurnal", 1.0),
    ("search-ranking-prod", "a2_vm", "ranker-train-a100-{i}|a2-{n}", 1, True, "training", "nightly", 0.6),
    ("search-ranking-prod", "bq_dataset", "search_features", 1, False, "data_preparation", "nightly", 0.8),
    ("search-ranking-dev", "workbench", "notebook-{p}", 1, True, "experimentation", "business", 0.6),
    ("tns-classifiers-prod", "vx_endpoint_l4", "safety-classifier-endpoint|endpoint-{n}", 1, True, "inference", "diurnal", 1.0),
    ("tns-classifiers-prod", "gemini_api", "moderation-gateway", 1, False, "inference", "diurnal", 0.7),
    ("tns-classifiers-prod", "vx_train_a100", "toxicity-ft-{i}|custom-job-{n}", 1, False, "fine_tuning", "nightly", 0.4),
    ("analytics-bi-prod", "bq_dataset", "bi_reporting|finance_marts", 2, False, None, "business", 1.0),
    ("analytics-bi-prod", "gcs_bucket", "bi-exports", 1, False, None, "flat", 1.0),
    ("webapp-prod", "n1_vm", "web-frontend-{i}|api-server-{i}", 3, True, None, "diurnal", 1.0),
    ("webapp-prod", "gcs_multi", "webapp-static-assets", 1, False, None, "flat", 1.0),
    ("webapp-prod", "logging", "", 1, False, None, "diurnal", 1.0),
    ("webapp-prod", "lb", "webapp-lb", 1, False, None, "diurnal", 1.0),
    ("webapp-dev", "e2_vm", "webapp-dev-{i}", 1, True, None, "business", 0.6),
    (SANDBOX, "a2_vm", "test-vm-{i}|instance-{i}", 1, False, "experimentation", "flat", 1.0),
    (SANDBOX, "workbench", "scratch-notebook-{i}", 1, False, "experimentation", "business", 0.5),
    (NET_HOST, "egress", "", 1, False, None, "diurnal", 1.0),
    # EU account
    ("inference-eu-prod", "vx_endpoint_l4", "chat-serving-eu-{i}|endpoint-{n}", 2, True, "inference", "diurnal", 1.0),
    ("inference-eu-prod", "gemini_api", "llm-gateway-eu", 1, False, "inference", "diurnal", 1.0),
    ("inference-eu-prod", "g2_vm", "vllm-eu-{i}", 1, True, "inference", "diurnal", 1.0),
    ("webapp-eu-prod", "n1_vm", "web-eu-{i}", 2, True, None, "diurnal", 1.0),
    ("webapp-eu-prod", "logging", "", 1, False, None, "diurnal", 1.0),
    ("search-eu-prod", "vx_endpoint_l4", "ranker-eu-endpoint", 1, False, "inference", "diurnal", 1.0),
]
# GKE cost allocation on the shared cluster: namespace -> (true team, phase, app, node kind)
GKE_NAMESPACES = [
    ("applied-ml", "applied-ml", "fine_tuning", "lora-trainer", "gke_node_a100"),
    ("team-search", "search-ranking", "inference", "ranker-api", "gke_node_l4"),
    ("trust-safety", "trust-safety", "inference", "safety-filter", "gke_node_l4"),
    ("data-eng", "data-engineering", "data_preparation", "feature-backfill", "gke_autopilot"),
    ("fm-eval", "foundation-models", "experimentation", "eval-harness", "gke_node_a100"),
    ("kube-system", "ml-platform", None, "kube-dns", "gke_autopilot"),
]
PEOPLE = ["alice", "bob", "chen", "dana", "emeka", "farah", "gus", "hana", "ivan", "julia", "kofi", "lena",
          "mateo", "nina", "omar", "priya", "quinn", "ravi", "sofia", "tomas"]


def _hexid(*parts: str, groups: int = 3) -> str:
    h = hashlib.md5("/".join(parts).encode()).hexdigest().upper()
    return "-".join(h[i * 4:(i + 1) * 4] for i in range(groups))


def _num_str(x: float) -> str:
    s = f"{x:.9f}".rstrip("0").rstrip(".")
    return s or "0"


_SCHEMA_ORDER = gcp_schema.fields()


def _bigquery_json(value: Any) -> bytes:
    """JSON as BigQuery's extract writes it: `<`, `>` and `&` escaped (they occur only in strings)."""
    return orjson.dumps(value).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def _encode_prefix(static: dict[str, Any]) -> bytes:
    return _bigquery_json(static)[:-1] + b","


def _kv(pairs):
    return [{"key": k, "value": v} for k, v in pairs]


class _LT:
    """A line template: one (resource, SKU) with everything static pre-encoded."""

    __slots__ = ("acct", "static", "prefix", "kprefix", "gkey", "weight", "profile", "qty", "unit", "conv",
                 "eff", "lst", "credits", "omit_empty", "team", "phase", "project_id", "steady",
                 "currency", "pq_static", "usage_unit", "pricing_unit", "svc", "mode", "amt_base", "acct_id")


@dataclass(frozen=True)
class GenerateSummary:
    rows: int  # export rows of the complete data (each line item once)
    partial_rows: int  # rows written a second time in the partial extracts
    rows_written: int  # rows + partial_rows
    files: int
    extracts: tuple[str, ...]  # extract folders relative to out_dir, in load (name) order
    billing_accounts: tuple[str, ...]
    usage_start: str  # first usage day (Pacific)
    usage_end: str  # last usage day (Pacific, inclusive)
    first_export_date: str
    last_export_date: str
    invoice_months: tuple[str, ...]
    ground_truth: str
    format: str
    seed: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["extracts"] = list(self.extracts)
        d["billing_accounts"] = list(self.billing_accounts)
        d["invoice_months"] = list(self.invoice_months)
        return d


class _Company:
    def __init__(self, seed: int, scale: int):
        rng = random.Random(seed * 7919 + 17)
        self.projects: dict[str, dict[str, Any]] = {}
        self.project_team: dict[str, str] = {}
        self.project_acct: dict[str, int] = {}
        self.lts: list[_LT] = []
        self.resources: list[dict[str, Any]] = []
        self._gkeys: dict[tuple, int] = {}
        folder_ids: dict[str, str] = {}
        for dept in list(DEPARTMENTS) + ["sandboxes", "shared-infrastructure"]:
            folder_ids[dept] = str(rng.randrange(10**11, 10**12))
        team_folder = {t: str(rng.randrange(10**11, 10**12)) for t in TEAMS}
        dept_of = {t: d for d, ts in DEPARTMENTS.items() for t in ts}
        for acct, team, pid, pname, env in PROJECTS:
            number = str(rng.randrange(10**11, 10**12))
            anc = [{"resource_name": f"projects/{number}", "display_name": pid}]
            if pid == SANDBOX:
                chain = [(folder_ids["sandboxes"], "sandboxes")]
            elif team is None:
                chain = [(folder_ids["shared-infrastructure"], "shared-infrastructure")]
            else:
                chain = [(team_folder[team], team), (folder_ids[dept_of[team]], dept_of[team])]
            for fid, fname in chain:
                anc.append({"resource_name": f"folders/{fid}", "display_name": fname})
            anc.append({"resource_name": f"organizations/{ORG_NUMBER}", "display_name": ORG_NAME})
            ancestry = "/" + ORG_NUMBER + "/" + "/".join(fid for fid, _ in reversed(chain)) + "/"
            if pid == SANDBOX:
                plabels: list = []
            elif team is None:
                plabels = [("cost-pool", "networking"), ("env", env)]
            else:
                r = rng.random()
                tkey = "team" if r < 0.75 else rng.choice(["Team", "owner-team", "cost-center"])
                tval = team if rng.random() < 0.7 else rng.choice(TEAM_VARIANTS[team])
                plabels = [("env", env), (tkey, tval)]
                if rng.random() < 0.5:
                    plabels.append(("billing", "chargeback"))
            self.projects[pid] = {"id": pid, "number": number, "name": pname, "labels": _kv(plabels),
                                  "ancestry_numbers": ancestry, "ancestors": anc}
            self.project_team[pid] = team if team else "shared"
            self.project_acct[pid] = acct
        self.project_tags = {pid: (rng.random() < 0.4) for pid in self.projects}

        for spec in SPECS:
            self._add_spec(rng, spec, scale)
        for ns, team, phase, app, kind in GKE_NAMESPACES:
            n = max(1, scale // 2) if kind != "gke_autopilot" else 1
            for i in range(n * (2 if team in ("search-ranking", "applied-ml") else 1)):
                self._add_resource(rng, 0, SHARED_GKE, kind, team, phase, "flat" if phase else "flat", 1.0,
                                   name=None, gke=(ns, app, i))
        self._finalize(rng)
        # row weights: EU account ~10 % of rows
        tot = [0.0, 0.0]
        for lt in self.lts:
            tot[lt.acct] += lt.weight
        for lt in self.lts:
            lt.weight *= ACCOUNTS[lt.acct]["share"] / tot[lt.acct]

    # ----------------------------------------------------------------------------------------
    def _finalize(self, rng: random.Random) -> None:
        """Cost-weighted label quality: GKE-namespace-only ~8 %, sandbox ~3 %, and among the other
        team resources 70 % team label, 5 % team tag only, 22 % project label only, 3 % typo."""

        def cost(lts) -> float:
            return sum(lt.weight * lt.amt_base / lt.conv * lt.eff for lt in lts)

        main = [r for r in self.resources if r["lts"] and r["lts"][0].acct == 0]
        c_gke = sum(cost(r["lts"]) for r in main if r["gke"])
        c_sbx = sum(cost(r["lts"]) for r in main if r["sandbox"])
        c_oth = sum(cost(r["lts"]) for r in main if not r["gke"] and not r["sandbox"])
        total = c_oth / (1 - 0.08 - 0.03)
        for flag, c, share in (("gke", c_gke, 0.08), ("sandbox", c_sbx, 0.03)):
            f = min(50.0, max(0.02, share * total / c)) if c > 0 else 1.0
            for r in main:
                if r[flag]:
                    for lt in r["lts"]:
                        lt.weight *= f
        elig = [r for r in self.resources if r["eligible"]]
        rng.shuffle(elig)
        tot = sum(cost(r["lts"]) for r in elig) or 1.0
        # small budgets first (typo values 3 %, tag only 5 %), filled with resources that fit
        kind_of: dict[int, str] = {}
        for budget_kind, budget in (("D", 0.03), ("T", 0.05)):
            acc = 0.0
            # prefer resources with a high cost per row, so the row share stays near the cost share
            by_density = sorted(range(len(elig)), key=lambda j: -cost(elig[j]["lts"]) / sum(
                lt.weight for lt in elig[j]["lts"]))
            for i in by_density:
                r = elig[i]
                c = cost(r["lts"]) / tot
                if i not in kind_of and acc + c <= budget * 1.1:
                    kind_of[i] = budget_kind
                    acc += c
        rest = [i for i in range(len(elig)) if i not in kind_of]
        rest_tot = sum(cost(elig[i]["lts"]) for i in rest) or 1.0
        cum = 0.0
        for i in rest:
            c = cost(elig[i]["lts"])
            kind_of[i] = "A" if (cum + c / 2) / rest_tot < 0.70 / 0.92 else "B"
            cum += c
        for i, r in enumerate(elig):
            k = kind_of[i]
            m = {"A": 0.0, "T": 0.72, "B": 0.8, "D": 0.99}[k]
            team = r["team"]
            labels, tags = r["labels"], r["tags"]
            if m < 0.70:
                key = "team" if rng.random() < 0.5 else rng.choice(TEAM_KEY_VARIANTS)
                val = team if rng.random() < 0.55 else rng.choice(TEAM_VARIANTS[team])
                labels.insert(0, (key, val))
            elif m < 0.75:
                tags.insert(0, {"key": "team", "value": team, "inherited": False, "namespace": ORG_NUMBER})
            elif m >= 0.97:
                labels.insert(0, ("team" if rng.random() < 0.7 else "Team", rng.choice(TEAM_TYPOS[team])))
            else:
                continue
            for lt in r["lts"]:
                st = lt.static
                if labels or not r["omit_empty"]:
                    st["labels"] = _kv(labels)
                if tags or not r["omit_empty"]:
                    st["tags"] = tags
                # keep the schema's column order
                order = [f["name"] for f in _SCHEMA_ORDER]
                lt.static = {k: st[k] for k in order if k in st}
                lt.prefix = _encode_prefix(lt.static)

    def _gkey(self, t: tuple) -> int:
        return self._gkeys.setdefault(t, len(self._gkeys))

    def _add_spec(self, rng: random.Random, spec, scale: int) -> None:
        pid, kind, pattern, count, scales, phase, profile, duty = spec
        team = self.project_team[pid]
        n = count * (scale if scales else 1)
        names = pattern.split("|") if pattern else [""]
        people = PEOPLE[:]
        rng.shuffle(people)
        for i in range(n):
            pat = names[0] if (len(names) == 1 or rng.random() < 0.55) else rng.choice(names[1:])
            name = pat.format(i=i + 1, n=rng.randrange(10**6, 10**7), p=people[i % len(people)] + ("" if i < len(people) else str(i)))
            if n > 1 and "{" not in pattern and pattern:
                name = names[i % len(names)] + ("" if i < len(names) else f"-{i}")
            elif i > 0 and "{" not in pat:
                name = f"{name}-{i + 1}"
            self._add_resource(rng, self.project_acct[pid], pid, kind, team, phase, profile, duty, name=name)

    def _add_resource(self, rng, acct_i, pid, kind, team, phase, profile, duty, name, gke=None) -> None:
        acct = ACCOUNTS[acct_i]
        proj = self.projects[pid]
        region = acct["region"]
        zone = region + "-" + rng.choice("abc" if acct_i else "abcf")
        phase = phase or "non_ai"
        is_ai = phase in AI_PHASES
        # ---- labels (resource level)
        labels: list[tuple[str, str]] = []
        tags: list[dict[str, Any]] = []
        system_labels: list[tuple[str, str]] = []
        if pid == SANDBOX or pid == NET_HOST:
            category = "E" if pid == SANDBOX else "S"
        elif gke is not None:
            category = "C"
        else:
            category = "B"  # provisional: the team label is decided cost-weighted in _finalize()
        if category in ("A", "D"):
            key = "team" if rng.random() < 0.5 else rng.choice(TEAM_KEY_VARIANTS)
            if category == "D":
                key = "team" if rng.random() < 0.7 else "Team"
                val = rng.choice(TEAM_TYPOS[team])
            else:
                val = team if rng.random() < 0.55 else rng.choice(TEAM_VARIANTS[team])
            if category == "A" and rng.random() < 0.08:
                tags.append({"key": "team", "value": team, "inherited": False, "namespace": ORG_NUMBER})
            else:
                labels.append((key, val))
        if category in ("A", "B", "D"):
            if rng.random() < 0.6:
                labels.append(("env", proj["labels"][0]["value"] if proj["labels"] else "prod"))
            if is_ai and rng.random() < 0.5:
                pk = rng.choice(PHASE_KEY_VARIANTS)
                pv = rng.choice(PHASE_TYPOS[phase]) if rng.random() < 0.08 else (
                    phase if rng.random() < 0.5 else rng.choice(PHASE_VARIANTS[phase]))
                labels.append((pk, pv))
            elif not is_ai and rng.random() < 0.1:
                labels.append(("workload_phase", rng.choice(PHASE_VARIANTS["non_ai"])))
            if name and rng.random() < 0.4:
                labels.append(("app", name.split("-")[0]))
        if gke is not None:
            ns, app, i = gke
            pool = {"gke_node_l4": "gpu-l4-pool", "gke_node_a100": "gpu-a100-pool"}.get(kind, "autopilot")
            labels = [("goog-k8s-cluster-name", "ml-shared-gke-usc1"), ("goog-k8s-cluster-location", region)]
            if pool != "autopilot":
                labels.append(("goog-k8s-node-pool-name", pool))
            labels += [("k8s-namespace", ns), ("k8s-label/app", app)]
            if rng.random() < 0.5:
                labels.append(("k8s-label/app.kubernetes.io/managed-by", "helm"))
        if self.project_tags.get(pid):
            tags.append({"key": "env", "value": proj["labels"][0]["value"] if proj["labels"] else "prod",
                         "inherited": True, "namespace": ORG_NUMBER})
        # ---- resource identity
        number = proj["number"]
        rid = str(rng.randrange(10**18, 10**19))
        ms = MACHINE_SPECS.get(kind)
        if gke is not None:
            ns, app, i = gke
            if kind == "gke_autopilot":
                name = "ml-shared-gke-usc1"
                gname = f"//container.googleapis.com/projects/{pid}/locations/{region}/clusters/{name}"
            else:
                # nodes are shared by namespaces: same node -> same global_name
                node_i = i % 3 if kind == "gke_node_l4" else i % 2
                name = f"gke-ml-shared-gke-usc-{'gpu-l4' if kind == 'gke_node_l4' else 'gpu-a100'}-pool-{_hexid(kind, str(node_i), groups=2).lower().replace('-', '')}"
                zone = region + "-a"
                gname = f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{int(_hexid(name, groups=4).replace('-', ''), 16) % 10**19}"
        elif kind == "gke_cluster":
            gname = f"//container.googleapis.com/projects/{pid}/locations/{region}/clusters/{name}"
        elif ms is not None:
            gname = f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{rid}"
        elif kind.startswith("vx_train") or kind == "vx_tuning":
            gname = f"//aiplatform.googleapis.com/projects/{number}/locations/{region}/customJobs/{rid[:16]}"
        elif kind.startswith("vx_endpoint") or kind == "vx_batch":
            coll = "endpoints" if kind != "vx_batch" else "batchPredictionJobs"
            gname = f"//aiplatform.googleapis.com/projects/{number}/locations/{region}/{coll}/{rid[:16]}"
        elif kind == "workbench":
            gname = f"//notebooks.googleapis.com/projects/{pid}/locations/{zone}/instances/{name}"
        elif kind == "gemini_api":
            gname = None
        elif kind.startswith("gcs"):
            gname = f"//storage.googleapis.com/projects/_/buckets/{name}"
        elif kind == "bq_dataset":
            gname = f"//bigquery.googleapis.com/projects/{pid}/datasets/{name}"
        elif kind == "dataflow_job":
            gname = f"//dataflow.googleapis.com/projects/{pid}/locations/{region}/jobs/{name}"
        elif kind == "lb":
            gname = f"//compute.googleapis.com/projects/{pid}/global/forwardingRules/{name}"
        else:
            gname = None
        if ms is not None:
            system_labels = [("compute.googleapis.com/machine_spec", ms[0]), ("compute.googleapis.com/cores", ms[1]),
                             ("compute.googleapis.com/memory", ms[2])]
        true_team = team if pid != NET_HOST else "shared"
        omit_empty = rng.random() < 0.12
        cud = rng.random() < 0.6
        discount = acct_i == 0 and rng.random() < 0.5
        subscription = None
        if kind in ("a3_vm", "a2_vm", "n1_vm") and rng.random() < 0.15:
            subscription = "subscriptions/" + _hexid("sub", pid, rid, groups=4).lower().replace("-", "")[:8] + "-" + _hexid("sub2", rid, groups=1).lower() + "-" + _hexid("sub3", rid, groups=1).lower() + "-" + _hexid("sub4", rid, groups=1).lower() + "-" + _hexid("sub5", rid, groups=3).lower().replace("-", "")
        skus = KINDS[kind]
        first_lt = len(self.lts)
        for sku_key, qty, sw in skus:
            svc_key, desc, unit_key, list_usd, _ = SKUS[sku_key]
            desc = desc.format(geo=acct["geo"], region=region, mr=acct["mr"], city=acct["city"])
            svc_id, svc_desc = SERVICES[svc_key]
            sku_id = _hexid(svc_id, desc)
            usage_unit, pricing_unit, conv = UNITS[unit_key]
            # location
            if sku_key.startswith("gem_"):
                loc = {"location": "global"}
            elif sku_key == "gcs_multi":
                loc = {"location": acct["mr"].lower(), "country": acct["country"]}
            elif svc_key in ("net", "logging", "monitoring") and kind != "lb":
                loc = {"location": region, "country": acct["country"], "region": region}
            elif ms is not None or kind == "workbench":
                loc = {"location": zone, "country": acct["country"], "region": region, "zone": zone}
            else:
                loc = {"location": region, "country": acct["country"], "region": region}
            # pd rows are the disk, not the instance
            res_gname = gname
            if sku_key in ("pd", "pd_ssd") and gname:
                res_gname = gname.replace("/instances/", "/disks/")
            conv_rate = acct["rate"]
            lst = round(list_usd * conv_rate * (1.0 if acct_i == 0 else 1.08), 9)
            disc = 0.0
            if svc_key == "vertex" and not sku_key.startswith("gem_") and rng.random() < 0.3:
                disc = 0.1
            eff = round(lst * (1.0 - disc), 9)
            price = {"effective_price": _num_str(eff), "tier_start_amount": "0", "unit": pricing_unit,
                     "pricing_unit_quantity": "1", "list_price": _num_str(lst),
                     "effective_price_default": _num_str(eff), "list_price_consumption_model": _num_str(lst)}
            static: dict[str, Any] = {
                "billing_account_id": acct["id"],
                "service": {"id": svc_id, "description": svc_desc},
                "sku": {"id": sku_id, "description": desc},
                "project": proj,
            }
            if labels or not omit_empty:
                static["labels"] = _kv(labels)
            if system_labels or not omit_empty:
                static["system_labels"] = _kv(system_labels) if svc_key == "compute" else []
            static["location"] = loc
            if res_gname is not None:
                static["resource"] = {"name": name, "global_name": res_gname}
            if tags or not omit_empty:
                static["tags"] = tags
            static["price"] = price
            if subscription and svc_key == "compute" and "core" in sku_key:
                static["subscription"] = {"instance_id": subscription}
            static["transaction_type"] = "GOOGLE"
            static["seller_name"] = "Google"
            static["currency"] = acct["currency"]
            static["consumption_model"] = CONSUMPTION_MODEL
            # credits: (type, name, id, full_name, probability, lo, hi)
            credits = []
            if sku_key.startswith("gpu_") and cud and acct_i == 0 and gke is None:
                credits.append(("COMMITTED_USAGE_DISCOUNT", "Committed use discount: GPU",
                                "CommittedUsageDiscountGpu", f"GPU commitment in {region} for 1 year", 0.9, 0.37, 0.37))
            if sku_key in ("a3_core", "a2_core", "g2_core") and cud and acct_i == 0:
                credits.append(("COMMITTED_USAGE_DISCOUNT", "Committed use discount: CPU",
                                "CommittedUsageDiscountCpu", f"CPU commitment in {region} for 1 year", 0.9, 0.37, 0.37))
            if sku_key in ("n1_core", "n1_ram"):
                credits.append(("SUSTAINED_USAGE_DISCOUNT", "Sustained Usage Discount", "SustainedUsageDiscount",
                                "Sustained Usage Discount", 0.7, 0.1, 0.3))
            if svc_key == "vertex" and rng.random() < 0.35:
                credits.append(("PROMOTION", "Gemini and Vertex AI launch credit", "PROMO-" + _hexid("promo", acct["id"], groups=2),
                                "Vertex AI startup program credit", 0.5, 0.05, 0.6))
            if subscription and "core" in sku_key:
                credits.append(("FEE_UTILIZATION_OFFSET", "Spend-based CUD fee utilization offset",
                                "FeeUtilizationOffset", "Compute Flexible CUDs 1 Year fee offset", 0.8, 0.2, 0.28))
            if discount and svc_key in ("bq", "gcs", "dataflow", "logging"):
                credits.append(("DISCOUNT", "Contractual discount", "ContractualDiscount-" + acct["id"][:6],
                                "Enterprise agreement discount", 1.0, 0.05, 0.05))
            lt = _LT()
            lt.acct = acct_i
            lt.static = static
            lt.svc = svc_key
            lt.prefix = _encode_prefix(static)
            lt.kprefix = "|".join([acct["id"], svc_id, sku_id, pid, res_gname or "", loc["location"]]) + "|"
            lt.gkey = self._gkey((acct["id"], svc_id, sku_id, pid, res_gname, loc["location"]))
            lt.weight = duty * sw * (0.35 if svc_key in ("logging", "monitoring") else 1.0)
            lt.profile = profile
            lt.qty = float(qty)
            lt.unit = unit_key
            lt.conv = conv
            lt.usage_unit = usage_unit
            lt.pricing_unit = pricing_unit
            lt.eff = eff
            lt.lst = lst
            lt.credits = credits
            lt.omit_empty = omit_empty
            lt.team = true_team
            lt.phase = phase
            lt.project_id = pid
            lt.steady = unit_key in ("hour", "gibh", "gibm")
            lt.mode = 0 if unit_key in ("hour", "gibh") else (1 if unit_key == "gibm" else 2)
            lt.amt_base = float(qty) * {"hour": 3600.0, "gibh": 3600.0 * _GIB, "gibm": 3600.0 * _GIB,
                                        "gib": float(_GIB), "tib": float(2**40)}.get(unit_key, 1.0)
            lt.acct_id = acct["id"]
            lt.currency = acct["currency"]
            lt.pq_static = None
            self.lts.append(lt)
        self.resources.append({"eligible": category == "B", "team": team, "gke": gke is not None,
                               "sandbox": pid == SANDBOX, "lts": self.lts[first_lt:], "labels": labels,
                               "tags": tags, "omit_empty": omit_empty})


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------
class _Pipe:
    """One background thread that compresses and writes, in submission order (zlib releases the GIL)."""

    def __init__(self, maxsize: int = 6):
        self.q: queue.Queue = queue.Queue(maxsize=maxsize)
        self.err: BaseException | None = None
        self.t = threading.Thread(target=self._run, name="gcp-export-writer", daemon=True)
        self.t.start()

    def _run(self) -> None:
        while True:
            task = self.q.get()
            if task is None:
                return
            if self.err is None:
                try:
                    task()
                except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
                    self.err = e

    def submit(self, fn: Callable[[], None]) -> None:
        if self.err is not None:
            raise self.err
        self.q.put(fn)

    def close(self) -> None:
        self.q.put(None)
        self.t.join()
        if self.err is not None:
            raise self.err


class _ExtractWriter:
    def __init__(self, folder: Path, fmt: str, shard_rows: int, arrow_schema, row_group: int, pipe: _Pipe):
        self.folder = folder
        self.fmt = fmt
        self.shard_rows = shard_rows
        self.schema = arrow_schema
        self.row_group = min(row_group, shard_rows)
        self.flush_at = 2000 if fmt == "json" else self.row_group
        self.pipe = pipe
        self.shard = -1
        self.in_shard = 0
        self.rows = 0
        self.files = 0
        self.buf: list = []
        self._state: dict[str, Any] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def _open(self) -> None:
        self.shard += 1
        self.files += 1
        self.in_shard = 0
        path = self.folder / (f"{self.shard:012d}" + (".json.gz" if self.fmt == "json" else ".parquet"))
        st = self._state

        if self.fmt == "json":
            def op() -> None:
                st["fh"] = open(path, "wb")
                st["z"] = zlib.compressobj(1, zlib.DEFLATED, 31)
        else:
            schema = self.schema

            def op() -> None:
                import pyarrow.parquet as pq

                st["pw"] = pq.ParquetWriter(path, schema, compression="snappy")
        self.pipe.submit(op)

    def _flush(self) -> None:
        if not self.buf:
            return
        buf, self.buf = self.buf, []
        st = self._state
        if self.fmt == "json":
            def op() -> None:
                st["fh"].write(st["z"].compress(b"".join(buf)))
        else:
            import pyarrow as pa

            table = pa.Table.from_pylist(buf, schema=self.schema)

            def op() -> None:
                st["pw"].write_table(table, row_group_size=table.num_rows)
        self.pipe.submit(op)

    def _close_shard(self) -> None:
        self._flush()
        st = self._state
        if self.fmt == "json":
            def op() -> None:
                st["fh"].write(st["z"].flush())
                st["fh"].close()
        else:
            def op() -> None:
                st["pw"].close()
        self.pipe.submit(op)
        self._state = {}

    def add(self, item) -> None:
        if self.in_shard >= self.shard_rows or self.shard < 0:
            if self.shard >= 0:
                self._close_shard()
            self._open()
        self.buf.append(item)
        self.in_shard += 1
        self.rows += 1
        if len(self.buf) >= self.flush_at:
            self._flush()

    def close(self) -> None:
        if self.shard >= 0:
            self._close_shard()


class _GroundTruth:
    COLS = ("line_item_id", "billing_account_id", "invoice_month", "currency", "cost", "credits_total",
            "true_team", "true_phase")

    def __init__(self, folder: Path, batch: int = 100_000):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.batch = batch
        self.part = 0
        self.rows: list[tuple] = []

    def add(self, t: tuple) -> None:
        self.rows.append(t)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows and self.part > 0:
            return
        rows = self.rows
        schema = pa.schema([(c, pa.float64() if c in ("cost", "credits_total") else pa.string()) for c in self.COLS])
        table = pa.Table.from_arrays([pa.array([r[i] for r in rows], type=schema.field(i).type)
                                      for i in range(len(self.COLS))], schema=schema)
        pq.write_table(table, self.folder / f"part-{self.part:05d}.parquet", compression="snappy")
        self.part += 1
        self.rows = []


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------
def _to_pq_static(static: dict[str, Any]) -> dict[str, Any]:
    d = dict(static)
    if "price" in d:
        p = dict(d["price"])
        for k in ("effective_price", "tier_start_amount", "pricing_unit_quantity", "list_price",
                  "effective_price_default", "list_price_consumption_model"):
            if k in p:
                p[k] = Decimal(p[k])
        d["price"] = p
    return d


def generate_gcp_export(
    out_dir: Path,
    rows: int,
    seed: int = 42,
    start: date = date(2026, 7, 1),
    months: int = 3,
    fmt: Literal["json", "parquet"] = "json",
    shard_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Write a realistic detailed-usage-cost export of about `rows` rows (see module doc)."""
    if fmt not in ("json", "parquet"):
        raise ValueError("fmt must be 'json' or 'parquet'")
    if rows < 1 or months < 1 or shard_rows < 1:
        raise ValueError("rows, months and shard_rows must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end = _add_months(date(start.year, start.month, 1), months) if start.day == 1 else _add_months(start, months).replace(day=start.day)
    win_lo = _pacific_midnight_us(start)
    win_hi = _pacific_midnight_us(end)
    n_days_pac = (end - start).days
    base_lt = 330.0
    scale = max(1, int(round(rows / n_days_pac / (24 * base_lt * 0.5))))
    company = _Company(seed, scale)
    lts = company.lts
    rng = random.Random(seed)
    aschema = gcp_schema.arrow_schema() if fmt == "parquet" else None
    parquet = fmt == "parquet"
    if parquet:
        for lt in lts:
            lt.pq_static = _to_pq_static(lt.static)

    # UTC days to generate
    d0 = _dt(win_lo).date()
    d_last = _dt(win_hi - 1).date()
    utc_days = [d0 + timedelta(days=i) for i in range((d_last - d0).days + 1)]
    day_w = []
    for i, d in enumerate(utc_days):
        lo = max(win_lo, _us(datetime.combine(d, datetime.min.time(), timezone.utc)))
        hi = min(win_hi, _us(datetime.combine(d, datetime.min.time(), timezone.utc)) + _DAY_US)
        frac = (hi - lo) / _DAY_US
        wk = 0.78 if d.weekday() >= 5 else 1.0
        growth = 1.0 + 0.25 * i / max(1, len(utc_days) - 1)
        day_w.append(frac * wk * growth * (1.0 + 0.06 * math.sin(i * 1.7)))
    tot_w = sum(day_w)
    # export batches: ~24 a day, until 8 days after the window
    batch_us: list[int] = []
    brng = random.Random(seed * 31 + 5)
    bd = d0
    while bd <= d_last + timedelta(days=8):
        base = _us(datetime.combine(bd, datetime.min.time(), timezone.utc))
        for h in range(24):
            r = brng.random()
            micros = brng.randrange(1_000_000) if r < 0.85 else (brng.randrange(1000) * 1000 if r < 0.97 else 0)
            batch_us.append(base + h * _HOUR_US + brng.randrange(60) * 60_000_000 + brng.randrange(60) * 1_000_000 + micros)
        bd += timedelta(days=1)
    batch_us.sort()
    nb = len(batch_us)
    b_str = [None] * nb
    b_key = [None] * nb
    b_day = [(u // _DAY_US) for u in batch_us]

    def bstr(i: int) -> str:
        s = b_str[i]
        if s is None:
            s = b_str[i] = _bq_ts(batch_us[i])
            b_key[i] = _key_ts_us(batch_us[i])
        return s

    # hours
    h_lo = win_lo // _HOUR_US
    h_hi = win_hi // _HOUR_US
    h_str = {h: _bq_ts(h * _HOUR_US) for h in range(h_lo, h_hi + 1 + 48)}
    h_key = {h: _key_ts_us(h * _HOUR_US) for h in h_str}
    h_dt = {h: _dt(h * _HOUR_US) for h in h_str} if parquet else {}
    h_month: dict[int, str] = {}
    for h in h_str:
        p = _pacific(h * _HOUR_US)
        h_month[h] = f"{p.year:04d}{p.month:02d}"
    invoices: dict[str, dict[str, str]] = {}

    def invoice(m: str) -> dict[str, str]:
        v = invoices.get(m)
        if v is None:
            v = invoices[m] = {"month": m, "publisher_type": "GOOGLE"}
        return v

    def late_month(usage_month: str, export_us: int) -> str:
        p = _pacific(export_us)
        em = f"{p.year:04d}{p.month:02d}"
        if em > usage_month and p.day >= 4:
            return em
        return usage_month

    first_month = f"{start.year:04d}{start.month:02d}"
    month_list = sorted({m for h, m in h_month.items() if h_lo <= h < h_hi})

    def rate_for(acct_i: int, month: str) -> float:
        if acct_i == 0:
            return 1.0
        k = (int(month[:4]) * 12 + int(month[4:])) % len(_EUR_MONTHLY)
        return _EUR_MONTHLY[k]

    # profiles
    prof_cw = {}
    for k, w in _PROFILES.items():
        acc, c = [], 0.0
        for x in w:
            c += x
            acc.append(c)
        prof_cw[k] = acc
    by_profile: dict[str, list[int]] = {}
    for i, lt in enumerate(lts):
        by_profile.setdefault(lt.profile, []).append(i)
    lt_cw = []
    c = 0.0
    for lt in lts:
        c += lt.weight
        lt_cw.append(c)
    lt_tot = c
    lt_idx = list(range(len(lts)))

    # partial extracts: one export day per account, mid-range
    mid = start + timedelta(days=n_days_pac // 2)
    partial_day = {a: (mid + timedelta(days=a)) for a in range(len(ACCOUNTS))}
    partial_cut = {a: _us(datetime.combine(partial_day[a], datetime.min.time(), timezone.utc))
                   + (13 * 3600 + 47 * 60 + 9 + 600 * a) * 1_000_000 for a in range(len(ACCOUNTS))}
    partial_day_ord = {a: _us(datetime.combine(partial_day[a], datetime.min.time(), timezone.utc)) // _DAY_US
                       for a in range(len(ACCOUNTS))}

    writers: dict[tuple[int, int], _ExtractWriter] = {}
    partial_writers: dict[int, _ExtractWriter] = {}
    extracts: list[str] = []
    export_days_seen: set[int] = set()
    gt = _GroundTruth(out_dir / "ground_truth")
    pipe = _Pipe()
    counters = {"rows": 0, "partial": 0, "files": 0}
    table_dirs = [out_dir / (TABLE_PREFIX + a["id"].replace("-", "_")) for a in ACCOUNTS]

    def day_str(day_ord: int) -> date:
        return date(1970, 1, 1) + timedelta(days=day_ord)

    def writer_for(acct_i: int, day_ord: int) -> _ExtractWriter:
        w = writers.get((acct_i, day_ord))
        if w is None:
            d = day_str(day_ord)
            ext = d + timedelta(days=1)
            rel = f"{table_dirs[acct_i].name}/export_date={d.isoformat()}/extract={ext.strftime('%Y%m%d')}T{ACCOUNTS[acct_i]['extract_hms']}Z"
            w = writers[(acct_i, day_ord)] = _ExtractWriter(out_dir / rel, fmt, shard_rows, aschema, 50_000, pipe)
            extracts.append(rel)
            export_days_seen.add(day_ord)
        return w

    def partial_writer(acct_i: int) -> _ExtractWriter:
        w = partial_writers.get(acct_i)
        if w is None:
            d = partial_day[acct_i]
            cut = _dt(partial_cut[acct_i])
            rel = f"{table_dirs[acct_i].name}/export_date={d.isoformat()}/extract={cut.strftime('%Y%m%dT%H%M%SZ')}"
            w = partial_writers[acct_i] = _ExtractWriter(out_dir / rel, fmt, shard_rows, aschema, 50_000, pipe)
            extracts.append(rel)
        return w

    def emit(acct_i: int, bi: int, line: bytes, pqrow: dict | None, gtrow: tuple) -> None:
        eus = batch_us[bi]
        day_ord = b_day[bi]
        item = pqrow if parquet else line
        writer_for(acct_i, day_ord).add(item)
        if day_ord == partial_day_ord[acct_i] and eus < partial_cut[acct_i]:
            partial_writer(acct_i).add(item)
            counters["partial"] += 1
        gt.add(gtrow)
        counters["rows"] += 1

    def close_through(day_ord: int) -> None:
        for k in sorted(k for k in writers if k[1] <= day_ord):
            w = writers.pop(k)
            w.close()
            counters["files"] += w.files
        for a in list(partial_writers):
            if partial_day_ord[a] <= day_ord:
                w = partial_writers.pop(a)
                w.close()
                counters["files"] += w.files

    def full_row(static: dict, pq_static: dict | None, dyn: dict, dyn_pq: dict | None):
        row = dict(static)
        row.update(dyn)
        line = _bigquery_json(row) + b"\n"
        pqrow = None
        if parquet:
            pqrow = dict(pq_static)
            pqrow.update(dyn_pq)
        return row, line, pqrow

    md5 = hashlib.md5
    rnd = rng.random
    bl = bisect.bisect_left
    produced = 0
    cum_w = 0.0
    rows_f = float(rows)
    late_p = 0.02
    dumps = orjson.dumps
    nl = orjson.OPT_APPEND_NEWLINE
    h_key2 = {h: f"{h_key[h]}|{h_key[h + 1]}|" for h in h_key if h + 1 in h_key}

    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived dicts: the cyclic GC only costs time here
    try:
        for di, d in enumerate(utc_days):
            cum_w += day_w[di]
            target = int(round(rows_f * cum_w / tot_w)) - produced
            day_start_h = _us(datetime.combine(d, datetime.min.time(), timezone.utc)) // _HOUR_US
            lo_h = max(h_lo, day_start_h)
            hi_h = min(h_hi, day_start_h + 24)
            # overhead rows expected today (tax etc.) are counted as produced; keep a reserve
            n_usage = max(0, target)
            slots: dict[tuple[int, int], Any] = {}
            proj_cost: dict[str, float] = {}
            picks = rng.choices(lt_idx, cum_weights=lt_cw, k=n_usage) if n_usage > 0 else []
            day_lts: list[int] = []
            gt_rows = gt.rows
            emitted = 0
            for li in picks:
                lt = lts[li]
                cw = prof_cw[lt.profile]
                h = day_start_h + bl(cw, rnd() * cw[23])
                if h < lo_h or h >= hi_h:
                    h = lo_h + int(rnd() * (hi_h - lo_h))
                late = rnd() < late_p
                if late:
                    bi = bl(batch_us, (h + 1) * _HOUR_US + int((2.0 + 3.0 * rnd()) * _DAY_US))
                else:
                    bi = bl(batch_us, (h + 1) * _HOUR_US + int((1.0 + 5.0 * rnd()) * _HOUR_US))
                sk = lt.gkey * 32 + h - day_start_h
                u = slots.get(sk)
                if u is None:
                    slots[sk] = bi
                else:
                    if type(u) is int:
                        u = slots[sk] = {u}
                    while bi in u:
                        bi += 1
                    u.add(bi)
                if bi >= nb:
                    continue
                mode = lt.mode
                if mode == 0:
                    amount = float(int(lt.amt_base * (1.0 if rnd() < 0.85 else 0.1 + 0.9 * rnd()) + 0.5))
                elif mode == 1:
                    amount = float(int(lt.amt_base * (0.98 + 0.04 * rnd()) + 0.5))
                else:
                    amount = float(int(lt.amt_base * (0.3 + 1.4 * rnd()) + 0.5))
                if amount <= 0.0:
                    amount = 1.0
                apu = amount / lt.conv
                cost = int(apu * lt.eff * 1e6 + 0.5) / 1e6  # >= 0: never -0.0
                cal = int(apu * lt.lst * 1e6 + 0.5) / 1e6
                month = h_month[h]
                if late:
                    month = late_month(month, batch_us[bi])
                es = b_str[bi]
                if es is None:
                    es = bstr(bi)
                acct_i = lt.acct
                dyn = {
                    "usage_start_time": h_str[h], "usage_end_time": h_str[h + 1], "export_time": es,
                    "cost": cost, "currency_conversion_rate": 1.0 if acct_i == 0 else rate_for(acct_i, month),
                    "usage": {"amount": amount, "unit": lt.usage_unit, "amount_in_pricing_units": apu,
                              "pricing_unit": lt.pricing_unit},
                    "invoice": invoices.get(month) or invoice(month), "cost_type": "regular", "cost_at_list": cal,
                    "cost_at_effective_price_default": cost, "cost_at_list_consumption_model": cal,
                }
                credsum = 0.0
                if lt.credits and cost > 0.0:
                    credits = []
                    ctot = 0.0
                    for ctype, cname, cid, cfull, cp, clo, chi in lt.credits:
                        if rnd() < cp:
                            fr = clo if clo == chi else clo + (chi - clo) * rnd()
                            if ctot + fr >= 0.95:
                                continue
                            amt = -(int(cost * fr * 1e6) / 1e6)
                            if amt != 0.0:
                                credits.append({"name": cname, "amount": amt, "full_name": cfull, "id": cid, "type": ctype})
                                ctot += fr
                                credsum += amt
                    if credits:
                        dyn["credits"] = credits
                        credsum = round(credsum, 6) + 0.0
                    elif not lt.omit_empty:
                        dyn["credits"] = credits
                elif not lt.omit_empty:
                    dyn["credits"] = []
                day_ord = b_day[bi]
                w = writers.get((acct_i, day_ord)) or writer_for(acct_i, day_ord)
                if parquet:
                    item = dict(lt.pq_static)
                    item.update(dyn)
                    item["usage_start_time"] = h_dt[h]
                    item["usage_end_time"] = h_dt[h + 1]
                    item["export_time"] = _dt(batch_us[bi])
                else:
                    item = lt.prefix + dumps(dyn, option=nl)[1:]
                w.add(item)
                if day_ord == partial_day_ord[acct_i] and batch_us[bi] < partial_cut[acct_i]:
                    partial_writer(acct_i).add(item)
                    counters["partial"] += 1
                gt_rows.append((md5(f"{lt.kprefix}{h_key2[h]}{b_key[bi]}|regular||{cost:.9f}|{amount:.9f}".encode()).hexdigest(),
                                lt.acct_id, month, lt.currency, cost, credsum, lt.team, lt.phase))
                if len(gt_rows) >= gt.batch:
                    gt.flush()
                    gt_rows = gt.rows
                emitted += 1
                pj = lt.project_id
                proj_cost[pj] = proj_cost.get(pj, 0.0) + cost
                if len(day_lts) < 2000:
                    day_lts.append(li)
            counters["rows"] += emitted
            produced = counters["rows"]

            # ---- daily overhead: tax per project, support + tax on support, adjustments, rounding
            pac_day = d
            if start <= pac_day < end:
                p_lo_h = _pacific_midnight_us(pac_day) // _HOUR_US
                p_hi_h = _pacific_midnight_us(pac_day + timedelta(days=1)) // _HOUR_US
                _daily_overhead(company, rng, pac_day, p_lo_h, p_hi_h, proj_cost, batch_us, bstr, b_key, h_str, h_key,
                                h_dt, h_month, invoice, rate_for, emit, full_row, parquet, day_lts, lts, late_month,
                                is_month_end=(pac_day + timedelta(days=1)).day == 1 or pac_day + timedelta(days=1) == end)
            produced = counters["rows"]
            close_through(day_start_h // 24)
            if progress is not None:
                progress(produced)
        close_through(10**9)
        gt.flush()
    finally:
        if gc_was_enabled:
            gc.enable()
        pipe.close()

    extracts_sorted = tuple(sorted(extracts))
    exp_days = sorted(export_days_seen)
    summary = GenerateSummary(
        rows=counters["rows"], partial_rows=counters["partial"], rows_written=counters["rows"] + counters["partial"],
        files=counters["files"], extracts=extracts_sorted, billing_accounts=tuple(a["id"] for a in ACCOUNTS),
        usage_start=start.isoformat(), usage_end=(end - timedelta(days=1)).isoformat(),
        first_export_date=day_str(exp_days[0]).isoformat() if exp_days else "",
        last_export_date=day_str(exp_days[-1]).isoformat() if exp_days else "",
        invoice_months=tuple(sorted(set(month_list) | set(invoices))),
        ground_truth=str(out_dir / "ground_truth"), format=fmt, seed=seed,
    )
    (out_dir / "manifest.json").write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    return summary


ADJ_TYPES = [
    ("USAGE_CORRECTION", "PARTIAL_CORRECTION", "Correction of over-reported usage"),
    ("PRICE_CORRECTION", "COMPLETE_NEGATION_WITH_REMONETIZATION", "Price correction"),
    ("GOODWILL", "MANUAL_ADJUSTMENT", "Goodwill credit for service disruption"),
    ("SLA_VIOLATION", "MANUAL_ADJUSTMENT", "SLA credit"),
    ("METADATA_CORRECTION", "COMPLETE_NEGATION_WITH_REMONETIZATION", "Label metadata correction"),
]


def _daily_overhead(company, rng, pac_day, p_lo_h, p_hi_h, proj_cost, batch_us, bstr, b_key, h_str, h_key, h_dt,
                    h_month, invoice, rate_for, emit, full_row, parquet, day_lts, lts, late_month, is_month_end):
    month = h_month[p_lo_h]
    start_s, end_s = h_str[p_lo_h], h_str[p_hi_h]
    start_k, end_k = h_key[p_lo_h], h_key[p_hi_h]
    end_us = p_hi_h * _HOUR_US
    inv_svc = {"id": SERVICES["invoice"][0], "description": "Invoice"}
    tax_sku = {"id": _hexid("invoice", "Tax"), "description": "Tax"}

    def bi_after(t):
        return bisect.bisect_left(batch_us, t)

    def dts(dyn_pq, bi, lo, hi):
        if parquet:
            dyn_pq["usage_start_time"] = h_dt[lo]
            dyn_pq["usage_end_time"] = h_dt[hi]
            dyn_pq["export_time"] = _dt(batch_us[bi])

    acct_cost = [0.0 for _ in ACCOUNTS]
    # tax per project
    for pid in sorted(proj_cost):
        acct_i = company.project_acct[pid]
        base = proj_cost[pid]
        acct_cost[acct_i] += base
        rate = ACCOUNTS[acct_i]["tax"]
        if rate <= 0 or base <= 0:
            continue
        cost = round(base * rate, 6) + 0.0
        bi = bi_after(end_us + int((2 + 3 * rng.random()) * _HOUR_US))
        acct = ACCOUNTS[acct_i]
        static = {"billing_account_id": acct["id"], "service": inv_svc, "sku": tax_sku,
                  "project": company.projects[pid], "labels": [], "system_labels": [], "tags": [],
                  "currency": acct["currency"]}
        dyn = {"usage_start_time": start_s, "usage_end_time": end_s, "export_time": bstr(bi), "cost": cost,
               "currency_conversion_rate": rate_for(acct_i, month), "credits": [], "invoice": invoice(month),
               "cost_type": "tax", "cost_at_list": cost, "usage": {"amount": 0.0, "unit": "", "amount_in_pricing_units": 0.0, "pricing_unit": ""}}
        dyn_pq = dict(dyn)
        dts(dyn_pq, bi, p_lo_h, p_hi_h)
        row, line, pqrow = full_row(static, static, dyn, dyn_pq)
        team = company.project_team[pid]
        emit(acct_i, bi, line, pqrow, (line_item_id(row), acct["id"], month, acct["currency"], cost, 0.0, team, "non_ai"))
    # support (account level) + tax on support
    for acct_i, acct in enumerate(ACCOUNTS):
        if acct_cost[acct_i] <= 0 and acct_i > 0:
            continue
        fee = round(max(15.0 if acct_i else 150.0, acct_cost[acct_i] * 0.03), 6)
        svc = {"id": SERVICES["support"][0], "description": "Support"}
        sku_desc = "Enhanced Support" if acct_i else "Premium Support Fee"
        sku = {"id": _hexid("support", sku_desc), "description": sku_desc}
        for ctype, cost in (("regular", fee), ("tax", round(fee * acct["tax"], 6))):
            if ctype == "tax" and cost <= 0:
                continue
            bi = bi_after(end_us + int((3 + 4 * rng.random()) * _HOUR_US))
            static = {"billing_account_id": acct["id"], "service": svc if ctype == "regular" else inv_svc,
                      "sku": sku if ctype == "regular" else tax_sku, "labels": [], "system_labels": [],
                      "credits": [], "currency": acct["currency"], "consumption_model": CONSUMPTION_MODEL}
            if ctype == "regular":
                static["transaction_type"] = "GOOGLE"
                static["seller_name"] = "Google"
            dyn = {"usage_start_time": start_s, "usage_end_time": end_s, "export_time": bstr(bi), "cost": cost,
                   "currency_conversion_rate": rate_for(acct_i, month), "invoice": invoice(month),
                   "cost_type": ctype, "cost_at_list": cost}
            dyn_pq = dict(dyn)
            dts(dyn_pq, bi, p_lo_h, p_hi_h)
            row, line, pqrow = full_row(static, static, dyn, dyn_pq)
            emit(acct_i, bi, line, pqrow, (line_item_id(row), acct["id"], month, acct["currency"], cost, 0.0, "shared", "non_ai"))
    # adjustments: a few per week on rows of the day
    if day_lts and rng.random() < 0.35:
        lt = lts[rng.choice(day_lts)]
        atype, amode, adesc = rng.choice(ADJ_TYPES)
        h = p_lo_h + rng.randrange(max(1, p_hi_h - p_lo_h - 1))
        bi = bi_after(end_us + int((1 + 2 * rng.random()) * _DAY_US))
        if bi < len(batch_us):
            umonth = h_month[h]
            m = late_month(umonth, batch_us[bi])
            base_cost = lt.eff * lt.qty
            if atype == "USAGE_CORRECTION":
                amt = -round(lt.qty * (3600.0 if lt.unit == "hour" else 1.0) * 0.2, 0)
                cost = round(amt / lt.conv * lt.eff, 6) + 0.0 if lt.unit == "hour" else round(-0.2 * base_cost, 6) + 0.0
            else:
                amt = 0.0
                cost = round(-(0.05 + 0.5 * rng.random()) * max(base_cost, 1.0), 6) + 0.0
                if atype == "METADATA_CORRECTION" and rng.random() < 0.5:
                    cost = -cost + 0.0
            adj_id = _hexid("adj", str(h), str(bi), lt.kprefix, groups=4).lower()
            static = dict(lt.static)
            static.pop("transaction_type", None)
            pq_static = dict(lt.pq_static) if parquet else None
            if pq_static is not None:
                pq_static.pop("transaction_type", None)
            acct_i = lt.acct
            dyn = {"usage_start_time": h_str[h], "usage_end_time": h_str[h + 1], "export_time": bstr(bi),
                   "cost": cost, "currency_conversion_rate": rate_for(acct_i, m),
                   "usage": {"amount": amt, "unit": lt.usage_unit, "amount_in_pricing_units": amt / lt.conv,
                             "pricing_unit": lt.pricing_unit},
                   "credits": [], "invoice": invoice(m), "cost_type": "adjustment",
                   "adjustment_info": {"id": adj_id, "description": adesc, "mode": amode, "type": atype},
                   "cost_at_list": cost}
            dyn_pq = dict(dyn)
            dts(dyn_pq, bi, h, h + 1)
            row, line, pqrow = full_row(static, pq_static, dyn, dyn_pq)
            emit(acct_i, bi, line, pqrow, (line_item_id(row), row["billing_account_id"], m, lt.currency, cost, 0.0,
                                           lt.team, lt.phase))
    # rounding error at month end, account level
    if is_month_end:
        for acct_i, acct in enumerate(ACCOUNTS):
            cost = round((rng.random() - 0.5) * 0.02, 6) + 0.0
            if cost == 0.0:
                cost = 0.000001
            bi = bi_after(end_us + int(5 * _HOUR_US))
            static = {"billing_account_id": acct["id"], "service": inv_svc,
                      "sku": {"id": _hexid("invoice", "Rounding error"), "description": "Rounding error"},
                      "labels": [], "currency": acct["currency"]}
            dyn = {"usage_start_time": start_s, "usage_end_time": end_s, "export_time": bstr(bi), "cost": cost,
                   "currency_conversion_rate": rate_for(acct_i, month), "invoice": invoice(month),
                   "cost_type": "rounding_error", "cost_at_list": cost}
            dyn_pq = dict(dyn)
            dts(dyn_pq, bi, p_lo_h, p_hi_h)
            row, line, pqrow = full_row(static, static, dyn, dyn_pq)
            emit(acct_i, bi, line, pqrow, (line_item_id(row), acct["id"], month, acct["currency"], cost, 0.0, "shared", "non_ai"))
