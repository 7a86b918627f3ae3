"""The Great Expectations resource: the checks' thresholds, severities and GX project.

Thresholds default to the dbt vars in dbt_project.yml (`tag_coverage_min`,
`attributed_coverage_min`, `unallocated_share_max_increase`, `coverage_min_line_items`), the one
place a user edits them; any field set here (resource config, or run config under
`resources.great_expectations.config`) wins for that run. Severities are per check: ERROR fails the
check's step, and a blocking check then stops what is downstream; WARN records the failure and
lets the run go on. Where the checks read is the `warehouse` resource's business.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from orchestration.quality import suites
from orchestration.settings import PROJECT_ROOT

SEVERITIES = ("ERROR", "WARN")


def dbt_vars(project_dir: Path = PROJECT_ROOT) -> dict[str, Any]:
    return (yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}).get("vars") or {}


class GreatExpectationsResource(dg.ConfigurableResource):
    """How strict the data-quality suites are, and where GX keeps what they found."""

    gx_dir: str | None = None
    """GX file context (suites, validation results, Data Docs); None: ephemeral, nothing kept."""

    tag_coverage_min: float | None = None
    attributed_coverage_min: float | None = None
    unallocated_share_max_increase: float | None = None
    coverage_min_line_items: int | None = None

    export_schema_severity: str = "ERROR"
    tag_coverage_severity: str = "WARN"
    unallocated_growth_severity: str = "WARN"
    record_results: bool = True
    """Append every outcome to the `check_results` table beside the quality models."""

    def thresholds(self) -> suites.Thresholds:
        defaults = suites.Thresholds()
        project = dbt_vars()

        def pick(name: str, cast):
            value = getattr(self, name)
            if value is None:
                value = project.get(name, getattr(defaults, name))
            return cast(value)

        return suites.Thresholds(
            tag_coverage_min=pick("tag_coverage_min", float),
            attributed_coverage_min=pick("attributed_coverage_min", float),
            unallocated_share_max_increase=pick("unallocated_share_max_increase", float),
            coverage_min_line_items=pick("coverage_min_line_items", int),
        )

    def severity(self, check_name: str) -> str:
        value = {
            suites.EXPORT_SCHEMA: self.export_schema_severity,
            suites.TAG_COVERAGE: self.tag_coverage_severity,
            suites.UNALLOCATED_GROWTH: self.unallocated_growth_severity,
        }[check_name].upper()
        if value not in SEVERITIES:
            raise ValueError(f"severity of {check_name} must be one of {SEVERITIES}, got {value!r}")
        return value

    def validator(self) -> suites.GxValidator:
        return suites.GxValidator(Path(self.gx_dir) if self.gx_dir else None)

    def build_data_docs(self) -> str | None:
        if not self.gx_dir:
            return None
        return self.validator().build_data_docs()
