"""One setting per fact: the environment is read once, profiles.yml is the one home of the
connection, and the dbt manifest is prepared for the settings in use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_ROOT, Settings, SettingsError
from orchestration.transform.project import (
    DbtManifest,
    DbtProjectNotPrepared,
    chargeback_dbt_project,
    is_prepared,
    prepare,
    require_prepared,
)


def test_defaults_are_the_embedded_warehouse_under_the_project():
    settings = Settings.from_env({})
    assert settings.target == "duckdb" and settings.is_local
    assert settings.duckdb_path == PROJECT_ROOT / "data" / "warehouse.duckdb"
    assert settings.landing_dir == PROJECT_ROOT / "data" / "landing" / "gcp"
    # The profile's DuckDB settings, which every Python connection applies too.
    assert settings.duckdb_config == {"preserve_insertion_order": False, "TimeZone": "UTC", "memory_limit": "3GB"}


def test_python_reads_profiles_yml_as_dbt_does(tmp_path):
    env = {
        "CHARGEBACK_DUCKDB_PATH": "runs/mine.duckdb",
        "CHARGEBACK_DUCKDB_MEMORY_LIMIT": "1GB",
        "CHARGEBACK_LANDING_DIR": str(tmp_path / "landing"),
    }
    settings = Settings.from_env(env)
    # Relative to the project folder, where dbt runs and resolves the same path.
    assert settings.duckdb_path == PROJECT_ROOT / "runs" / "mine.duckdb"
    assert settings.duckdb_working_path == PROJECT_ROOT / "runs" / "mine.duckdb.work" / "mine.duckdb"
    assert settings.duckdb_config["memory_limit"] == "1GB"
    assert settings.landing_dir == tmp_path / "landing"
    # What dbt reads makes the manifest's fingerprint; what only Python reads does not.
    assert settings.environment == {
        name: env[name] for name in ("CHARGEBACK_DUCKDB_PATH", "CHARGEBACK_DUCKDB_MEMORY_LIMIT")
    }
    assert settings.fingerprint() == Settings.from_env({**env, "CHARGEBACK_WAREHOUSE_WAIT_SECONDS": "5"}).fingerprint()


def test_the_wait_for_the_working_copy_is_a_number_of_seconds():
    assert Settings.from_env({"CHARGEBACK_WAREHOUSE_WAIT_SECONDS": "90"}).warehouse_wait_seconds == 90
    with pytest.raises(SettingsError, match="CHARGEBACK_WAREHOUSE_WAIT_SECONDS must be a number of seconds"):
        Settings.from_env({"CHARGEBACK_WAREHOUSE_WAIT_SECONDS": "soon"})


def test_bigquery_target_needs_its_project_and_takes_dataset_and_location():
    with pytest.raises(SettingsError, match="CHARGEBACK_BQ_PROJECT"):
        Settings.from_env({"CHARGEBACK_DBT_TARGET": "bigquery"})
    settings = Settings.from_env(
        {
            "CHARGEBACK_DBT_TARGET": "bigquery",
            "CHARGEBACK_BQ_PROJECT": "finops-prod",
            "CHARGEBACK_BQ_DATASET": "finops",
            "CHARGEBACK_BQ_LOCATION": "EU",
        }
    )
    assert not settings.is_local and settings.duckdb_path is None
    assert (settings.bigquery_project, settings.bigquery_dataset, settings.bigquery_location) == (
        "finops-prod",
        "finops",
        "EU",
    )


def test_an_unknown_target_is_refused():
    with pytest.raises(SettingsError, match="one of duckdb, bigquery, got 'snowflake'"):
        Settings.from_env({"CHARGEBACK_DBT_TARGET": "snowflake"})


def test_the_fingerprint_follows_every_chargeback_variable_and_nothing_else():
    base = Settings.from_env({"HOME": "/root"})
    assert Settings.from_env({"HOME": "/elsewhere"}).fingerprint() == base.fingerprint()
    assert Settings.from_env({"CHARGEBACK_EXPORT_TABLE": "other"}).fingerprint() != base.fingerprint()


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("dbt-project")
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_ROOT / name, copy / name)
    for name in ("models", "seeds", "macros", "tests/dbt"):
        shutil.copytree(PROJECT_ROOT / name, copy / name)
    return copy


def test_the_manifest_is_prepared_for_the_settings_in_use(project_copy, monkeypatch):
    """A manifest parsed for other settings is never used: the export's location is rendered into
    it, and each target keeps its own."""
    local = {"CHARGEBACK_DUCKDB_PATH": str(project_copy / "warehouse.duckdb")}
    for name, value in local.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(local)
    project = chargeback_dbt_project(settings, project_copy)
    with pytest.raises(DbtProjectNotPrepared, match="chargeback prepare"):
        require_prepared(project, settings)
    prepare(project, settings)
    assert is_prepared(project, settings)
    assert DbtManifest(project.manifest_path).export().identifier == "gcp_billing_export_resource_v1"

    # The export moves: the same manifest no longer fits, and preparing again follows it.
    moved = {**local, "CHARGEBACK_EXPORT_DATASET": "billing_export", "CHARGEBACK_EXPORT_TABLE": "gcp_export_copy"}
    monkeypatch.setenv("CHARGEBACK_EXPORT_DATASET", "billing_export")
    monkeypatch.setenv("CHARGEBACK_EXPORT_TABLE", "gcp_export_copy")
    moved_settings = Settings.from_env(moved)
    assert not is_prepared(project, moved_settings)
    prepare(project, moved_settings)
    export = DbtManifest(project.manifest_path).export()
    assert (export.schema, export.identifier) == ("billing_export", "gcp_export_copy")

    # A dbt file newer than the manifest makes it stale too.
    model = next((project_copy / "models").rglob("fct_chargeback_monthly.sql"))
    model.touch()
    assert not is_prepared(project, moved_settings)


def test_each_target_keeps_its_own_manifest(project_copy, monkeypatch):
    bigquery = {
        "CHARGEBACK_DBT_TARGET": "bigquery",
        "CHARGEBACK_BQ_PROJECT": "finops-prod",
        "CHARGEBACK_BQ_DATASET": "finops",
        "CHARGEBACK_EXPORT_PROJECT": "billing-project",
        "CHARGEBACK_EXPORT_DATASET": "billing_export",
        "CHARGEBACK_EXPORT_TABLE": "gcp_billing_export_v1_X",
    }
    for name, value in bigquery.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(bigquery)
    project = chargeback_dbt_project(settings, project_copy)
    assert project.manifest_path == project_copy / "target" / "bigquery" / "manifest.json"
    prepare(project, settings)  # dbt parse needs no BigQuery credentials
    manifest = DbtManifest(project.manifest_path)
    export = manifest.export()
    assert (export.database, export.schema, export.identifier) == (
        "billing-project",
        "billing_export",
        "gcp_billing_export_v1_X",
    )
    monthly = manifest.model("fct_chargeback_monthly")
    # Built and checked in <dataset>_build; the publication step fills <dataset> (write, audit, publish).
    assert (monthly.database, monthly.schema) == ("finops-prod", "finops_build")
    assert {mart.schema for mart in manifest.marts()} == {"finops_build"}
    assert manifest.model("int_cost_groups").schema == "finops_intermediate"
    stamp = json.loads(project.manifest_path.with_name("prepared_for.json").read_text())
    assert stamp["environment"]["CHARGEBACK_DBT_TARGET"] == "bigquery"
