"""Where this deployment reads and writes, read from the environment once.

Each fact has one home:
- the warehouse connection (the dbt target, the DuckDB file, the BigQuery project, the marts
  dataset and location) is configured in profiles.yml, from ``CHARGEBACK_*`` environment variables.
  dbt reads it, and so does `Settings.from_env`, rendering the same file with the same
  environment, so dbt and the Python code cannot point at different warehouses;
- where the GCP export is (``CHARGEBACK_EXPORT_PROJECT``, ``_DATASET``, ``_TABLE``) and where each
  model lands are dbt's to say: the dbt source and the models' schemas. Python reads them from
  the manifest, prepared for these settings (orchestration/transform/project.py);
- the landing folder the sensor watches is Python's alone (``CHARGEBACK_LANDING_DIR``).

Locally there are two DuckDB files: the published warehouse at ``CHARGEBACK_DUCKDB_PATH``, which
readers open read-only and only a publication replaces, and its working copy
``<that path>.work/<file name>``, where ingestion loads and dbt builds (profiles.yml names it).

Relative paths are relative to the project folder, where dbt runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILES_PATH = PROJECT_ROOT / "profiles.yml"
PROFILE_NAME = "ai_chargeback"
TARGETS = ("duckdb", "bigquery")

# Every variable the project reads starts with this: profiles.yml, the dbt source, and this module.
ENV_PREFIX = "CHARGEBACK_"
DEFAULT_LANDING_DIR = "data/landing/gcp"
DEFAULT_BUSINESS_METRICS_DIR = "data/business_metrics"
# Variables only the Python code reads (dbt never does): they do not make the manifest stale.
PYTHON_ONLY = (
    f"{ENV_PREFIX}LANDING_DIR",
    f"{ENV_PREFIX}WAREHOUSE_WAIT_SECONDS",
    f"{ENV_PREFIX}INGEST_",
    f"{ENV_PREFIX}BUSINESS_METRICS_DIR",
    f"{ENV_PREFIX}ALERT_",
)
# The working copy of the published DuckDB file <path> is <path>.work/<file name> (profiles.yml).
WORKING_COPY_SUFFIX = ".work"
# A daily build of 10M rows holds the working copy for minutes; an ingestion waits that long.
DEFAULT_WAREHOUSE_WAIT_SECONDS = 1800.0
# The spend alerts (orchestration/alerts/): each check's severity, and the variable holding the
# notification targets, which the alerts resource reads when it sends (webhook URLs carry tokens:
# never in the Dagster config the UI shows).
ALERT_URLS_VARIABLE = f"{ENV_PREFIX}ALERT_URLS"
ALERT_SEVERITY_VARIABLES = {
    "budget": f"{ENV_PREFIX}ALERT_BUDGET_SEVERITY",
    "anomaly": f"{ENV_PREFIX}ALERT_ANOMALY_SEVERITY",
}
ALERT_SEVERITIES = ("WARN", "ERROR")


class SettingsError(ValueError):
    """The environment names an impossible deployment (an unknown target, a missing project)."""


@dataclass(frozen=True)
class Settings:
    target: str
    """The dbt target, `duckdb` (embedded, local) or `bigquery` (production)."""
    landing_dir: Path
    business_metrics_dir: Path = Path(DEFAULT_BUSINESS_METRICS_DIR)
    """Where the business drops its unit-metric CSV files (CHARGEBACK_BUSINESS_METRICS_DIR)."""
    duckdb_path: Path | None = None
    """The published DuckDB warehouse (CHARGEBACK_DUCKDB_PATH): what readers open."""
    duckdb_working_path: Path | None = None
    """Its working copy, where ingestion loads and dbt builds (profiles.yml's path)."""
    duckdb_config: Mapping[str, Any] = field(default_factory=dict)
    """DuckDB settings of the profile (memory_limit, TimeZone, ...), for every Python connection too."""
    bigquery_project: str | None = None
    bigquery_dataset: str | None = None
    """The dataset the marts land in; other layers go to `<dataset>_<layer>` beside it."""
    bigquery_location: str | None = None
    warehouse_wait_seconds: float = DEFAULT_WAREHOUSE_WAIT_SECONDS
    """How long a run waits for the working copy another run holds (CHARGEBACK_WAREHOUSE_WAIT_SECONDS)."""
    alert_severities: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(ALERT_SEVERITY_VARIABLES, "WARN"))
    """Severity of each spend-alert check, `budget` and `anomaly`: WARN (default) or ERROR."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """The CHARGEBACK_* variables dbt reads too (all but PYTHON_ONLY), as read: the manifest depends on them."""

    @property
    def is_local(self) -> bool:
        return self.target == "duckdb"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        profile = render_profile(env)
        target, output = profile["target"], profile["output"]
        common = {
            "target": target,
            "landing_dir": _project_path(env.get(f"{ENV_PREFIX}LANDING_DIR") or DEFAULT_LANDING_DIR),
            "business_metrics_dir": _project_path(
                env.get(f"{ENV_PREFIX}BUSINESS_METRICS_DIR") or DEFAULT_BUSINESS_METRICS_DIR
            ),
            "warehouse_wait_seconds": _seconds(
                env, f"{ENV_PREFIX}WAREHOUSE_WAIT_SECONDS", DEFAULT_WAREHOUSE_WAIT_SECONDS
            ),
            "alert_severities": {kind: _severity(env, name) for kind, name in ALERT_SEVERITY_VARIABLES.items()},
            "environment": {
                name: value
                for name, value in sorted(env.items())
                if name.startswith(ENV_PREFIX) and not name.startswith(PYTHON_ONLY)
            },
        }
        if target == "duckdb":
            working = _project_path(output["path"])
            return cls(
                **common,
                duckdb_path=published_path(working),
                duckdb_working_path=working,
                duckdb_config=dict(output.get("settings") or {}),
            )
        return cls(
            **common,
            bigquery_project=output["project"],
            bigquery_dataset=output["dataset"],
            bigquery_location=output.get("location"),
        )

    def fingerprint(self) -> str:
        """Changes when anything dbt reads from the environment changes (so does its manifest)."""
        return hashlib.sha256(json.dumps(self.environment, sort_keys=True).encode()).hexdigest()[:16]


def render_profile(env: Mapping[str, str], path: Path = PROFILES_PATH) -> dict[str, Any]:
    """profiles.yml's profile as dbt renders it in `env`: the target's name and its output.

    Only `env_var(name[, default])` is available in the file, as in dbt (var() is not used there)."""
    profile = yaml.safe_load(path.read_text())[PROFILE_NAME]

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise SettingsError(f"{path.name} needs the environment variable {name}, which is not set")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)

    def render(value: Any) -> Any:
        if isinstance(value, str):
            return jinja.from_string(value).render(env_var=env_var)
        if isinstance(value, dict):
            return {key: render(item) for key, item in value.items()}
        return value

    target = render(profile["target"])
    if target not in profile["outputs"]:
        raise SettingsError(f"CHARGEBACK_DBT_TARGET must be one of {', '.join(TARGETS)}, got {target!r}")
    # Only the chosen output, as dbt does: the other one's variables need not be set.
    return {"target": target, "output": render(profile["outputs"][target])}


def published_path(working: Path) -> Path:
    """The published file whose working copy is `working` (`<published>.work/<published name>`)."""
    folder = working.parent
    if not folder.name.endswith(WORKING_COPY_SUFFIX) or folder.name.removesuffix(WORKING_COPY_SUFFIX) != working.name:
        raise SettingsError(
            f"profiles.yml's DuckDB path must be <published file>{WORKING_COPY_SUFFIX}/<its file name>, got {working}"
        )
    return folder.with_name(working.name)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise SettingsError(f"{name} must be a number of seconds (0 or more), got {text!r}")
    return value


def _severity(env: Mapping[str, str], name: str) -> str:
    text = (env.get(name) or "WARN").strip().upper()
    if text not in ALERT_SEVERITIES:
        raise SettingsError(f"{name} must be one of {', '.join(ALERT_SEVERITIES)}, got {env.get(name)!r}")
    return text


def _project_path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()
