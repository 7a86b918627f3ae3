"""Test session setup: every test that touches a warehouse uses temporary files, never data/.

The environment is set before any test module imports orchestration.definitions, which reads
it once (as a deployment would).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="chargeback-tests-"))


def pytest_configure(config):
    os.environ["CHARGEBACK_DBT_TARGET"] = "duckdb"
    os.environ["CHARGEBACK_DUCKDB_PATH"] = str(_SESSION_DIR / "warehouse.duckdb")
    os.environ["CHARGEBACK_LANDING_DIR"] = str(_SESSION_DIR / "landing")
    os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster")
    (_SESSION_DIR / "dagster").mkdir(exist_ok=True)
