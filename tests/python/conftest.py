"""Test session setup: every test that touches a warehouse uses temporary files, never data/.

The environment is set, and the dbt project prepared for it, before any test module imports
orchestration.definitions, which reads the environment once (as a deployment would).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="chargeback-tests-"))


def pytest_configure(config):
    os.environ["CHARGEBACK_DBT_TARGET"] = "duckdb"
    os.environ["CHARGEBACK_DUCKDB_PATH"] = str(_SESSION_DIR / "warehouse.duckdb")
    os.environ["CHARGEBACK_LANDING_DIR"] = str(_SESSION_DIR / "landing")
    os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster")
    (_SESSION_DIR / "dagster").mkdir(exist_ok=True)
    from orchestration.settings import Settings
    from orchestration.transform.project import chargeback_dbt_project, prepare

    settings = Settings.from_env()
    prepare(chargeback_dbt_project(settings), settings)


@pytest.fixture(scope="module")
def session_manifest_kept():
    """For modules whose `chargeback` subprocesses (or definitions) parse the dbt project for a
    warehouse of their own, over the manifest this session prepared: prepared again for the
    session once the module is done (`pytestmark = pytest.mark.usefixtures(...)`)."""
    yield
    from orchestration.settings import Settings
    from orchestration.transform.project import chargeback_dbt_project, prepare

    settings = Settings.from_env()
    prepare(chargeback_dbt_project(settings), settings)


@pytest.fixture(scope="session")
def resources_for():
    """A factory: the definitions' resources, for a DuckDB warehouse file of a test's own."""
    from orchestration.resources import build_resources
    from orchestration.settings import Settings
    from orchestration.transform.project import chargeback_dbt_project

    def build(warehouse: Path, **great_expectations) -> dict:
        settings = Settings.from_env({**os.environ, "CHARGEBACK_DUCKDB_PATH": str(warehouse)})
        resources = build_resources(settings, chargeback_dbt_project(settings))
        if great_expectations:
            resources["great_expectations"] = resources["great_expectations"].model_copy(update=great_expectations)
        return resources

    return build


@pytest.fixture(scope="session")
def build_from_export(resources_for):
    """A factory: `build_from_export(root, export)` ingests the export folder into the warehouse
    root/warehouse.duckdb of a module's own and builds and publishes it with the real assets;
    returns the build's result. Call it with CHARGEBACK_DUCKDB_PATH set to that warehouse."""
    import dagster as dg
    from dagster_dbt import DbtCliResource

    from orchestration.ingestion.assets import gcp_billing_export, ingestion_run_config
    from orchestration.settings import Settings
    from orchestration.transform.assets import build_dbt_assets
    from orchestration.transform.project import chargeback_dbt_project, prepare
    from orchestration.transform.publication import build_publication_asset

    def build(root: Path, export: Path) -> dg.ExecuteInProcessResult:
        resources = resources_for(root / "warehouse.duckdb", gx_dir=str(root / "gx"))
        loaded = dg.materialize(
            [gcp_billing_export], resources=resources, run_config=ingestion_run_config([str(export)])
        )
        assert loaded.success
        settings = Settings.from_env()
        project = chargeback_dbt_project(settings)
        prepare(project, settings)
        dbt_assets = build_dbt_assets(project)
        result = dg.materialize(
            [dbt_assets, build_publication_asset(dbt_assets.keys)],
            resources={**resources, "dbt": DbtCliResource(project_dir=project)},
        )
        assert result.success
        return result

    return build


@pytest.fixture(scope="session")
def working_copy():
    """`working_copy(published)`: where runs write for the warehouse published at that path
    (ingestion loads there; a build publishes it to the path itself)."""
    from warehouse_snapshot import working_copy

    return working_copy


@pytest.fixture(scope="session")
def ingest(resources_for):
    """`ingest(db_path, paths)`: the GCP loader on a connection to that warehouse file, opened as
    the ingestion asset opens it (the warehouse resource, with the loader's settings), and closed
    after, so the test's own queries can open the file. `bounds`: the loader's ValueBounds
    (default: from the environment, around the current time)."""
    from orchestration.ingestion.assets import raw_tables
    from orchestration.ingestion.gcp_loader import LOAD_CONNECTION_CONFIG, ingest_gcp_files

    def ingest(db: Path, paths: list[Path], bounds=None) -> list:
        warehouse = resources_for(db)["warehouse"]
        with warehouse.connection(LOAD_CONNECTION_CONFIG) as con:
            return ingest_gcp_files(con, paths, raw_tables(warehouse), bounds)

    return ingest


