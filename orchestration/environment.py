"""Where this deployment reads and writes: one pure function of environment variables.

Local (default): the embedded DuckDB warehouse at ``CHARGEBACK_DUCKDB_PATH``
(``data/warehouse.duckdb`` under the project). Production: ``CHARGEBACK_DBT_TARGET=bigquery``
runs dbt against the ``bigquery`` target of profiles.yml, whose project, dataset and location
come from ``CHARGEBACK_BQ_*`` and credentials from application default credentials.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DBT_TARGETS = ("duckdb", "bigquery")


@dataclass(frozen=True)
class Environment:
    dbt_target: str
    duckdb_path: Path
    duckdb_memory_limit: str
    landing_dir: Path

    @property
    def is_local(self) -> bool:
        return self.dbt_target == "duckdb"


def _absolute(value: str | None, default: Path) -> Path:
    # Relative paths are the user's, relative to where they run the command; dbt runs in the
    # project folder, so every path handed on is made absolute here.
    return Path(value).expanduser().resolve() if value else default


def current_environment(env: Mapping[str, str] = os.environ) -> Environment:
    target = env.get("CHARGEBACK_DBT_TARGET", "duckdb")
    if target not in DBT_TARGETS:
        raise ValueError(f"CHARGEBACK_DBT_TARGET must be one of {DBT_TARGETS}, got {target!r}")
    return Environment(
        dbt_target=target,
        duckdb_path=_absolute(env.get("CHARGEBACK_DUCKDB_PATH"), PROJECT_ROOT / "data" / "warehouse.duckdb"),
        # DuckDB spills to disk beyond this, so 10M-row loads and builds fit a laptop.
        duckdb_memory_limit=env.get("CHARGEBACK_DUCKDB_MEMORY_LIMIT", "3GB"),
        landing_dir=_absolute(env.get("CHARGEBACK_LANDING_DIR"), PROJECT_ROOT / "data" / "landing" / "gcp"),
    )


def dbt_subprocess_env(environment: Environment) -> dict[str, str]:
    """Variables dbt must see so that it writes to the same warehouse as the Python code."""
    return {
        "CHARGEBACK_DBT_TARGET": environment.dbt_target,
        "CHARGEBACK_DUCKDB_PATH": str(environment.duckdb_path),
        "CHARGEBACK_DUCKDB_MEMORY_LIMIT": environment.duckdb_memory_limit,
    }


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH; make it the one installed beside this interpreter,
    so `.venv/bin/python -m pytest` or a scheduler need not activate the virtualenv."""
    import shutil
    import sys

    bin_dir = Path(sys.executable).parent
    if (bin_dir / "dbt").exists() and shutil.which("dbt") != str(bin_dir / "dbt"):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
