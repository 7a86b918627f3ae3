"""The simulated company: its organisation, teams, billing accounts, projects and the resources
each project runs (SPECS, GKE_NAMESPACES), with the hours they run at (HOUR_PROFILES).

These are fixed facts; company.py builds the company of a seed and scale from them.
"""

ORG_NUMBER = "418273650912"
ORG_NAME = "example-ai.com"

TEAMS = [
    "foundation-models",
    "applied-ml",
    "inference-platform",
    "ml-platform",
    "data-engineering",
    "search-ranking",
    "trust-safety",
    "analytics",
    "web-app",
]

# billing accounts: `rate` converts the USD list prices to the account's currency, `share` is its
# share of the rows, `mr` its multi-region, `extract_hms` the time of day of its daily extracts,
# `tax` its tax rate
ACCOUNTS = [
    {
        "id": "0136A2-7F9C4E-B81D05",
        "currency": "USD",
        "rate": 1.0,
        "share": 0.9,
        "region": "us-central1",
        "country": "US",
        "geo": "Americas",
        "mr": "US",
        "city": "Iowa",
        "extract_hms": "031200",
        "tax": 0.0625,
    },
    {
        "id": "01F3C9-2E8A71-D4B6A0",
        "currency": "EUR",
        "rate": 0.92,
        "share": 0.1,
        "region": "europe-west4",
        "country": "NL",
        "geo": "EMEA",
        "mr": "EU",
        "city": "Netherlands",
        "extract_hms": "032700",
        "tax": 0.0,
    },
]
# the EUR account's currency_conversion_rate, cycled over the invoice months
_EUR_MONTHLY = [0.9184, 0.9211, 0.9197, 0.9226, 0.9172, 0.9203]


def conversion_rate(acct_i: int, month: str) -> float:
    """currency_conversion_rate of a billing account in an invoice month (YYYYMM)."""
    if acct_i == 0:
        return 1.0
    k = (int(month[:4]) * 12 + int(month[4:])) % len(_EUR_MONTHLY)
    return _EUR_MONTHLY[k]


# departments (folders) -> teams
DEPARTMENTS = {
    "research": ["foundation-models", "applied-ml"],
    "ml-infrastructure": ["inference-platform", "ml-platform"],
    "data": ["data-engineering", "analytics"],
    "product": ["search-ranking", "trust-safety", "web-app"],
}

