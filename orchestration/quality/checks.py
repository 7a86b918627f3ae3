"""The Great Expectations suites as Dagster asset checks.

Where each runs, and what it stops:

- `gx_export_schema` on the raw export: blocking. In build_job and the daily job it runs
  before dbt; an ERROR result stops the whole dbt graph (nothing downstream of the export is
  rebuilt). It is left out of ingest_gcp_job: a load is judged by the loader itself.
- `gx_money_conserved_before_marts` on int_cost_groups (the line items summed per cost group,
  with their signatures): blocking. The dbt project runs as two steps (the cost groups and the
  attribution, then the allocation and the marts), and this check sits between them: an ERROR result means the marts
  step never starts, so the published marts stay as they were.
- `gx_tag_coverage`, `gx_unallocated_growth` on fct_tag_coverage_daily and `gx_money_conserved`
  on fct_chargeback_monthly: one step after the marts (one writer for DuckDB). Coverage and
  growth WARN by default; the marts conservation is an ERROR by default (and dbt's own
  assert_gcp_cost_conserved test checks the same in dbt).

Every result carries its figures as metadata and is appended to quality.check_results.
"""

import json
from collections.abc import Iterable

import dagster as dg

from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.quality import suites
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.quality.results import CheckOutcome

COST_GROUPS = dg.AssetKey(["int_cost_groups"])
COVERAGE = dg.AssetKey(["fct_tag_coverage_daily"])
MONTHLY = dg.AssetKey(["fct_chargeback_monthly"])
LINE_ITEMS = dg.AssetKey(["fct_cost_line_items"])

EXPORT_SCHEMA_KEY = dg.AssetCheckKey(GCP_BILLING_EXPORT, suites.EXPORT_SCHEMA)
CONSERVED_BEFORE_MARTS_KEY = dg.AssetCheckKey(COST_GROUPS, suites.MONEY_CONSERVED_BEFORE_MARTS)
TAG_COVERAGE_KEY = dg.AssetCheckKey(COVERAGE, suites.TAG_COVERAGE)
UNALLOCATED_GROWTH_KEY = dg.AssetCheckKey(COVERAGE, suites.UNALLOCATED_GROWTH)
CONSERVED_KEY = dg.AssetCheckKey(MONTHLY, suites.MONEY_CONSERVED)
QUALITY_CHECK_KEYS = (EXPORT_SCHEMA_KEY, CONSERVED_BEFORE_MARTS_KEY, TAG_COVERAGE_KEY, UNALLOCATED_GROWTH_KEY,
                      CONSERVED_KEY)


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
        "threshold": dg.MetadataValue.float(outcome.threshold) if outcome.threshold is not None else dg.MetadataValue.text("-"),
        "observed_value": dg.MetadataValue.float(outcome.observed_value) if outcome.observed_value is not None else dg.MetadataValue.text("-"),
    }
    for key in ("overall_tag_coverage", "overall_attributed_coverage", "lowest_tag_coverage",
                "lowest_attributed_coverage"):
        if details.get(key) is not None:
            # Percent, as people read coverage.
            metadata[f"{key}_pct"] = dg.MetadataValue.float(round(100 * details[key], 3))
    for key in ("days_judged", "days_below_target", "days_too_small_to_judge", "groups", "rows"):
        if key in details:
            metadata[key] = dg.MetadataValue.int(int(details[key]))
    for key in ("top_offenders", "worst_days", "groups_differing", "days_above_limit"):
        if key in details:
            metadata[key] = dg.MetadataValue.md(_md_table(details[key]))
    if details.get("problems"):
        metadata["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in details["problems"]))
    if "extra_columns" in details:
        metadata["extra_columns"] = dg.MetadataValue.json(details["extra_columns"])
    metadata["expectations"] = dg.MetadataValue.json(json.loads(json.dumps(details.get("expectations", []), default=str)))
    return dg.AssetCheckResult(
        asset_key=check_key.asset_key,
        check_name=check_key.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=outcome.summary,
    )


def _run(context, great_expectations: GreatExpectationsResource, keys: Iterable[dg.AssetCheckKey]):
    keys = list(keys)
    outcomes = great_expectations.run([key.name for key in keys], run_id=context.op_execution_context.run_id)
    for key, outcome in zip(keys, outcomes):
        log = context.log.info if outcome.passed else (context.log.error if outcome.severity == "ERROR" else context.log.warning)
        log(f"{key.name} on {key.asset_key.to_user_string()}: {'passed' if outcome.passed else 'FAILED'} - {outcome.summary}")
        yield to_check_result(outcome, key)


@dg.asset_check(
    asset=GCP_BILLING_EXPORT,
    name=suites.EXPORT_SCHEMA,
    blocking=True,
    description="GX: the export's required fields exist with their types and every row has them. Blocks dbt on ERROR.",
)
def export_schema_check(context: dg.AssetCheckExecutionContext, great_expectations: GreatExpectationsResource):
    return next(iter(_run(context, great_expectations, [EXPORT_SCHEMA_KEY])))


@dg.asset_check(
    asset=COST_GROUPS,
    name=suites.MONEY_CONSERVED_BEFORE_MARTS,
    blocking=True,
    additional_deps=[GCP_BILLING_EXPORT],
    description=(
        "GX: per billing account, invoice month and currency, Σ(cost + credits) in the export = "
        "Σ billed_cost of the cost groups (the line items summed), before the marts are rebuilt. Blocks the marts on ERROR."
    ),
)
def money_conserved_before_marts_check(context: dg.AssetCheckExecutionContext,
                                       great_expectations: GreatExpectationsResource):
    return next(iter(_run(context, great_expectations, [CONSERVED_BEFORE_MARTS_KEY])))


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(suites.TAG_COVERAGE, asset=COVERAGE, additional_deps=[LINE_ITEMS],
                          description="GX: tag coverage per provider and day at or above target (tags; tags and rules)."),
        dg.AssetCheckSpec(suites.UNALLOCATED_GROWTH, asset=COVERAGE,
                          description="GX: the unallocated share of daily cost does not jump from one day to the next."),
        dg.AssetCheckSpec(suites.MONEY_CONSERVED, asset=MONTHLY, additional_deps=[GCP_BILLING_EXPORT, LINE_ITEMS],
                          description="GX: export = fct_cost_line_items = fct_chargeback_monthly per account, month, currency."),
    ],
    can_subset=True,
    name="gx_mart_checks",
)
def mart_checks(context: dg.AssetCheckExecutionContext, great_expectations: GreatExpectationsResource):
    # One step for the three: the results table has one writer at a time.
    selected = [key for key in (TAG_COVERAGE_KEY, UNALLOCATED_GROWTH_KEY, CONSERVED_KEY)
                if key in context.selected_asset_check_keys]
    yield from _run(context, great_expectations, selected)


quality_checks = [export_schema_check, money_conserved_before_marts_check, mart_checks]
