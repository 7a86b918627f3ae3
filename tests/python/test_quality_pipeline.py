"""The data-quality checks in the real pipeline, on a warehouse of this module's own.

1. Demo data with tag coverage broken on purpose (`--untagged-share 0.4`): the build succeeds
   (coverage WARNs by default), and the failure is visible as a Dagster asset check result with
   its figures, in `chargeback build`'s printout, and in quality.check_results.
2. A fault injected into a copy of the dbt project (the staging model drops tax rows): the money
   gate (the dbt test cost_groups_conserve_gcp_export_money on int_cost_groups) fails, dbt builds
   nothing downstream of it, the published marts are exactly as they were, and the run fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from orchestration.cli import print_check_results
from orchestration.generate.gcp import generate_gcp_export
from orchestration.ingestion.assets import GCP_BILLING_EXPORT, gcp_billing_export, ingestion_run_config
from orchestration.quality import suites
from orchestration.quality.gx_checks import EXPORT_SCHEMA_KEY, QUALITY_CHECK_KEYS, TAG_COVERAGE_KEY, quality_checks
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.settings import PROJECT_ROOT, Settings
from orchestration.transform.assets import build_dbt_assets
from orchestration.transform.project import chargeback_dbt_project, prepare
from orchestration.transform.publication import build_publication_asset

ROWS = 9000  # one month: ~290 line items a day, enough to judge each day's coverage (200+)
STAGING_MODEL = Path("models/staging/gcp_billing_export/stg_gcp_billing_export__cost_line_items.sql")
MONEY_GATE = dg.AssetCheckKey(dg.AssetKey(["int_cost_groups"]), "cost_groups_conserve_gcp_export_money")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality-pipeline")
    # dbt runs as a subprocess and reads the warehouse path from the environment, as profiles.yml says.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHARGEBACK_DUCKDB_PATH", str(root / "warehouse.duckdb"))
        yield root


def _build(root: Path, resources_for, project_dir: Path = PROJECT_ROOT) -> dg.ExecuteInProcessResult:
    # build_job's selection: every dbt asset and check, and the export's schema gate.
    selection = (dg.AssetSelection.all() - dg.AssetSelection.assets(GCP_BILLING_EXPORT)) | dg.AssetSelection.checks(
        EXPORT_SCHEMA_KEY
    )
    settings = Settings.from_env()
    # dagster-dbt runs dbt in the assets' own project, so a copy of the project needs assets of its own.
    project = chargeback_dbt_project(settings, project_dir)
    prepare(project, settings)
    resources = {
        **resources_for(root / "warehouse.duckdb", gx_dir=str(root / "gx")),
        "dbt": DbtCliResource(project_dir=project),
    }
    dbt_assets = build_dbt_assets(project)
    return dg.materialize(
        [gcp_billing_export, dbt_assets, build_publication_asset(dbt_assets.keys), *quality_checks],
        selection=selection,
        resources=resources,
        raise_on_error=False,
    )


def _query(root: Path, text: str):
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(text).fetchall()


def _evaluations(result) -> dict:
    return {e.asset_check_key: e for e in result.get_asset_check_evaluations()}


@pytest.fixture(scope="module")
def broken_coverage_build(root, resources_for):
    export = root / "export"
    summary = generate_gcp_export(export, rows=ROWS, seed=11, months=1, untagged_share=0.4)
    assert summary.untagged_share > 0.3
    loaded = dg.materialize(
        [gcp_billing_export],
        resources=resources_for(root / "warehouse.duckdb"),
        run_config=ingestion_run_config([str(export)]),
    )
    assert loaded.success
    return _build(root, resources_for)


def test_broken_tag_coverage_warns_but_the_build_succeeds(broken_coverage_build):
    result = broken_coverage_build
    assert result.success, "a coverage WARN must not fail the build"
    evaluations = _evaluations(result)
    assert set(QUALITY_CHECK_KEYS) <= set(evaluations), "every GX check ran"
    coverage = evaluations[TAG_COVERAGE_KEY]
    assert not coverage.passed and coverage.severity == dg.AssetCheckSeverity.WARN
    metadata = coverage.metadata
    assert metadata["lowest_tag_coverage_pct"].value < 90
    assert metadata["days_below_target"].value > 20
    assert "sub_account_id" in metadata["top_offenders"].value
    # The money and the schema hold. (The stripped resources fall to `unallocated` where no
    # folder mapping or rule catches them, so the unallocated share also jumps: a second WARN.)
    for key in (EXPORT_SCHEMA_KEY, MONEY_GATE):
        assert evaluations[key].passed, key
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in evaluations.values() if not e.passed)


def test_broken_tag_coverage_is_printed_by_chargeback_build(broken_coverage_build, capsys):
    print_check_results(broken_coverage_build)
    printed = capsys.readouterr()
    assert "FAILED (WARN)   gx_tag_coverage on fct_tag_coverage_daily" in printed.err
    assert "top offenders" in printed.err
    assert "passed          gx_export_schema" in printed.out


def test_broken_tag_coverage_is_in_the_results_table(broken_coverage_build, root):
    rows = _query(
        root,
        "select run_id, check_name, asset_key, severity, passed, observed_value, threshold, "
        "json_extract_string(details, '$.top_offenders[0].sub_account_id') "
        "from quality.check_results order by checked_at",
    )
    assert {row[0] for row in rows} == {broken_coverage_build.run_id}
    by_name = {row[1]: row for row in rows}
    assert set(by_name) == {key.name for key in QUALITY_CHECK_KEYS}
    _, _, asset, severity, passed, observed, threshold, offender = by_name[suites.TAG_COVERAGE]
    assert (asset, severity, passed, threshold) == ("fct_tag_coverage_daily", "WARN", False, 0.90)
    assert observed < 0.90 and offender


def test_data_docs_render_the_stored_validations(broken_coverage_build, root):
    site = GreatExpectationsResource(gx_dir=str(root / "gx")).build_data_docs()
    index = Path(site.removeprefix("file://"))
    assert index.exists()
    assert (index.parent / "validations" / suites.TAG_COVERAGE).is_dir()


def _faulty_project(root: Path) -> Path:
    """A copy of the dbt project whose staging model loses the main account's tax rows."""
    copy = root / "dbt-faulty"
    for name in ("dbt_project.yml", "profiles.yml"):
        copy.mkdir(exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, copy / name)
    for name in ("models", "seeds", "macros", "tests/dbt"):
        shutil.copytree(PROJECT_ROOT / name, copy / name)
    staging = copy / STAGING_MODEL
    text = staging.read_text()
    source = "from {{ source('gcp_billing_export', 'detailed_usage_cost') }}"
    assert source in text, "the staging model changed: update the fault injection"
    # A filter that quietly loses the main account's tax lines: the staging unit tests (other
    # accounts) and every column test still pass; only the money check can see it.
    fault = " where not (cost_type = 'tax' and billing_account_id = '0136A2-7F9C4E-B81D05')"
    staging.write_text(text.replace(source, source + fault, 1))
    return copy


def test_money_lost_before_the_marts_blocks_them(broken_coverage_build, root, resources_for):
    marts_before = _query(
        root, "select invoice_month, team, workload_phase, billed_cost from marts.fct_chargeback_monthly order by all"
    )
    items_before = _query(root, "select count(*), sum(billed_cost) from marts.fct_cost_line_items")

    result = _build(root, resources_for, _faulty_project(root))

    assert not result.success, "the run must fail visibly"
    gate = _evaluations(result)[MONEY_GATE]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    assert gate.metadata["dagster_dbt/failed_row_count"].value > 0
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["int_cost_groups"]) in materialized, "the fault reached the intermediate layer"
    assert not materialized & {
        dg.AssetKey([m])
        for m in (
            "int_cost_groups_attributed",
            "int_cost_groups_allocated",
            "fct_cost_line_items",
            "fct_chargeback_monthly",
            "fct_tag_coverage_daily",
            "fct_cost_daily",
        )
    }
    # The published marts are exactly as they were.
    assert (
        _query(
            root,
            "select invoice_month, team, workload_phase, billed_cost from marts.fct_chargeback_monthly order by all",
        )
        == marts_before
    )
    assert _query(root, "select count(*), sum(billed_cost) from marts.fct_cost_line_items") == items_before