# hour-of-day profiles (UTC); Pacific business hours are 16-01 UTC in summer
HOUR_PROFILES = {
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
    (
        "fm-train-prod",
        "gcs_bucket",
        "fm-pretraining-corpus|fm-tokenized-shards",
        2,
        False,
        "data_preparation",
        "flat",
        1.0,
    ),
    ("fm-train-prod", "gcs_bucket", "fm-checkpoints", 1, False, "training", "flat", 1.0),
    (
        "fm-train-prod",
        "dataflow_job",
        "fm-tokenize-corpus-v{i}|beam-job-{n}",
        1,
        True,
        "data_preparation",
        "nightly",
        0.5,
    ),
    ("fm-research-dev", "a2_vm", "fm-ablation-a100-{i}|gpu-box-{i}", 1, True, "experimentation", "business", 0.6),
    ("fm-research-dev", "workbench", "notebook-{p}", 2, True, "experimentation", "business", 0.7),
    ("applied-ml-prod", "a2_vm", "ft-a100-{i}|finetune-worker-{i}|a2-worker-{i}", 2, True, "fine_tuning", "flat", 0.8),
    ("applied-ml-prod", "vx_train_a100", "sft-job-{i}|custom-job-{n}", 1, True, "fine_tuning", "flat", 0.6),
    ("applied-ml-prod", "vx_tuning", "gemini-tuning-{i}", 1, False, "fine_tuning", "business", 0.4),
    ("applied-ml-prod", "vx_batch", "eval-batch-predict-{i}", 1, False, "experimentation", "nightly", 0.4),
    ("applied-ml-prod", "gcs_bucket", "applied-ml-datasets", 1, False, "data_preparation", "flat", 1.0),
    ("applied-ml-dev", "workbench", "notebook-{p}", 3, True, "experimentation", "business", 0.7),
    ("applied-ml-dev", "a2_vm1", "exp-a100-{i}|dev-vm-{i}", 1, True, "experimentation", "business", 0.5),
    (
        "inference-serving-prod",
        "vx_endpoint_a100",
        "chat-serving-endpoint-{i}|endpoint-{n}",
        2,
        True,
        "inference",
        "diurnal",
        1.0,
    ),
    (
        "inference-serving-prod",
        "vx_endpoint_l4",
        "embed-serving-endpoint-{i}|endpoint-{n}",
        2,
        True,
        "inference",
        "diurnal",
        1.0,
    ),
    ("inference-serving-prod", "gemini_api", "llm-gateway", 1, False, "inference", "diurnal", 1.0),
    (
        "inference-serving-prod",
        "g2_vm",
        "vllm-l4-{i}|inference-node-{i}|l4-host-{i}",
        4,
        True,
        "inference",
        "diurnal",
        1.0,
    ),
    ("inference-serving-prod", "lb", "llm-gateway-lb", 1, False, None, "diurnal", 1.0),
    ("inference-serving-prod", "logging", "", 1, False, None, "diurnal", 1.0),
    ("inference-serving-staging", "g2_vm", "vllm-staging-{i}", 1, True, "inference", "business", 0.6),
    ("ml-platform-shared-gke", "gke_cluster", "ml-shared-gke-usc1", 1, False, None, "flat", 1.0),
    ("ml-platform-tools", "e2_vm", "ci-runner-{i}|gh-runner-{i}", 2, True, None, "business", 0.8),
    ("ml-platform-tools", "gcs_bucket", "ml-artifacts-registry", 1, False, None, "flat", 1.0),
    ("ml-platform-tools", "monitoring", "", 1, False, None, "flat", 1.0),
    (
        "data-eng-pipelines-prod",
        "dataflow_job",
        "events-etl-{i}|beam-job-{n}",
        2,
        True,
        "data_preparation",
        "nightly",
        0.8,
    ),
    (
        "data-eng-pipelines-prod",
        "bq_dataset",
        "feature_store|training_sets",
        2,
        False,
        "data_preparation",
        "nightly",
        0.9,
    ),
    ("data-eng-pipelines-prod", "gcs_archive", "raw-events-archive", 1, False, "data_preparation", "flat", 1.0),
    ("data-eng-pipelines-dev", "dataflow_job", "etl-dev-{i}", 1, True, "data_preparation", "business", 0.4),
    (
        "search-ranking-prod",
        "vx_endpoint_l4",
        "ranker-serving-endpoint|endpoint-{n}",
        1,
        True,
        "inference",
        "diurnal",
        1.0,
    ),
    ("search-ranking-prod", "a2_vm", "ranker-train-a100-{i}|a2-{n}", 1, True, "training", "nightly", 0.6),
    ("search-ranking-prod", "bq_dataset", "search_features", 1, False, "data_preparation", "nightly", 0.8),
    ("search-ranking-dev", "workbench", "notebook-{p}", 1, True, "experimentation", "business", 0.6),
    (
        "tns-classifiers-prod",
        "vx_endpoint_l4",
        "safety-classifier-endpoint|endpoint-{n}",
        1,
        True,
        "inference",
        "diurnal",
        1.0,
    ),
    ("tns-classifiers-prod", "gemini_api", "moderation-gateway", 1, False, "inference", "diurnal", 0.7),
    (
        "tns-classifiers-prod",
        "vx_train_a100",
        "toxicity-ft-{i}|custom-job-{n}",
        1,
        False,
        "fine_tuning",
        "nightly",
        0.4,
    ),
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
PEOPLE = [
    "alice",
    "bob",
    "chen",
    "dana",
    "emeka",
    "farah",
    "gus",
    "hana",
    "ivan",
    "julia",
    "kofi",
    "lena",
    "mateo",
    "nina",
    "omar",
    "priya",
    "quinn",
    "ravi",
    "sofia",
    "tomas",
]
