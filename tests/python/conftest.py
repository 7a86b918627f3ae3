"""Test session setup: every test that touches a warehouse uses temporary files, never data/.

The environment is set before any test module imports orchestration.definitions, which reads
it once (as a deployment would).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="chargeback-tests-"))


def pytest_configure(config):
    os.environ["CHARGEBACK_DBT_TARGET"] = "duckdb"
    os.environ["CHARGEBACK_DUCKDB_PATH"] = str(_SESSION_DIR / "warehouse.duckdb")
    os.environ["CHARGEBACK_LANDING_DIR"] = str(_SESSION_DIR / "landing")
    os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster")
    (_SESSION_DIR / "dagster").mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def ingest():
    """`ingest(db_path, paths)`: the GCP loader on a connection of its own to that warehouse file,
    opened as the ingestion asset opens it (the warehouse resource's default memory_limit) and
    closed after, so the test's own queries can open the file."""
    from orchestration.ingestion.gcp_loader import (
        LOAD_CONNECTION_CONFIG,
        ingest_gcp_files,
    )

    def ingest(db: Path, paths: list[Path]) -> list:
        with duckdb.connect(str(db), config={"memory_limit": "3GB", **LOAD_CONNECTION_CONFIG}) as con:
            return ingest_gcp_files(con, paths)

    return ingest
