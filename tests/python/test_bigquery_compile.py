"""Every piece of SQL must also run on BigQuery: compile the whole project for the `bigquery`
target offline and parse each compiled statement with sqlglot's BigQuery dialect.

sqlglot is lenient (a pass is not proof), so the compiled SQL is also searched for DuckDB-only
constructs that BigQuery would reject.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from orchestration.quality import suites
from orchestration.resources import BigQueryWarehouse
from orchestration.settings import PROJECT_ROOT
from orchestration.transform.project import DbtManifest

# No credentials and no network: `oauth-secrets` with a dummy token, and no introspection.
OFFLINE_PROFILE = """
ai_chargeback:
  target: bigquery
  outputs:
    bigquery:
      type: bigquery
      method: oauth-secrets
      token: offline-dummy-token
      project: offline-project
      dataset: ai_chargeback
      location: US
      threads: 2
"""

# Where the export is, set once in the environment: the dbt source reads it, and every check
# finds the export through the manifest.
EXPORT_ENV = {
    "CHARGEBACK_EXPORT_PROJECT": "billing-project",
    "CHARGEBACK_EXPORT_DATASET": "billing_export",
    "CHARGEBACK_EXPORT_TABLE": "gcp_billing_export_resource_v1_0123AB_4567CD_89EF01",
}

DUCKDB_ONLY = {
    "lambda": re.compile(r"\blambda\b"),
    "list_* function": re.compile(r"\blist_[a-z_]+\s*\("),
    ":: cast": re.compile(r"::"),
    "EXCLUDE": re.compile(r"\*\s*exclude\s*\(", re.IGNORECASE),
    "printf": re.compile(r"\bprintf\s*\("),
    "strftime": re.compile(r"\bstrftime\s*\("),
    "epoch_us": re.compile(r"\bepoch_us\s*\("),
    "varchar": re.compile(r"\bvarchar\b", re.IGNORECASE),
    "decimal(": re.compile(r"\bdecimal\s*\(", re.IGNORECASE),
    "rowid": re.compile(r"\browid\b", re.IGNORECASE),
    "hash(": re.compile(r"(?<![_.])\bhash\s*\(", re.IGNORECASE),
}


@pytest.fixture(scope="module")
def bigquery_target(tmp_path_factory) -> Path:
    """The project compiled for BigQuery: the target folder (manifest.json, compiled/)."""
    work = tmp_path_factory.mktemp("bigquery")
    (work / "profiles.yml").write_text(OFFLINE_PROFILE)
    target = work / "target"
    dbt = Path(sys.executable).parent / "dbt"
    completed = subprocess.run(
        [
            str(dbt),
            "compile",
            "--profiles-dir",
            str(work),
            "--target",
            "bigquery",
            "--target-path",
            str(target),
            "--no-populate-cache",
            "--no-introspect",
            "--exclude",
            "resource_type:unit_test",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **EXPORT_ENV},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return target


@pytest.fixture(scope="module")
def compiled_for_bigquery(bigquery_target) -> Path:
    return bigquery_target / "compiled" / "ai_chargeback"


def _compiled_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.sql"))


def test_every_model_and_test_compiles_for_bigquery(compiled_for_bigquery):
    models = {p.stem for p in (compiled_for_bigquery / "models").rglob("*.sql") if p.parent.suffix != ".yml"}
    expected = {p.stem for p in (PROJECT_ROOT / "models").rglob("*.sql")}
    assert expected <= models, f"not compiled: {sorted(expected - models)}"


def test_compiled_sql_parses_as_bigquery(compiled_for_bigquery):
    failures = []
    for path in _compiled_files(compiled_for_bigquery):
        try:
            sqlglot.parse(path.read_text(), read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as error:
            failures.append(f"{path.relative_to(compiled_for_bigquery)}: {error}")
    assert not failures, "\n".join(failures)


def test_compiled_sql_has_no_duckdb_only_constructs(compiled_for_bigquery):
    found = []
    for path in _compiled_files(compiled_for_bigquery):
        sql = path.read_text()
        for name, pattern in DUCKDB_ONLY.items():
            if pattern.search(sql):
                found.append(f"{path.relative_to(compiled_for_bigquery)}: {name}")
    assert not found, "DuckDB-only SQL compiled for BigQuery:\n" + "\n".join(found)


def test_marts_are_built_and_tested_in_the_build_dataset(compiled_for_bigquery):
    """Write, audit, publish: dbt builds and tests the marts in `<dataset>_build`; the publication
    step (not dbt) fills `<dataset>`, which readers query."""
    monthly = (compiled_for_bigquery / "models" / "marts" / "chargeback" / "fct_chargeback_monthly.sql").read_text()
    assert "`offline-project`.`ai_chargeback_intermediate`.`int_cost_groups_allocated`" in monthly
    (conservation,) = (compiled_for_bigquery / "models").rglob("chargeback_monthly_conserves_gcp_export_money.sql")
    assert "`offline-project`.`ai_chargeback_build`.`fct_chargeback_monthly`" in conservation.read_text()
    compiled = "\n".join(path.read_text() for path in _compiled_files(compiled_for_bigquery))
    assert "`offline-project`.`ai_chargeback`." not in compiled, "dbt reads or writes the published dataset"


def test_the_export_location_set_once_reaches_dbt_and_the_checks(bigquery_target, compiled_for_bigquery):
    """CHARGEBACK_EXPORT_* is read by the dbt source only; the checks find the export, the quality
    models and the results table through the manifest parsed with it."""
    export = "`billing-project`.`billing_export`.`gcp_billing_export_resource_v1_0123AB_4567CD_89EF01`"
    (totals,) = (compiled_for_bigquery / "models").rglob("int_cost_group_totals.sql")
    assert export in totals.read_text()
    warehouse = BigQueryWarehouse.model_construct(manifest_path=str(bigquery_target / "manifest.json"))
    assert warehouse.quoted(warehouse.export()) == export.replace("`.`", ".")
    coverage = warehouse.model(suites.COVERAGE_MODEL)
    assert warehouse.quoted(coverage) == "`offline-project.ai_chargeback_quality.qa_tag_coverage_by_provider_day`"
    assert DbtManifest(bigquery_target / "manifest.json").export().database == "billing-project"
