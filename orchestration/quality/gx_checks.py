"""The Great Expectations suites as Dagster asset checks, and the run that records them.

Where each runs, and what it stops:

- `gx_export_schema` on the GCP export: blocking. In build_job and the daily job it runs before
  dbt; an ERROR result stops the whole dbt graph (nothing downstream of the export is rebuilt).
  It is left out of ingest_gcp_job: a load is judged by the loader itself.
- `gx_tag_coverage` and `gx_unallocated_growth` on fct_tag_coverage_daily, after the marts, from
  the `quality` models dbt builds beside them: WARN by default; blocking, so a check configured
  to ERROR that fails stops the publication of the build (transform/publication.py).

The money is guarded by dbt, not here: the generic test conserves_gcp_export_money on
int_cost_groups fails `dbt build` before the marts (dagster-dbt shows it as a blocking check).
Every result carries its figures as metadata and is appended to `check_results`.
"""

import json
from collections.abc import Iterable

import dagster as dg

from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.quality import suites
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.quality.results import RESULTS_TABLE, CheckOutcome, results_frame
from orchestration.resources import Warehouse
from orchestration.transform.project import Relation

COVERAGE = dg.AssetKey([suites.COVERAGE_MART])
COVERAGE_FIGURES = [dg.AssetKey([suites.COVERAGE_MODEL]), dg.AssetKey([suites.UNTAGGED_MODEL])]

EXPORT_SCHEMA_KEY = dg.AssetCheckKey(GCP_BILLING_EXPORT, suites.EXPORT_SCHEMA)
TAG_COVERAGE_KEY = dg.AssetCheckKey(COVERAGE, suites.TAG_COVERAGE)
UNALLOCATED_GROWTH_KEY = dg.AssetCheckKey(COVERAGE, suites.UNALLOCATED_GROWTH)
QUALITY_CHECK_KEYS = (EXPORT_SCHEMA_KEY, TAG_COVERAGE_KEY, UNALLOCATED_GROWTH_KEY)


def results_relation(warehouse: Warehouse) -> Relation:
    """`check_results`, in the schema (dataset) of the quality models."""
    quality = warehouse.model(suites.COVERAGE_MODEL)
    return Relation(quality.database, quality.schema, RESULTS_TABLE)


def run_checks(
    great_expectations: GreatExpectationsResource, warehouse: Warehouse, check_names: Iterable[str], run_id: str
) -> list[CheckOutcome]:
    """Run the named suites (suites.* names) and record their outcomes; in that order."""
    validator = great_expectations.validator()
    thresholds = great_expectations.thresholds()
    outcomes = [
        suites.CHECKS[name](validator, warehouse, thresholds, great_expectations.severity(name)) for name in check_names
    ]
    if great_expectations.record_results and outcomes:
        warehouse.append(results_relation(warehouse), results_frame([o.row(run_id, warehouse.name) for o in outcomes]))
    return outcomes


def _md_table(rows: list[dict], limit: int = 10) -> str:
    if not rows:
        return "(none)"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    for row in rows[:limit]:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, float):
                value = f"{value:.2%}" if ("coverage" in column or "share" in column) else f"{value:,.2f}"
            cells.append(str(value).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_check_result(outcome: CheckOutcome, check_key: dg.AssetCheckKey) -> dg.AssetCheckResult:
    """An outcome as a Dagster asset check result: figures as metadata, offenders as tables."""
    details = outcome.details
    metadata: dict = {
        "summary": dg.MetadataValue.text(outcome.summary),
        "severity": dg.MetadataValue.text(outcome.severity),
        "threshold": _number(outcome.threshold),
        "observed_value": _number(outcome.observed_value),
    }
    for key in (
        "overall_tag_coverage",
        "overall_attributed_coverage",
        "lowest_tag_coverage",
        "lowest_attributed_coverage",
    ):
        if details.get(key) is not None:
            # Percent, as people read coverage.
            metadata[f"{key}_pct"] = dg.MetadataValue.float(round(100 * details[key], 3))
    for key in ("days_judged", "days_below_target", "days_too_small_to_judge", "rows"):
        if key in details:
            metadata[key] = dg.MetadataValue.int(int(details[key]))
    for key in ("top_offenders", "worst_days", "days_above_limit"):
        if key in details:
            metadata[key] = dg.MetadataValue.md(_md_table(details[key]))
    if details.get("problems"):
        metadata["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in details["problems"]))
    if "extra_columns" in details:
        metadata["extra_columns"] = dg.MetadataValue.json(details["extra_columns"])
    metadata["expectations"] = dg.MetadataValue.json(
        json.loads(json.dumps(details.get("expectations", []), default=str))
    )
    return dg.AssetCheckResult(
        asset_key=check_key.asset_key,
        check_name=check_key.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=outcome.summary,
    )


def _number(value: float | None) -> dg.MetadataValue:
    return dg.MetadataValue.float(value) if value is not None else dg.MetadataValue.text("-")


def _evaluate(
    context, great_expectations: GreatExpectationsResource, warehouse: Warehouse, keys: "list[dg.AssetCheckKey]"
):
    outcomes = run_checks(
        great_expectations, warehouse, [key.name for key in keys], run_id=context.op_execution_context.run_id
    )
    for key, outcome in zip(keys, outcomes, strict=True):
        log = (
            context.log.info
            if outcome.passed
            else (context.log.error if outcome.severity == "ERROR" else context.log.warning)
        )
        log(
            f"{key.name} on {key.asset_key.to_user_string()}: "
            f"{'passed' if outcome.passed else 'FAILED'} - {outcome.summary}"
        )
        yield to_check_result(outcome, key)


@dg.asset_check(
    asset=GCP_BILLING_EXPORT,
    name=suites.EXPORT_SCHEMA,
    blocking=True,
    description="GX: the export's required fields exist with their types and every row has them. Blocks dbt on ERROR.",
)
def export_schema_check(
    context: dg.AssetCheckExecutionContext, great_expectations: GreatExpectationsResource, warehouse: Warehouse
):
    return next(iter(_evaluate(context, great_expectations, warehouse, [EXPORT_SCHEMA_KEY])))


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            suites.TAG_COVERAGE,
            asset=COVERAGE,
            additional_deps=COVERAGE_FIGURES,
            # Blocking: an ERROR (when configured so) stops the publication of the build.
            blocking=True,
            description="GX: tag coverage per provider and day at or above target (tags; tags and rules).",
        ),
        dg.AssetCheckSpec(
            suites.UNALLOCATED_GROWTH,
            asset=COVERAGE,
            additional_deps=COVERAGE_FIGURES[:1],
            blocking=True,
            description="GX: the unallocated share of daily cost does not jump from one day to the next.",
        ),
    ],
    can_subset=True,
    name="gx_coverage_checks",
)
def coverage_checks(
    context: dg.AssetCheckExecutionContext, great_expectations: GreatExpectationsResource, warehouse: Warehouse
):
    # One step for both: the results table has one writer at a time.
    selected = [key for key in (TAG_COVERAGE_KEY, UNALLOCATED_GROWTH_KEY) if key in context.selected_asset_check_keys]
    yield from _evaluate(context, great_expectations, warehouse, selected)


quality_checks = [export_schema_check, coverage_checks]
