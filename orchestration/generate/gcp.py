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
import itertools
import json
import math
import queue
import random
import re
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
    """A timestamp in the key: microseconds since the epoch (cheap in SQL, exact in both)."""
    if v is None:
        return ""
    if not isinstance(v, datetime):
        text = str(v).strip()
        for suffix in (" UTC", "Z", "+00:00"):
            text = text.removesuffix(suffix)
        v = datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=timezone.utc)
    return str(_us(v))


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
    return str(us)


def _nth_sunday(year: int, month: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(6 - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _pacific_offset_h(us: int) -> int:
    """UTC offset of America/Los_Angeles (US rule since 2007), without tzdata."""
    t = _dt(us)
    y = t.year
    # DST: 02:00 PST on the 2nd Sunday of March (10:00 UTC) to 02:00 PDT on the 1st Sunday of November (09:00 UTC)
    start = datetime.combine(_nth_sunday(y, 3, 2), datetime.min.time(), timezone.utc) + timedelta(hours=10)
    end = datetime.combine(_nth_sunday(y, 11, 1), datetime.min.time(), timezone.utc) + timedelta(hours=9)
    return -7 if start <= t < end else -8


def _pacific(us: int) -> datetime:
    return _dt(us + _pacific_offset_h(us) * _HOUR_US)


def _midnight_us(d: date) -> int:
    """UTC midnight of `d`, in microseconds since the epoch."""
    return _us(datetime.combine(d, datetime.min.time(), timezone.utc))


def _pacific_midnight_us(d: date) -> int:
    utc_midnight = _midnight_us(d)
    # the offset in force at 08:00 UTC is the one at Pacific midnight (DST switches at 02:00 local)
    return utc_midnight - _pacific_offset_h(utc_midnight + 8 * _HOUR_US) * _HOUR_US


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

# key: (service, description ({geo} = Americas/EMEA), unit, list price USD per pricing unit)
SKUS: dict[str, tuple[str, str, str, float]] = {
    "gpu_h100": ("compute", "Nvidia H100 80GB GPU running in {geo}", "hour", 9.796),
    "gpu_a100": ("compute", "Nvidia Tesla A100 GPU running in {geo}", "hour", 2.933908),
    "gpu_l4": ("compute", "Nvidia L4 GPU running in {geo}", "hour", 0.56),
    "a3_core": ("compute", "A3 Instance Core running in {geo}", "hour", 0.039586),
    "a3_ram": ("compute", "A3 Instance Ram running in {geo}", "gibh", 0.003387),
    "a2_core": ("compute", "A2 Instance Core running in {geo}", "hour", 0.031611),
    "a2_ram": ("compute", "A2 Instance Ram running in {geo}", "gibh", 0.004237),
    "g2_core": ("compute", "G2 Instance Core running in {geo}", "hour", 0.024988),
    "g2_ram": ("compute", "G2 Instance Ram running in {geo}", "gibh", 0.002928),
    "n1_core": ("compute", "N1 Predefined Instance Core running in {geo}", "hour", 0.031611),
    "n1_ram": ("compute", "N1 Predefined Instance Ram running in {geo}", "gibh", 0.004237),
    "e2_core": ("compute", "E2 Instance Core running in {geo}", "hour", 0.021811),
    "e2_ram": ("compute", "E2 Instance Ram running in {geo}", "gibh", 0.002923),
    "pd": ("compute", "Storage PD Capacity", "gibm", 0.04),
    "pd_ssd": ("compute", "SSD backed PD Capacity", "gibm", 0.17),
    "vx_train_h100": ("vertex", "Vertex AI: Custom Training on Nvidia H100 80GB GPU running in {geo}", "hour", 11.2654),
    "vx_train_a100": ("vertex", "Vertex AI: Custom Training on Nvidia Tesla A100 GPU running in {geo}", "hour", 3.3741),
    "vx_train_core": ("vertex", "Vertex AI: Custom Training a2-highgpu Instance Core running in {geo}", "hour", 0.036353),
    "vx_pred_l4": ("vertex", "Vertex AI: Online Prediction on Nvidia L4 GPU running in {geo}", "hour", 0.644),
    "vx_pred_a100": ("vertex", "Vertex AI: Online Prediction on Nvidia Tesla A100 GPU running in {geo}", "hour", 3.3741),
    "vx_pred_core": ("vertex", "Vertex AI: Online Prediction n1-standard Instance Core running in {geo}", "hour", 0.036353),
    "vx_batch_t4": ("vertex", "Vertex AI: Batch Prediction on Nvidia Tesla T4 GPU running in {geo}", "hour", 0.4025),
    "vx_wb_core": ("vertex", "Vertex AI Workbench: Instance Core running in {geo}", "hour", 0.0379),
    "vx_wb_gpu": ("vertex", "Vertex AI Workbench: Nvidia Tesla T4 GPU running in {geo}", "hour", 0.35),
    "vx_tune": ("vertex", "Vertex AI: Gemini 2.5 Flash Supervised Tuning", "tok", 0.000005),
    "gem_pro_in": ("vertex", "Gemini 2.5 Pro Input Text Tokens", "tok", 0.00000125),
    "gem_pro_out": ("vertex", "Gemini 2.5 Pro Output Text Tokens", "tok", 0.00001),
    "gem_flash_in": ("vertex", "Gemini 2.5 Flash Input Text Tokens", "tok", 0.0000003),
    "gem_flash_out": ("vertex", "Gemini 2.5 Flash Output Text Tokens", "tok", 0.0000025),
    "gke_mgmt": ("gke", "Regional Kubernetes Clusters", "hour", 0.1),
    "gke_ap_cpu": ("gke", "Autopilot Pod mCPU Requests ({region})", "hour", 0.0445),
    "gke_ap_mem": ("gke", "Autopilot Pod Memory Requests ({region})", "gibh", 0.0049225),
    "gcs_std": ("gcs", "Standard Storage {mr} Regional", "gibm", 0.020),
    "gcs_multi": ("gcs", "Standard Storage {mr} Multi-region", "gibm", 0.026),
    "gcs_nearline": ("gcs", "Nearline Storage {mr} Regional", "gibm", 0.010),
    "gcs_ops": ("gcs", "Standard Storage Class A Operations", "ops", 0.05),
    "bq_analysis": ("bq", "Analysis", "tib", 6.25),
    "bq_storage": ("bq", "Active Logical Storage", "gibm", 0.02),
    "df_vcpu": ("dataflow", "vCPU Time Batch {city}", "hour", 0.056),
    "df_ram": ("dataflow", "RAM Time Batch {city}", "gibh", 0.003557),
    "net_egress": ("net", "Network Internet Data Transfer Out from {geo} to {geo}", "gib", 0.12),
    "net_interzone": ("net", "Network Inter Zone Data Transfer Out", "gib", 0.01),
    "net_lb": ("net", "Cloud Load Balancer Forwarding Rule Minimum Service Charge in {geo}", "hour", 0.025),
    "log_storage": ("logging", "Log Storage cost", "gib", 0.5),
    "mon_metrics": ("monitoring", "Metric Volume", "gib", 0.2582),
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
    """A stable GCP-style id ('ABCD-EF01-2345') derived from `parts`."""
    h = hashlib.md5("/".join(parts).encode()).hexdigest().upper()
    return "-".join(h[i * 4:(i + 1) * 4] for i in range(groups))


def _num_str(x: float) -> str:
    s = f"{x:.9f}".rstrip("0").rstrip(".")
    return s or "0"


_SCHEMA_COLUMNS = [f["name"] for f in gcp_schema.fields()]


def _bigquery_json(value: Any) -> bytes:
    """JSON as BigQuery's extract writes it: `<`, `>` and `&` escaped (they occur only in strings)."""
    return orjson.dumps(value).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def _encode_prefix(static: dict[str, Any]) -> bytes:
    """The JSON object `static` without its closing brace, ready to be followed by the per-row fields."""
    return _bigquery_json(static)[:-1] + b","


def _kv(pairs):
    return [{"key": k, "value": v} for k, v in pairs]


# Label and tag keys that name a team in the demo configuration (seeds/tag_key_aliases.csv and
# the GKE cost-allocation keys), after the same normalisation: lowercase, ` ` and `-` as `_`.
_TEAM_KEYS = {"team", "owner_team", "team_name", "owner", "cost_center", "squad", "k8s_namespace"}


def _is_team_key(key: str) -> bool:
    normalised = re.sub(r"[\s\-]+", "_", key.strip().lower())
    return normalised in _TEAM_KEYS or (
        normalised.startswith("k8s_label/") and normalised.removeprefix("k8s_label/") in _TEAM_KEYS)


def _project_env(project: dict[str, Any]) -> str:
    # the value of the project's first label: its `env` label for team projects (for the shared VPC
    # host project that first label is `cost-pool`)
    return project["labels"][0]["value"] if project["labels"] else "prod"


def _subscription_id(pid: str, rid: str) -> str:
    """A stable UUID-like id of a spend-based commitment subscription."""
    return ("subscriptions/" + _hexid("sub", pid, rid, groups=4).lower().replace("-", "")[:8]
            + "-" + _hexid("sub2", rid, groups=1).lower() + "-" + _hexid("sub3", rid, groups=1).lower()
            + "-" + _hexid("sub4", rid, groups=1).lower() + "-" + _hexid("sub5", rid, groups=3).lower().replace("-", ""))


# How the usage amount of an hourly row is drawn (see _write_usage_rows)
_USAGE_RUNNING = 0  # a resource running: usually the full hour, sometimes part of it
_USAGE_STORED = 1  # stored data: steady within +-2 %
_USAGE_METERED = 2  # counted traffic, tokens, requests: bursty (30-170 % of the typical hour)
_USAGE_MODE = {"hour": _USAGE_RUNNING, "gibh": _USAGE_RUNNING, "gibm": _USAGE_STORED}
# usage units that `quantity` of a unit produces in one hour; storage priced per GiB-month is
# still reported in byte-seconds, so one hour of it is `quantity` GiB for 3600 s
_GKE_NODE_POOL = {"gke_node_l4": "gpu-l4-pool", "gke_node_a100": "gpu-a100-pool"}
_USAGE_PER_QUANTITY_HOUR = {"hour": 3600.0, "gibh": 3600.0 * _GIB, "gibm": 3600.0 * _GIB, "gib": float(_GIB),
                            "tib": float(2**40)}

# Team-label styles of ordinary team resources, assigned cost-weighted in _assign_team_labels()
_TEAM_LABEL = "label"  # a team label (key and value possibly spelled as a known variant)
_TEAM_TAG_ONLY = "tag"  # no team label, but a `team` resource-manager tag
_PROJECT_LABEL_ONLY = "project"  # nothing on the resource: only the project's label says the team
_TEAM_TYPO = "typo"  # a team label whose value is a typo not covered by the aliases seed


class _LineTemplate:
    """One (resource, SKU) line: everything that is the same on each of its hourly rows, pre-encoded."""

    __slots__ = (
        "account_index", "account_id", "currency",
        "static",  # the row's constant fields, in schema order
        "json_prefix",  # `static` encoded as the start of a JSON object
        "parquet_static",  # `static` with the price numbers as Decimal (parquet only)
        "key_prefix",  # the constant start of the line_item_key_string
        "group_id",  # small int per distinct (account, service, sku, project, resource, location)
        "weight",  # relative chance to be picked for a row
        "profile",  # hour-of-day profile name (_PROFILES)
        "quantity", "unit", "units_per_pricing_unit", "usage_unit", "pricing_unit",
        "usage_mode",  # _USAGE_RUNNING / _USAGE_STORED / _USAGE_METERED
        "hourly_amount",  # typical usage amount of one hour, in usage units
        "effective_price", "list_price",
        "credits",  # credit rules: (type, name, id, full_name, probability, low fraction, high fraction)
        "omit_empty",  # leave empty labels/system_labels/tags/credits out of the row
        "team", "phase", "project_id",  # ground truth
    )


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
    untagged_share: float = 0.0  # share of usage cost whose team labels were stripped (--untagged-share)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["extracts"] = list(self.extracts)
        d["billing_accounts"] = list(self.billing_accounts)
        d["invoice_months"] = list(self.invoice_months)
        return d


@dataclass
class _Resource:
    team: str
    team_label_eligible: bool  # an ordinary team resource: its team label is decided in _assign_team_labels
    is_gke: bool  # a GKE namespace's share of a shared node
    is_sandbox: bool
    templates: list[_LineTemplate]
    labels: list[tuple[str, str]]  # shared with (and encoded into) the templates' static fields
    tags: list[dict[str, Any]]
    omit_empty: bool


class _Company:
    """The simulated organisation: projects, resources and one line template per (resource, SKU).

    It draws from its own RNG, so the row sampling does not change the company (only `scale` does).
    """

    def __init__(self, seed: int, scale: int):
        rng = random.Random(seed * 7919 + 17)
        self.projects: dict[str, dict[str, Any]] = {}
        self.project_team: dict[str, str] = {}
        self.project_account: dict[str, int] = {}
        self.templates: list[_LineTemplate] = []
        self.resources: list[_Resource] = []
        self._group_ids: dict[tuple, int] = {}
        # NB: the order of the steps below is the order of the RNG draws; changing it changes the data
        self._add_projects(rng)
        self.project_has_env_tag = {pid: (rng.random() < 0.4) for pid in self.projects}
        for spec in SPECS:
            self._add_spec(rng, spec, scale)
        self._add_gke_namespaces(rng, scale)
        self._assign_team_labels(rng)
        self._normalise_weights()

    def _add_projects(self, rng: random.Random) -> None:
        folder_ids: dict[str, str] = {}
        for dept in list(DEPARTMENTS) + ["sandboxes", "shared-infrastructure"]:
            folder_ids[dept] = str(rng.randrange(10**11, 10**12))
        team_folder = {t: str(rng.randrange(10**11, 10**12)) for t in TEAMS}
        dept_of = {t: d for d, ts in DEPARTMENTS.items() for t in ts}
        for acct, team, pid, pname, env in PROJECTS:
            number = str(rng.randrange(10**11, 10**12))
            ancestors = [{"resource_name": f"projects/{number}", "display_name": pid}]
            if pid == SANDBOX:
                chain = [(folder_ids["sandboxes"], "sandboxes")]
            elif team is None:
                chain = [(folder_ids["shared-infrastructure"], "shared-infrastructure")]
            else:
                chain = [(team_folder[team], team), (folder_ids[dept_of[team]], dept_of[team])]
            for fid, fname in chain:
                ancestors.append({"resource_name": f"folders/{fid}", "display_name": fname})
            ancestors.append({"resource_name": f"organizations/{ORG_NUMBER}", "display_name": ORG_NAME})
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
                                  "ancestry_numbers": ancestry, "ancestors": ancestors}
            self.project_team[pid] = team if team else "shared"
            self.project_account[pid] = acct

    def _add_gke_namespaces(self, rng: random.Random, scale: int) -> None:
        """Each namespace of the shared cluster gets its own cost-allocation lines on shared nodes."""
        for ns, team, phase, app, kind in GKE_NAMESPACES:
            n = max(1, scale // 2) if kind != "gke_autopilot" else 1
            for i in range(n * (2 if team in ("search-ranking", "applied-ml") else 1)):
                self._add_resource(rng, 0, SHARED_GKE, kind, team, phase, "flat", 1.0, name=None, gke=(ns, app, i))

    def _normalise_weights(self) -> None:
        """Scale the template weights so that each billing account gets its `share` of the rows."""
        total = [0.0, 0.0]
        for t in self.templates:
            total[t.account_index] += t.weight
        for t in self.templates:
            t.weight *= ACCOUNTS[t.account_index]["share"] / total[t.account_index]

    # ----------------------------------------------------------------------------------------
    def _assign_team_labels(self, rng: random.Random) -> None:
        """Cost-weighted label quality: GKE-namespace-only ~8 %, sandbox ~3 %, and among the other
        team resources 70 % team label, 5 % team tag only, 22 % project label only, 3 % typo."""

        def cost(templates) -> float:
            return sum(t.weight * t.hourly_amount / t.units_per_pricing_unit * t.effective_price for t in templates)

        # 1. reweight GKE-namespace and sandbox resources of the main account to their cost shares
        main = [r for r in self.resources if r.templates and r.templates[0].account_index == 0]
        c_gke = sum(cost(r.templates) for r in main if r.is_gke)
        c_sandbox = sum(cost(r.templates) for r in main if r.is_sandbox)
        c_other = sum(cost(r.templates) for r in main if not r.is_gke and not r.is_sandbox)
        total = c_other / (1 - 0.08 - 0.03)
        for flag, c, share in (("is_gke", c_gke, 0.08), ("is_sandbox", c_sandbox, 0.03)):
            f = min(50.0, max(0.02, share * total / c)) if c > 0 else 1.0
            for r in main:
                if getattr(r, flag):
                    for t in r.templates:
                        t.weight *= f

        # 2. pick a label style per eligible resource so that the styles get their cost shares
        eligible = [r for r in self.resources if r.team_label_eligible]
        rng.shuffle(eligible)
        eligible_total = sum(cost(r.templates) for r in eligible) or 1.0
        style_of: dict[int, str] = {}
        # small budgets first (typo values 3 %, tag only 5 %), filled with resources that fit;
        # prefer resources with a high cost per row, so the row share stays near the cost share
        by_density = sorted(range(len(eligible)), key=lambda j: -cost(eligible[j].templates) / sum(
            t.weight for t in eligible[j].templates))
        for style, budget in ((_TEAM_TYPO, 0.03), (_TEAM_TAG_ONLY, 0.05)):
            used = 0.0
            for i in by_density:
                c = cost(eligible[i].templates) / eligible_total
                if i not in style_of and used + c <= budget * 1.1:
                    style_of[i] = style
                    used += c
        # the rest in (shuffled) order: the first 70/92 of their cost labelled, the others not
        rest = [i for i in range(len(eligible)) if i not in style_of]
        rest_total = sum(cost(eligible[i].templates) for i in rest) or 1.0
        cum = 0.0
        for i in rest:
            c = cost(eligible[i].templates)
            style_of[i] = _TEAM_LABEL if (cum + c / 2) / rest_total < 0.70 / 0.92 else _PROJECT_LABEL_ONLY
            cum += c

        # 3. apply the styles and re-encode the affected templates
        for i, r in enumerate(eligible):
            style = style_of[i]
            team = r.team
            labels, tags = r.labels, r.tags
            if style == _TEAM_LABEL:
                key = "team" if rng.random() < 0.5 else rng.choice(TEAM_KEY_VARIANTS)
                val = team if rng.random() < 0.55 else rng.choice(TEAM_VARIANTS[team])
                labels.insert(0, (key, val))
            elif style == _TEAM_TAG_ONLY:
                tags.insert(0, {"key": "team", "value": team, "inherited": False, "namespace": ORG_NUMBER})
            elif style == _TEAM_TYPO:
                labels.insert(0, ("team" if rng.random() < 0.7 else "Team", rng.choice(TEAM_TYPOS[team])))
            else:  # _PROJECT_LABEL_ONLY: nothing to change
                continue
            for t in r.templates:
                st = t.static
                if labels or not r.omit_empty:
                    st["labels"] = _kv(labels)
                if tags or not r.omit_empty:
                    st["tags"] = tags
                # a key added just now went to the end: restore the schema's column order
                t.static = {k: st[k] for k in _SCHEMA_COLUMNS if k in st}
                t.json_prefix = _encode_prefix(t.static)

    def strip_team_attribution(self, share: float, seed: int) -> float:
        """Break tag coverage on purpose (``--untagged-share``): remove every team label and tag
        from resources holding about `share` of the usage cost, as if they had never been tagged.

        Cost-weighted, deterministic for a seed, and drawn from its own RNG so the rest of the
        data (and every line item id) is the same as without the flag. The resource labels,
        resource-manager tags, GKE labels and the project labels seen on those resources' rows
        lose their team keys; the ground truth keeps the true owner, so attribution accuracy
        drops too. What remains to attribute them are the folder mapping and virtual-tag rules.
        Returns the share of usage cost actually stripped.
        """
        if not 0.0 < share <= 1.0:
            raise ValueError(f"untagged share must be in (0, 1], got {share}")

        def cost(t: _LineTemplate) -> float:
            return t.weight * t.hourly_amount / t.units_per_pricing_unit * t.effective_price

        rng = random.Random(seed * 104_729 + 3)
        total = sum(cost(t) for t in self.templates) or 1.0
        candidates = [r for r in self.resources if r.templates]
        rng.shuffle(candidates)
        stripped = 0.0
        for resource in candidates:
            c = sum(cost(t) for t in resource.templates) / total
            if stripped + c / 2 > share:
                continue
            stripped += c
            for t in resource.templates:
                st = t.static
                for field in ("labels", "tags"):
                    if field in st:
                        st[field] = [kv for kv in st[field] if not _is_team_key(kv["key"])]
                        if not st[field] and t.omit_empty:
                            del st[field]
                project = st["project"]
                st["project"] = {**project, "labels": [kv for kv in project["labels"] if not _is_team_key(kv["key"])]}
                t.json_prefix = _encode_prefix(st)
        return stripped

    def _group_id(self, key: tuple) -> int:
        return self._group_ids.setdefault(key, len(self._group_ids))

    def _add_spec(self, rng: random.Random, spec, scale: int) -> None:
        pid, kind, pattern, count, scales, phase, profile, duty = spec
        team = self.project_team[pid]
        n = count * (scale if scales else 1)
        names = pattern.split("|") if pattern else [""]
        people = PEOPLE[:]
        rng.shuffle(people)
        for i in range(n):
            # mostly the first name pattern, sometimes one of the alternatives
            pat = names[0] if (len(names) == 1 or rng.random() < 0.55) else rng.choice(names[1:])
            name = pat.format(i=i + 1, n=rng.randrange(10**6, 10**7), p=people[i % len(people)] + ("" if i < len(people) else str(i)))
            if n > 1 and "{" not in pattern and pattern:
                # fixed names ("a|b"): one each, then numbered
                name = names[i % len(names)] + ("" if i < len(names) else f"-{i}")
            elif i > 0 and "{" not in pat:
                name = f"{name}-{i + 1}"
            self._add_resource(rng, self.project_account[pid], pid, kind, team, phase, profile, duty, name=name)

    @staticmethod
    def _resource_labels(rng: random.Random, project: dict[str, Any], phase: str, name: str | None) -> list:
        """Labels of an ordinary team resource, except the team label (see _assign_team_labels)."""
        labels: list[tuple[str, str]] = []
        if rng.random() < 0.6:
            labels.append(("env", _project_env(project)))
        if phase in AI_PHASES and rng.random() < 0.5:
            pk = rng.choice(PHASE_KEY_VARIANTS)
            pv = rng.choice(PHASE_TYPOS[phase]) if rng.random() < 0.08 else (
                phase if rng.random() < 0.5 else rng.choice(PHASE_VARIANTS[phase]))
            labels.append((pk, pv))
        elif phase not in AI_PHASES and rng.random() < 0.1:
            labels.append(("workload_phase", rng.choice(PHASE_VARIANTS["non_ai"])))
        if name and rng.random() < 0.4:
            labels.append(("app", name.split("-")[0]))
        return labels

    @staticmethod
    def _gke_labels(rng: random.Random, kind: str, region: str, ns: str, app: str) -> list:
        """The labels GKE cost allocation puts on a namespace's share of a node."""
        labels = [("goog-k8s-cluster-name", "ml-shared-gke-usc1"), ("goog-k8s-cluster-location", region)]
        if kind != "gke_autopilot":
            labels.append(("goog-k8s-node-pool-name", _GKE_NODE_POOL[kind]))
        labels += [("k8s-namespace", ns), ("k8s-label/app", app)]
        if rng.random() < 0.5:
            labels.append(("k8s-label/app.kubernetes.io/managed-by", "helm"))
        return labels

    @staticmethod
    def _global_name(kind: str, pid: str, number: str, region: str, zone: str, name: str | None, rid: str,
                     gke: tuple | None) -> tuple[str | None, str, str | None]:
        """(resource name, zone, resource.global_name) of a resource; GKE nodes override name and zone."""
        if gke is not None:
            if kind == "gke_autopilot":
                name = "ml-shared-gke-usc1"
                return name, zone, f"//container.googleapis.com/projects/{pid}/locations/{region}/clusters/{name}"
            # nodes are shared by namespaces: same node -> same global_name
            node_i = gke[2] % 3 if kind == "gke_node_l4" else gke[2] % 2
            name = f"gke-ml-shared-gke-usc-{'gpu-l4' if kind == 'gke_node_l4' else 'gpu-a100'}-pool-{_hexid(kind, str(node_i), groups=2).lower().replace('-', '')}"
            zone = region + "-a"
            instance_id = int(_hexid(name, groups=4).replace('-', ''), 16) % 10**19
            return name, zone, f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{instance_id}"
        if kind == "gke_cluster":
            gname = f"//container.googleapis.com/projects/{pid}/locations/{region}/clusters/{name}"
        elif kind in MACHINE_SPECS:
            gname = f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{rid}"
        elif kind.startswith("vx_train") or kind == "vx_tuning":
            gname = f"//aiplatform.googleapis.com/projects/{number}/locations/{region}/customJobs/{rid[:16]}"
        elif kind.startswith("vx_endpoint") or kind == "vx_batch":
            coll = "endpoints" if kind != "vx_batch" else "batchPredictionJobs"
            gname = f"//aiplatform.googleapis.com/projects/{number}/locations/{region}/{coll}/{rid[:16]}"
        elif kind == "workbench":
            gname = f"//notebooks.googleapis.com/projects/{pid}/locations/{zone}/instances/{name}"
        elif kind.startswith("gcs"):
            gname = f"//storage.googleapis.com/projects/_/buckets/{name}"
        elif kind == "bq_dataset":
            gname = f"//bigquery.googleapis.com/projects/{pid}/datasets/{name}"
        elif kind == "dataflow_job":
            gname = f"//dataflow.googleapis.com/projects/{pid}/locations/{region}/jobs/{name}"
        elif kind == "lb":
            gname = f"//compute.googleapis.com/projects/{pid}/global/forwardingRules/{name}"
        else:  # gemini_api, egress, logging, monitoring: no resource
            gname = None
        return name, zone, gname

    @staticmethod
    def _sku_location(sku_key: str, svc_key: str, kind: str, acct: dict[str, Any], region: str, zone: str) -> dict:
        if sku_key.startswith("gem_"):
            return {"location": "global"}
        if sku_key == "gcs_multi":
            return {"location": acct["mr"].lower(), "country": acct["country"]}
        if svc_key in ("net", "logging", "monitoring") and kind != "lb":
            return {"location": region, "country": acct["country"], "region": region}
        if kind in MACHINE_SPECS or kind == "workbench":
            return {"location": zone, "country": acct["country"], "region": region, "zone": zone}
        return {"location": region, "country": acct["country"], "region": region}

    @staticmethod
    def _credit_rules(rng: random.Random, sku_key: str, svc_key: str, acct_i: int, region: str, cud: bool,
                      contract_discount: bool, subscription: str | None, gke: tuple | None) -> list[tuple]:
        """Credits a row of this SKU may get: (type, name, id, full_name, probability, low, high fraction)."""
        acct_id = ACCOUNTS[acct_i]["id"]
        rules = []
        if sku_key.startswith("gpu_") and cud and acct_i == 0 and gke is None:
            rules.append(("COMMITTED_USAGE_DISCOUNT", "Committed use discount: GPU",
                          "CommittedUsageDiscountGpu", f"GPU commitment in {region} for 1 year", 0.9, 0.37, 0.37))
        if sku_key in ("a3_core", "a2_core", "g2_core") and cud and acct_i == 0:
            rules.append(("COMMITTED_USAGE_DISCOUNT", "Committed use discount: CPU",
                          "CommittedUsageDiscountCpu", f"CPU commitment in {region} for 1 year", 0.9, 0.37, 0.37))
        if sku_key in ("n1_core", "n1_ram"):
            rules.append(("SUSTAINED_USAGE_DISCOUNT", "Sustained Usage Discount", "SustainedUsageDiscount",
                          "Sustained Usage Discount", 0.7, 0.1, 0.3))
        if svc_key == "vertex" and rng.random() < 0.35:
            rules.append(("PROMOTION", "Gemini and Vertex AI launch credit", "PROMO-" + _hexid("promo", acct_id, groups=2),
                          "Vertex AI startup program credit", 0.5, 0.05, 0.6))
        if subscription and "core" in sku_key:
            rules.append(("FEE_UTILIZATION_OFFSET", "Spend-based CUD fee utilization offset",
                          "FeeUtilizationOffset", "Compute Flexible CUDs 1 Year fee offset", 0.8, 0.2, 0.28))
        if contract_discount and svc_key in ("bq", "gcs", "dataflow", "logging"):
            rules.append(("DISCOUNT", "Contractual discount", "ContractualDiscount-" + acct_id[:6],
                          "Enterprise agreement discount", 1.0, 0.05, 0.05))
        return rules

    def _add_resource(self, rng, acct_i, pid, kind, team, phase, profile, duty, name, gke=None) -> None:
        """Add one resource and a line template for each of its SKUs (KINDS[kind]).

        `gke` = (namespace, app, index) for a GKE namespace's share of the shared cluster.
        NB: the RNG draws happen in a fixed order; keep it when editing.
        """
        acct = ACCOUNTS[acct_i]
        proj = self.projects[pid]
        region = acct["region"]
        zone = region + "-" + rng.choice("abc" if acct_i else "abcf")
        phase = phase or "non_ai"
        # sandbox, shared-network and GKE-namespace resources never get a team label; the others
        # get theirs later, cost-weighted, in _assign_team_labels()
        eligible = pid != SANDBOX and pid != NET_HOST and gke is None
        labels: list[tuple[str, str]] = []
        tags: list[dict[str, Any]] = []
        if eligible:
            labels = self._resource_labels(rng, proj, phase, name)
        if gke is not None:
            labels = self._gke_labels(rng, kind, region, gke[0], gke[1])
        if self.project_has_env_tag[pid]:
            tags.append({"key": "env", "value": _project_env(proj), "inherited": True, "namespace": ORG_NUMBER})

        # ---- resource identity and purchase options
        rid = str(rng.randrange(10**18, 10**19))
        name, zone, gname = self._global_name(kind, pid, proj["number"], region, zone, name, rid, gke)
        machine = MACHINE_SPECS.get(kind)
        system_labels: list[tuple[str, str]] = []
        if machine is not None:
            system_labels = [("compute.googleapis.com/machine_spec", machine[0]),
                             ("compute.googleapis.com/cores", machine[1]),
                             ("compute.googleapis.com/memory", machine[2])]
        true_team = team if pid != NET_HOST else "shared"
        omit_empty = rng.random() < 0.12
        cud = rng.random() < 0.6
        contract_discount = acct_i == 0 and rng.random() < 0.5
        subscription = None
        if kind in ("a3_vm", "a2_vm", "n1_vm") and rng.random() < 0.15:
            subscription = _subscription_id(pid, rid)

        # ---- one line template per SKU
        first_template = len(self.templates)
        for sku_key, qty, sku_weight in KINDS[kind]:
            svc_key, desc, unit_key, list_usd = SKUS[sku_key]
            desc = desc.format(geo=acct["geo"], region=region, mr=acct["mr"], city=acct["city"])
            svc_id, svc_desc = SERVICES[svc_key]
            sku_id = _hexid(svc_id, desc)
            usage_unit, pricing_unit, conv = UNITS[unit_key]
            loc = self._sku_location(sku_key, svc_key, kind, acct, region, zone)
            # pd rows are the disk, not the instance
            res_gname = gname
            if sku_key in ("pd", "pd_ssd") and gname:
                res_gname = gname.replace("/instances/", "/disks/")
            # prices in the account's currency; the EU account pays an 8 % regional premium
            list_price = round(list_usd * acct["rate"] * (1.0 if acct_i == 0 else 1.08), 9)
            price_discount = 0.0
            if svc_key == "vertex" and not sku_key.startswith("gem_") and rng.random() < 0.3:
                price_discount = 0.1
            eff = round(list_price * (1.0 - price_discount), 9)
            price = {"effective_price": _num_str(eff), "tier_start_amount": "0", "unit": pricing_unit,
                     "pricing_unit_quantity": "1", "list_price": _num_str(list_price),
                     "effective_price_default": _num_str(eff), "list_price_consumption_model": _num_str(list_price)}
            # the row's constant fields, in the schema's column order
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

            t = _LineTemplate()
            t.account_index = acct_i
            t.account_id = acct["id"]
            t.currency = acct["currency"]
            t.static = static
            t.json_prefix = _encode_prefix(static)
            t.parquet_static = None
            t.key_prefix = "|".join([acct["id"], svc_id, sku_id, pid, res_gname or "", loc["location"]]) + "|"
            t.group_id = self._group_id((acct["id"], svc_id, sku_id, pid, res_gname, loc["location"]))
            t.weight = duty * sku_weight * (0.35 if svc_key in ("logging", "monitoring") else 1.0)
            t.profile = profile
            t.quantity = float(qty)
            t.unit = unit_key
            t.units_per_pricing_unit = conv
            t.usage_unit = usage_unit
            t.pricing_unit = pricing_unit
            t.usage_mode = _USAGE_MODE.get(unit_key, _USAGE_METERED)
            t.hourly_amount = float(qty) * _USAGE_PER_QUANTITY_HOUR.get(unit_key, 1.0)
            t.effective_price = eff
            t.list_price = list_price
            t.credits = self._credit_rules(rng, sku_key, svc_key, acct_i, region, cud, contract_discount,
                                           subscription, gke)
            t.omit_empty = omit_empty
            t.team = true_team
            t.phase = phase
            t.project_id = pid
            self.templates.append(t)
        self.resources.append(_Resource(team=team, team_label_eligible=eligible, is_gke=gke is not None,
                                        is_sandbox=pid == SANDBOX, templates=self.templates[first_template:],
                                        labels=labels, tags=tags, omit_empty=omit_empty))


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
    """One extract folder: rows go to shards of <= shard_rows rows (000000000000.json.gz, ...), written by the pipe."""

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
    """ground_truth/part-NNNNN.parquet: true team and phase of every line item."""

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

        if not self.rows and self.part > 0:  # (with no rows at all, still write an empty part-00000)
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
def _to_parquet_static(static: dict[str, Any]) -> dict[str, Any]:
    """`static` for the parquet writer: the price numbers (strings in JSON) as Decimal."""
    d = dict(static)
    if "price" in d:
        p = dict(d["price"])
        for k in ("effective_price", "tier_start_amount", "pricing_unit_quantity", "list_price",
                  "effective_price_default", "list_price_consumption_model"):
            if k in p:
                p[k] = Decimal(p[k])
        d["price"] = p
    return d


def _date_of_day_ordinal(day_ordinal: int) -> date:
    """The UTC date of a day number counted from the epoch (us // _DAY_US)."""
    return date(1970, 1, 1) + timedelta(days=day_ordinal)


def _usage_end(start: date, months: int) -> date:
    """Exclusive end day of the usage window."""
    if start.day == 1:
        return _add_months(date(start.year, start.month, 1), months)
    return _add_months(start, months).replace(day=start.day)


def _utc_day_weights(win_lo: int, win_hi: int) -> tuple[list[date], list[float]]:
    """The UTC days that overlap the usage window and the share of the rows each one gets:
    the overlapped fraction of the day, fewer rows at weekends, +25 % growth over the window and
    a little day-to-day wobble."""
    first = _dt(win_lo).date()
    last = _dt(win_hi - 1).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weights = []
    for i, d in enumerate(days):
        lo = max(win_lo, _midnight_us(d))
        hi = min(win_hi, _midnight_us(d) + _DAY_US)
        frac = (hi - lo) / _DAY_US
        weekend = 0.78 if d.weekday() >= 5 else 1.0
        growth = 1.0 + 0.25 * i / max(1, len(days) - 1)
        weights.append(frac * weekend * growth * (1.0 + 0.06 * math.sin(i * 1.7)))
    return days, weights


def _export_batches(seed: int, first_day: date, last_day: date) -> list[int]:
    """Export times (us, sorted): one batch in each UTC hour, until 8 days after the window.

    Most have microseconds, some only milliseconds, a few whole seconds, as in real extracts."""
    batch_rng = random.Random(seed * 31 + 5)
    batch_us: list[int] = []
    d = first_day
    while d <= last_day + timedelta(days=8):
        base = _midnight_us(d)
        for h in range(24):
            r = batch_rng.random()
            micros = batch_rng.randrange(1_000_000) if r < 0.85 else (batch_rng.randrange(1000) * 1000 if r < 0.97 else 0)
            batch_us.append(base + h * _HOUR_US + batch_rng.randrange(60) * 60_000_000
                            + batch_rng.randrange(60) * 1_000_000 + micros)
        d += timedelta(days=1)
    batch_us.sort()
    return batch_us


def _conversion_rate(acct_i: int, month: str) -> float:
    """currency_conversion_rate of a billing account in an invoice month (YYYYMM)."""
    if acct_i == 0:
        return 1.0
    k = (int(month[:4]) * 12 + int(month[4:])) % len(_EUR_MONTHLY)
    return _EUR_MONTHLY[k]


def _late_invoice_month(usage_month: str, export_us: int) -> str:
    """A row exported on or after day 4 (Pacific) of a later month goes on that month's invoice."""
    p = _pacific(export_us)
    export_month = f"{p.year:04d}{p.month:02d}"
    if export_month > usage_month and p.day >= 4:
        return export_month
    return usage_month


class _Timeline:
    """Export batches and usage hours, with their timestamps pre-formatted (BigQuery strings,
    line-item-key strings, datetimes for parquet) and the Pacific invoice month of every hour."""

    def __init__(self, batch_us: list[int], first_hour: int, end_hour: int, parquet: bool):
        self.batch_us = batch_us
        self.n_batches = len(batch_us)
        self.batch_day = [(u // _DAY_US) for u in batch_us]
        # formatted on first use (export_ts)
        self.batch_ts: list[str | None] = [None] * self.n_batches
        self.batch_key: list[str | None] = [None] * self.n_batches
        # usage hours: the window plus a margin
        self.hour_ts = {h: _bq_ts(h * _HOUR_US) for h in range(first_hour, end_hour + 1 + 48)}
        self.hour_key = {h: _key_ts_us(h * _HOUR_US) for h in self.hour_ts}
        self.hour_dt = {h: _dt(h * _HOUR_US) for h in self.hour_ts} if parquet else {}
        self.hour_month: dict[int, str] = {}
        for h in self.hour_ts:
            p = _pacific(h * _HOUR_US)
            self.hour_month[h] = f"{p.year:04d}{p.month:02d}"
        # "usage_start|usage_end|" part of the line item key of an hourly row
        hk = self.hour_key
        self.hour_pair_key = {h: f"{hk[h]}|{hk[h + 1]}|" for h in hk if h + 1 in hk}
        self.invoices: dict[str, dict[str, str]] = {}

    def export_ts(self, i: int) -> str:
        """BigQuery string of batch `i`'s export time (and fills its key string)."""
        s = self.batch_ts[i]
        if s is None:
            s = self.batch_ts[i] = _bq_ts(self.batch_us[i])
            self.batch_key[i] = _key_ts_us(self.batch_us[i])
        return s

    def invoice(self, month: str) -> dict[str, str]:
        """The (shared) `invoice` record of a month."""
        v = self.invoices.get(month)
        if v is None:
            v = self.invoices[month] = {"month": month, "publisher_type": "GOOGLE"}
        return v

    def first_batch_at(self, us: int) -> int:
        """Index of the first export batch at or after `us` (== n_batches if none)."""
        return bisect.bisect_left(self.batch_us, us)


class _Output:
    """The extract writers (one per billing account and export day, plus the partial extracts),
    the ground truth, and the row and file counts."""

    def __init__(self, out_dir: Path, fmt: str, shard_rows: int, arrow_schema, start: date, n_days: int):
        self.out_dir = out_dir
        self.fmt = fmt
        self.shard_rows = shard_rows
        self.arrow_schema = arrow_schema
        self.writers: dict[tuple[int, int], _ExtractWriter] = {}  # (account, export day ordinal) -> writer
        self.partial_writers: dict[int, _ExtractWriter] = {}
        self.extracts: list[str] = []
        self.export_days: set[int] = set()
        self.ground_truth = _GroundTruth(out_dir / "ground_truth")
        self.pipe = _Pipe()
        self.rows = 0
        self.partial_rows = 0
        self.files = 0
        self.table_dirs = [TABLE_PREFIX + a["id"].replace("-", "_") for a in ACCOUNTS]
        # partial extracts: one export day per account, mid-window, cut in the early afternoon
        mid = start + timedelta(days=n_days // 2)
        self.partial_day = {a: (mid + timedelta(days=a)) for a in range(len(ACCOUNTS))}
        self.partial_cut = {a: _midnight_us(self.partial_day[a]) + (13 * 3600 + 47 * 60 + 9 + 600 * a) * 1_000_000
                            for a in range(len(ACCOUNTS))}
        self.partial_day_ordinal = {a: _midnight_us(self.partial_day[a]) // _DAY_US for a in range(len(ACCOUNTS))}

    def _new_writer(self, rel: str) -> _ExtractWriter:
        self.extracts.append(rel)
        return _ExtractWriter(self.out_dir / rel, self.fmt, self.shard_rows, self.arrow_schema, 50_000, self.pipe)

    def writer(self, acct_i: int, day_ordinal: int) -> _ExtractWriter:
        """The complete extract of an export day, taken the next morning."""
        w = self.writers.get((acct_i, day_ordinal))
        if w is None:
            d = _date_of_day_ordinal(day_ordinal)
            extracted = d + timedelta(days=1)
            rel = (f"{self.table_dirs[acct_i]}/export_date={d.isoformat()}/"
                   f"extract={extracted.strftime('%Y%m%d')}T{ACCOUNTS[acct_i]['extract_hms']}Z")
            w = self.writers[(acct_i, day_ordinal)] = self._new_writer(rel)
            self.export_days.add(day_ordinal)
        return w

    def partial_writer(self, acct_i: int) -> _ExtractWriter:
        w = self.partial_writers.get(acct_i)
        if w is None:
            d = self.partial_day[acct_i]
            cut = _dt(self.partial_cut[acct_i])
            rel = f"{self.table_dirs[acct_i]}/export_date={d.isoformat()}/extract={cut.strftime('%Y%m%dT%H%M%SZ')}"
            w = self.partial_writers[acct_i] = self._new_writer(rel)
        return w

    def emit(self, acct_i: int, export_day: int, export_us: int, item: Any, ground_truth_row: tuple) -> None:
        """Write one row (see _write_usage_rows for the inlined copy of this on the hot path)."""
        self.writer(acct_i, export_day).add(item)
        if export_day == self.partial_day_ordinal[acct_i] and export_us < self.partial_cut[acct_i]:
            self.partial_writer(acct_i).add(item)
            self.partial_rows += 1
        self.ground_truth.add(ground_truth_row)
        self.rows += 1

    def close_through(self, day_ordinal: int) -> None:
        """Close the extracts of export days up to `day_ordinal` (no more rows will go there)."""
        for k in sorted(k for k in self.writers if k[1] <= day_ordinal):
            w = self.writers.pop(k)
            w.close()
            self.files += w.files
        for a in list(self.partial_writers):
            if self.partial_day_ordinal[a] <= day_ordinal:
                w = self.partial_writers.pop(a)
                w.close()
                self.files += w.files


# rows a day per unit of `scale` are ~24 x this (tuning constant; `scale` multiplies the resource
# counts of the SPECS that scale)
_USAGE_ROWS_PER_HOUR_PER_SCALE = 165.0


def generate_gcp_export(
    out_dir: Path,
    rows: int,
    seed: int = 42,
    start: date = date(2026, 7, 1),
    months: int = 3,
    fmt: Literal["json", "parquet"] = "json",
    shard_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
    untagged_share: float = 0.0,
) -> GenerateSummary:
    """Write a realistic detailed-usage-cost export of about `rows` rows (see module doc).

    `untagged_share` > 0 strips the team labels and tags from resources holding about that
    share of the usage cost (see _Company.strip_team_attribution): demo data with broken tag
    coverage, to see the coverage checks fail. 0 (the default) leaves the data unchanged."""
    if fmt not in ("json", "parquet"):
        raise ValueError("fmt must be 'json' or 'parquet'")
    if rows < 1 or months < 1 or shard_rows < 1:
        raise ValueError("rows, months and shard_rows must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end = _usage_end(start, months)
    win_lo = _pacific_midnight_us(start)
    win_hi = _pacific_midnight_us(end)
    n_days = (end - start).days
    scale = max(1, int(round(rows / n_days / (24 * _USAGE_ROWS_PER_HOUR_PER_SCALE))))
    company = _Company(seed, scale)
    untagged = company.strip_team_attribution(untagged_share, seed) if untagged_share else 0.0
    templates = company.templates
    rng = random.Random(seed)  # all row-level randomness
    parquet = fmt == "parquet"
    if parquet:
        for t in templates:
            t.parquet_static = _to_parquet_static(t.static)

    utc_days, day_weights = _utc_day_weights(win_lo, win_hi)
    total_weight = sum(day_weights)
    first_hour = win_lo // _HOUR_US
    end_hour = win_hi // _HOUR_US
    timeline = _Timeline(_export_batches(seed, utc_days[0], utc_days[-1]), first_hour, end_hour, parquet)
    month_list = sorted({m for h, m in timeline.hour_month.items() if first_hour <= h < end_hour})

    # cumulative weights of the hour-of-day profiles and of the templates, for weighted picks
    profile_cum_weights = {name: list(itertools.accumulate(w)) for name, w in _PROFILES.items()}
    template_indexes = list(range(len(templates)))
    template_cum_weights = list(itertools.accumulate(t.weight for t in templates))

    output = _Output(out_dir, fmt, shard_rows, gcp_schema.arrow_schema() if parquet else None, start, n_days)
    produced = 0
    cum_weight = 0.0
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived dicts: the cyclic GC only costs time here
    try:
        for day_i, d in enumerate(utc_days):
            # rows due by the end of this day, minus all rows so far (overhead rows included)
            cum_weight += day_weights[day_i]
            n_usage = max(0, int(round(float(rows) * cum_weight / total_weight)) - produced)
            day_start_h = _midnight_us(d) // _HOUR_US
            project_cost, day_templates = _write_usage_rows(
                rng, n_usage, day_start_h, max(first_hour, day_start_h), min(end_hour, day_start_h + 24),
                templates, template_indexes, template_cum_weights, profile_cum_weights, timeline, output, parquet)
            # overhead of the Pacific day with the same date (tax on this UTC day's usage)
            if start <= d < end:
                next_day = d + timedelta(days=1)
                _daily_overhead(company, rng, timeline, output, parquet,
                                _pacific_midnight_us(d) // _HOUR_US, _pacific_midnight_us(next_day) // _HOUR_US,
                                project_cost, day_templates, is_month_end=next_day.day == 1 or next_day == end)
            produced = output.rows
            # the rows of later days are all exported after this UTC day
            output.close_through(day_start_h // 24)
            if progress is not None:
                progress(produced)
        output.close_through(10**9)
        output.ground_truth.flush()
    finally:
        if gc_was_enabled:
            gc.enable()
        output.pipe.close()

    export_days = sorted(output.export_days)
    summary = GenerateSummary(
        rows=output.rows, partial_rows=output.partial_rows, rows_written=output.rows + output.partial_rows,
        files=output.files, extracts=tuple(sorted(output.extracts)), billing_accounts=tuple(a["id"] for a in ACCOUNTS),
        usage_start=start.isoformat(), usage_end=(end - timedelta(days=1)).isoformat(),
        first_export_date=_date_of_day_ordinal(export_days[0]).isoformat() if export_days else "",
        last_export_date=_date_of_day_ordinal(export_days[-1]).isoformat() if export_days else "",
        invoice_months=tuple(sorted(set(month_list) | set(timeline.invoices))),
        ground_truth=str(out_dir / "ground_truth"), format=fmt, seed=seed, untagged_share=round(untagged, 4),
    )
    (out_dir / "manifest.json").write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    return summary


def _write_usage_rows(rng: random.Random, n_rows: int, day_start_h: int, lo_h: int, hi_h: int,
                      templates: list[_LineTemplate], template_indexes: list[int], template_cum_weights: list[float],
                      profile_cum_weights: dict[str, list[float]], timeline: _Timeline, output: _Output,
                      parquet: bool) -> tuple[dict[str, float], list[int]]:
    """Write the hourly usage rows of one UTC day (usage hours lo_h <= h < hi_h).

    Returns the cost per project (for the tax rows) and up to 2000 indexes of templates used
    today (candidates for adjustments). This is the hot loop: names are bound to locals and
    _Output.emit is inlined.
    """
    rand = rng.random
    bisect_left = bisect.bisect_left
    md5 = hashlib.md5
    dumps = orjson.dumps
    append_newline = orjson.OPT_APPEND_NEWLINE
    batch_us = timeline.batch_us
    batch_day = timeline.batch_day
    batch_ts = timeline.batch_ts
    batch_key = timeline.batch_key
    export_ts = timeline.export_ts
    n_batches = timeline.n_batches
    hour_ts = timeline.hour_ts
    hour_dt = timeline.hour_dt
    hour_month = timeline.hour_month
    hour_pair_key = timeline.hour_pair_key
    invoices = timeline.invoices
    invoice = timeline.invoice
    writers = output.writers
    partial_day_ordinal = output.partial_day_ordinal
    partial_cut = output.partial_cut
    ground_truth = output.ground_truth
    gt_rows = ground_truth.rows
    running, stored = _USAGE_RUNNING, _USAGE_STORED

    # (group, hour of day) -> export batch(es) taken: rows of one line-item group and usage hour must
    # be in different batches so that their line_item_id differs
    taken_batches: dict[int, Any] = {}
    project_cost: dict[str, float] = {}
    day_templates: list[int] = []
    emitted = 0
    picks = rng.choices(template_indexes, cum_weights=template_cum_weights, k=n_rows) if n_rows > 0 else []
    for ti in picks:
        t = templates[ti]
        # ---- usage hour and export batch
        cw = profile_cum_weights[t.profile]
        h = day_start_h + bisect_left(cw, rand() * cw[23])
        if h < lo_h or h >= hi_h:  # the window starts/ends mid-UTC-day: spread uniformly instead
            h = lo_h + int(rand() * (hi_h - lo_h))
        late = rand() < 0.02
        if late:  # 2-5 days
            bi = bisect_left(batch_us, (h + 1) * _HOUR_US + int((2.0 + 3.0 * rand()) * _DAY_US))
        else:  # 1-6 hours after usage_end_time
            bi = bisect_left(batch_us, (h + 1) * _HOUR_US + int((1.0 + 5.0 * rand()) * _HOUR_US))
        slot = t.group_id * 32 + h - day_start_h
        taken = taken_batches.get(slot)
        if taken is None:
            taken_batches[slot] = bi
        else:
            if type(taken) is int:
                taken = taken_batches[slot] = {taken}
            while bi in taken:
                bi += 1
            taken.add(bi)
        if bi >= n_batches:  # exported after the last batch: dropped
            continue
        # ---- amount and cost
        mode = t.usage_mode
        if mode == running:
            amount = float(int(t.hourly_amount * (1.0 if rand() < 0.85 else 0.1 + 0.9 * rand()) + 0.5))
        elif mode == stored:
            amount = float(int(t.hourly_amount * (0.98 + 0.04 * rand()) + 0.5))
        else:
            amount = float(int(t.hourly_amount * (0.3 + 1.4 * rand()) + 0.5))
        if amount <= 0.0:
            amount = 1.0
        pricing_amount = amount / t.units_per_pricing_unit
        cost = int(pricing_amount * t.effective_price * 1e6 + 0.5) / 1e6  # >= 0: never -0.0
        cost_at_list = int(pricing_amount * t.list_price * 1e6 + 0.5) / 1e6
        month = hour_month[h]
        if late:
            month = _late_invoice_month(month, batch_us[bi])
        ts = batch_ts[bi]
        if ts is None:
            ts = export_ts(bi)
        acct_i = t.account_index
        # the per-row fields; the constant ones are in t.static / t.json_prefix
        fields = {
            "usage_start_time": hour_ts[h], "usage_end_time": hour_ts[h + 1], "export_time": ts,
            "cost": cost, "currency_conversion_rate": 1.0 if acct_i == 0 else _conversion_rate(acct_i, month),
            "usage": {"amount": amount, "unit": t.usage_unit, "amount_in_pricing_units": pricing_amount,
                      "pricing_unit": t.pricing_unit},
            "invoice": invoices.get(month) or invoice(month), "cost_type": "regular", "cost_at_list": cost_at_list,
            "cost_at_effective_price_default": cost, "cost_at_list_consumption_model": cost_at_list,
        }
        # ---- credits (their fractions of the cost stay below 95 % in total)
        credits_total = 0.0
        if t.credits and cost > 0.0:
            credits = []
            fraction_total = 0.0
            for ctype, cname, cid, cfull, probability, low, high in t.credits:
                if rand() < probability:
                    fraction = low if low == high else low + (high - low) * rand()
                    if fraction_total + fraction >= 0.95:
                        continue
                    amt = -(int(cost * fraction * 1e6) / 1e6)
                    if amt != 0.0:
                        credits.append({"name": cname, "amount": amt, "full_name": cfull, "id": cid, "type": ctype})
                        fraction_total += fraction
                        credits_total += amt
            if credits:
                fields["credits"] = credits
                credits_total = round(credits_total, 6) + 0.0
            elif not t.omit_empty:
                fields["credits"] = credits
        elif not t.omit_empty:
            fields["credits"] = []
        # ---- write (inlined _Output.emit)
        export_day = batch_day[bi]
        w = writers.get((acct_i, export_day)) or output.writer(acct_i, export_day)
        if parquet:
            item = dict(t.parquet_static)
            item.update(fields)
            item["usage_start_time"] = hour_dt[h]
            item["usage_end_time"] = hour_dt[h + 1]
            item["export_time"] = _dt(batch_us[bi])
        else:
            item = t.json_prefix + dumps(fields, option=append_newline)[1:]
        w.add(item)
        if export_day == partial_day_ordinal[acct_i] and batch_us[bi] < partial_cut[acct_i]:
            output.partial_writer(acct_i).add(item)
            output.partial_rows += 1
        # line_item_id computed directly from its parts (== line_item_id() of the row)
        line_id = md5(f"{t.key_prefix}{hour_pair_key[h]}{batch_key[bi]}|regular||{cost:.9f}|{amount:.9f}".encode()).hexdigest()
        gt_rows.append((line_id, t.account_id, month, t.currency, cost, credits_total, t.team, t.phase))
        if len(gt_rows) >= ground_truth.batch:
            ground_truth.flush()
            gt_rows = ground_truth.rows
        emitted += 1
        project_cost[t.project_id] = project_cost.get(t.project_id, 0.0) + cost
        if len(day_templates) < 2000:
            day_templates.append(ti)
    output.rows += emitted
    return project_cost, day_templates


# adjustment types: (type, mode, description)
ADJ_TYPES = [
    ("USAGE_CORRECTION", "PARTIAL_CORRECTION", "Correction of over-reported usage"),
    ("PRICE_CORRECTION", "COMPLETE_NEGATION_WITH_REMONETIZATION", "Price correction"),
    ("GOODWILL", "MANUAL_ADJUSTMENT", "Goodwill credit for service disruption"),
    ("SLA_VIOLATION", "MANUAL_ADJUSTMENT", "SLA credit"),
    ("METADATA_CORRECTION", "COMPLETE_NEGATION_WITH_REMONETIZATION", "Label metadata correction"),
]


def _daily_overhead(company: _Company, rng: random.Random, timeline: _Timeline, output: _Output, parquet: bool,
                    p_lo_h: int, p_hi_h: int, project_cost: dict[str, float], day_templates: list[int],
                    is_month_end: bool) -> None:
    """The non-usage rows of one Pacific day (usage hours p_lo_h <= h < p_hi_h): tax per project,
    support and tax on support, now and then an adjustment, and a rounding error at month end.

    NB: the RNG draws happen in a fixed order; keep it when editing.
    """
    month = timeline.hour_month[p_lo_h]
    start_ts, end_ts = timeline.hour_ts[p_lo_h], timeline.hour_ts[p_hi_h]
    end_us = p_hi_h * _HOUR_US
    invoice_service = {"id": SERVICES["invoice"][0], "description": "Invoice"}
    tax_sku = {"id": _hexid("invoice", "Tax"), "description": "Tax"}

    def write(acct_i: int, bi: int, static: dict, parquet_static: dict | None, fields: dict, lo_h: int, hi_h: int,
              team: str, phase: str) -> None:
        row = dict(static)
        row.update(fields)
        if parquet:
            item = dict(parquet_static)
            item.update(fields)
            item["usage_start_time"] = timeline.hour_dt[lo_h]
            item["usage_end_time"] = timeline.hour_dt[hi_h]
            item["export_time"] = _dt(timeline.batch_us[bi])
        else:
            item = _bigquery_json(row) + b"\n"
        output.emit(acct_i, timeline.batch_day[bi], timeline.batch_us[bi], item,
                    (line_item_id(row), row["billing_account_id"], fields["invoice"]["month"], row["currency"],
                     fields["cost"], 0.0, team, phase))

    # ---- tax per project, on the usage cost of the day
    account_cost = [0.0 for _ in ACCOUNTS]
    for pid in sorted(project_cost):
        acct_i = company.project_account[pid]
        base = project_cost[pid]
        account_cost[acct_i] += base
        rate = ACCOUNTS[acct_i]["tax"]
        if rate <= 0 or base <= 0:
            continue
        cost = round(base * rate, 6) + 0.0
        bi = timeline.first_batch_at(end_us + int((2 + 3 * rng.random()) * _HOUR_US))
        acct = ACCOUNTS[acct_i]
        static = {"billing_account_id": acct["id"], "service": invoice_service, "sku": tax_sku,
                  "project": company.projects[pid], "labels": [], "system_labels": [], "tags": [],
                  "currency": acct["currency"]}
        fields = {"usage_start_time": start_ts, "usage_end_time": end_ts, "export_time": timeline.export_ts(bi),
                  "cost": cost, "currency_conversion_rate": _conversion_rate(acct_i, month), "credits": [],
                  "invoice": timeline.invoice(month), "cost_type": "tax", "cost_at_list": cost,
                  "usage": {"amount": 0.0, "unit": "", "amount_in_pricing_units": 0.0, "pricing_unit": ""}}
        write(acct_i, bi, static, static, fields, p_lo_h, p_hi_h, company.project_team[pid], "non_ai")

    # ---- support (account level, 3 % of usage with a minimum fee) and tax on support
    for acct_i, acct in enumerate(ACCOUNTS):
        if account_cost[acct_i] <= 0 and acct_i > 0:
            continue
        fee = round(max(15.0 if acct_i else 150.0, account_cost[acct_i] * 0.03), 6)
        support_service = {"id": SERVICES["support"][0], "description": "Support"}
        sku_desc = "Enhanced Support" if acct_i else "Premium Support Fee"
        support_sku = {"id": _hexid("support", sku_desc), "description": sku_desc}
        for cost_type, cost in (("regular", fee), ("tax", round(fee * acct["tax"], 6))):
            if cost_type == "tax" and cost <= 0:
                continue
            bi = timeline.first_batch_at(end_us + int((3 + 4 * rng.random()) * _HOUR_US))
            is_fee = cost_type == "regular"
            static = {"billing_account_id": acct["id"], "service": support_service if is_fee else invoice_service,
                      "sku": support_sku if is_fee else tax_sku, "labels": [], "system_labels": [],
                      "credits": [], "currency": acct["currency"], "consumption_model": CONSUMPTION_MODEL}
            if is_fee:
                static["transaction_type"] = "GOOGLE"
                static["seller_name"] = "Google"
            fields = {"usage_start_time": start_ts, "usage_end_time": end_ts, "export_time": timeline.export_ts(bi),
                      "cost": cost, "currency_conversion_rate": _conversion_rate(acct_i, month),
                      "invoice": timeline.invoice(month), "cost_type": cost_type, "cost_at_list": cost}
            write(acct_i, bi, static, static, fields, p_lo_h, p_hi_h, "shared", "non_ai")

    # ---- adjustments: a few per week, on a line used today, exported 1-3 days later
    if day_templates and rng.random() < 0.35:
        t = company.templates[rng.choice(day_templates)]
        adj_type, adj_mode, adj_desc = rng.choice(ADJ_TYPES)
        h = p_lo_h + rng.randrange(max(1, p_hi_h - p_lo_h - 1))
        bi = timeline.first_batch_at(end_us + int((1 + 2 * rng.random()) * _DAY_US))
        if bi < timeline.n_batches:
            adj_month = _late_invoice_month(timeline.hour_month[h], timeline.batch_us[bi])
            base_cost = t.effective_price * t.quantity
            if adj_type == "USAGE_CORRECTION":  # 20 % of the usage taken back
                amount = -round(t.quantity * (3600.0 if t.unit == "hour" else 1.0) * 0.2, 0)
                if t.unit == "hour":
                    cost = round(amount / t.units_per_pricing_unit * t.effective_price, 6) + 0.0
                else:
                    cost = round(-0.2 * base_cost, 6) + 0.0
            else:  # money only, mostly a credit
                amount = 0.0
                cost = round(-(0.05 + 0.5 * rng.random()) * max(base_cost, 1.0), 6) + 0.0
                if adj_type == "METADATA_CORRECTION" and rng.random() < 0.5:
                    cost = -cost + 0.0
            adj_id = _hexid("adj", str(h), str(bi), t.key_prefix, groups=4).lower()
            static = dict(t.static)
            static.pop("transaction_type", None)
            parquet_static = None
            if parquet:
                parquet_static = dict(t.parquet_static)
                parquet_static.pop("transaction_type", None)
            acct_i = t.account_index
            fields = {"usage_start_time": timeline.hour_ts[h], "usage_end_time": timeline.hour_ts[h + 1],
                      "export_time": timeline.export_ts(bi), "cost": cost,
                      "currency_conversion_rate": _conversion_rate(acct_i, adj_month),
                      "usage": {"amount": amount, "unit": t.usage_unit,
                                "amount_in_pricing_units": amount / t.units_per_pricing_unit,
                                "pricing_unit": t.pricing_unit},
                      "credits": [], "invoice": timeline.invoice(adj_month), "cost_type": "adjustment",
                      "adjustment_info": {"id": adj_id, "description": adj_desc, "mode": adj_mode, "type": adj_type},
                      "cost_at_list": cost}
            write(acct_i, bi, static, parquet_static, fields, h, h + 1, t.team, t.phase)

    # ---- rounding error at month end, account level
    if is_month_end:
        for acct_i, acct in enumerate(ACCOUNTS):
            cost = round((rng.random() - 0.5) * 0.02, 6) + 0.0
            if cost == 0.0:
                cost = 0.000001
            bi = timeline.first_batch_at(end_us + int(5 * _HOUR_US))
            static = {"billing_account_id": acct["id"], "service": invoice_service,
                      "sku": {"id": _hexid("invoice", "Rounding error"), "description": "Rounding error"},
                      "labels": [], "currency": acct["currency"]}
            fields = {"usage_start_time": start_ts, "usage_end_time": end_ts, "export_time": timeline.export_ts(bi),
                      "cost": cost, "currency_conversion_rate": _conversion_rate(acct_i, month),
                      "invoice": timeline.invoice(month), "cost_type": "rounding_error", "cost_at_list": cost}
            write(acct_i, bi, static, static, fields, p_lo_h, p_hi_h, "shared", "non_ai")
