"""What the freshness tests share: definitions holding only the freshness checks, on a warehouse
file of the test's own and at a "now" of its choosing, and running one check or all of them."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from orchestration.freshness.asset_checks import FRESHNESS_CHECK_KEYS, build_export_freshness_checks
from orchestration.freshness.thresholds import FreshnessThresholds
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.jobs import FRESHNESS_JOB

# The rules of the dbt source YAML (test_freshness checks that they are).
THRESHOLDS = FreshnessThresholds(
    warn_after=timedelta(hours=36),
    error_after=timedelta(hours=72),
    future_tolerance=timedelta(hours=3),
    gap_window=timedelta(days=7),
)


def freshness_definitions(resources: dict, now: datetime | None) -> dg.Definitions:
    """The freshness checks with `resources`, a job per check (`only_<name>`) and the freshness job."""
    checks = build_export_freshness_checks(thresholds=THRESHOLDS, clock=lambda: now)
    only = [
        dg.define_asset_job(f"only_{key.name}", selection=dg.AssetSelection.checks(key)) for key in FRESHNESS_CHECK_KEYS
    ]
    freshness = dg.define_asset_job(
        FRESHNESS_JOB, selection=dg.AssetSelection.checks(*FRESHNESS_CHECK_KEYS), executor_def=dg.in_process_executor
    )
    return dg.Definitions(
        assets=[dg.AssetSpec(GCP_BILLING_EXPORT)], asset_checks=checks, jobs=[freshness, *only], resources=resources
    )


def evaluate(defs: dg.Definitions, check: str) -> dg.AssetCheckEvaluation:
    """Run one check, in a job of its own."""
    result = defs.resolve_job_def(f"only_{check}").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == check
    return evaluation


def evaluate_all(defs: dg.Definitions) -> dict[str, dg.AssetCheckEvaluation]:
    """Run the freshness job, as the schedule does: every check's evaluation by name."""
    result = defs.resolve_job_def(FRESHNESS_JOB).execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