@pytest.fixture(scope="session")
def raw_tables(resources_for, tmp_path_factory):
    """Where the loader writes in the tests' warehouses (the session manifest's export)."""
    from orchestration.ingestion.assets import raw_tables

    return raw_tables(resources_for(tmp_path_factory.mktemp("any") / "w.duckdb")["warehouse"])


@pytest.fixture
def hold_working_copy():
    """`hold_working_copy(path, seconds)`: another process takes the working copy's lock (as a run
    would) and keeps it for `seconds`; returns that process once it holds the lock. Killed after
    the test if still running."""
    import subprocess
    import sys

    holders = []

    def start(working: Path, seconds: float) -> subprocess.Popen:
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; from pathlib import Path; "
             "from orchestration.locks import hold\n"
             "with hold(Path(sys.argv[1]), 'a test holding the working copy', 5):\n"
             "    print('held', flush=True); time.sleep(float(sys.argv[2]))", str(working), str(seconds)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        holders.append(holder)
        assert holder.stdout.readline().strip() == "held"
        return holder

    yield start
    for holder in holders:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------------- BigQuery, offline
BIGQUERY_EXPORT = ("billing-project", "billing_export", "gcp_billing_export_resource_v1_0123AB_4567CD_89EF01")


class FakeBigQueryClient:
    """What BigQueryWarehouse calls on google-cloud-bigquery's client, recorded. `frames` answer
    queries by a text they contain; `tables` are the tables that exist, with their schema."""

    def __init__(self, frames: dict | None = None, tables: dict | None = None):
        self.calls: list[tuple] = []
        self.frames, self.tables = frames or {}, tables or {}

    def query(self, text):
        self.calls.append(("query", text))
        frame = next(frame for needle, frame in self.frames.items() if needle in text)

        class Result:
            def result(self):
                return self

            def to_dataframe(self):
                return frame.copy()

        return Result()

    def get_table(self, table_id):
        from google.api_core.exceptions import NotFound

        self.calls.append(("get_table", table_id))
        if table_id not in self.tables:
            raise NotFound(f"Not found: Table {table_id}")

        class Table:
            schema = self.tables[table_id]

        return Table()

    def create_dataset(self, dataset, exists_ok):
        self.calls.append(("create_dataset", dataset.dataset_id, dataset.location, exists_ok))

    def load_table_from_dataframe(self, frame, destination, job_config):
        self.calls.append(("load", destination, frame, job_config.write_disposition))

        class Job:
            def result(self):
                return self

        return Job()


@pytest.fixture
def bigquery_warehouse(tmp_path, monkeypatch):
    """A factory: a BigQueryWarehouse (project finops-prod, location EU) whose client is a
    FakeBigQueryClient, and whose manifest has the export table and the quality models."""
    import json
    from contextlib import contextmanager

    from dagster_gcp import BigQueryResource

    from orchestration.quality import suites
    from orchestration.resources import BigQueryWarehouse
    from orchestration.transform.project import GCP_EXPORT_SOURCE

    manifest = tmp_path / "bigquery-manifest.json"
    database, schema, identifier = BIGQUERY_EXPORT
    models = {
        f"model.ai_chargeback.{name}": {
            "resource_type": "model",
            "name": name,
            "database": "finops-prod",
            "schema": "finops_quality",
            "alias": name,
        }
        for name in (suites.COVERAGE_MODEL, suites.UNTAGGED_MODEL)
    }
    manifest.write_text(
        json.dumps(
            {
                "sources": {GCP_EXPORT_SOURCE: {"database": database, "schema": schema, "identifier": identifier}},
                "nodes": models,
            }
        )
    )

    def build(frames: dict | None = None, tables: dict | None = None):
        client = FakeBigQueryClient(frames, tables)
        monkeypatch.setattr(BigQueryResource, "get_client", contextmanager(lambda self: (yield client)))
        warehouse = BigQueryWarehouse(
            manifest_path=str(manifest),
            bigquery=BigQueryResource(project="finops-prod", location="EU"),
            published_dataset="finops",
        )
        return warehouse, client

    return build
