"""The Great Expectations resource: where the checks read, their thresholds and severities.

Thresholds default to the dbt vars in dbt_project.yml (`tag_coverage_min`,
`attributed_coverage_min`, `unallocated_share_max_increase`, `conservation_tolerance`), the
one place a user edits them; any field set here (resource config, or run config under
`resources.great_expectations.config`) wins for that run. Severities are per check: ERROR
fails the check's step, and a blocking check then stops what is downstream (the marts); WARN
records the failure and lets the run go on.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import dagster as dg
import pandas as pd
import yaml

from orchestration.environment import PROJECT_ROOT
from orchestration.quality import suites
from orchestration.quality.results import (
    RESULTS_SCHEMA,
    BigQueryResultsWriter,
    CheckOutcome,
    DuckDBResultsWriter,
)
from orchestration.quality.sql import DIALECTS, Relation

SEVERITIES = ("ERROR", "WARN")


def dbt_vars(project_dir: Path = PROJECT_ROOT) -> dict[str, Any]:
    return (yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}).get("vars") or {}


class GreatExpectationsResource(dg.ConfigurableResource):
    """Runs the data-quality suites against the warehouse and records what they find."""

    warehouse: str = "duckdb"
    """`duckdb` or `bigquery`."""
    duckdb_path: Optional[str] = None
    """The DuckDB warehouse file (local)."""
    bigquery_project: Optional[str] = None
    bigquery_dataset: Optional[str] = None
    """The dbt target's dataset: marts there, other layers in `<dataset>_<layer>`, results in `<dataset>_quality`."""
    bigquery_location: Optional[str] = None
    export_table: Optional[str] = None
    """BigQuery `project.dataset.table` of the billing export; default: the dbt vars gcp_billing_export_*."""
    gx_dir: Optional[str] = None
    """GX file context (suites, validation results, Data Docs); None: ephemeral, nothing kept."""

    tag_coverage_min: Optional[float] = None
    attributed_coverage_min: Optional[float] = None
    unallocated_share_max_increase: Optional[float] = None
    conservation_tolerance: Optional[float] = None
    coverage_min_line_items: Optional[int] = None

    export_schema_severity: str = "ERROR"
    conservation_severity: str = "ERROR"
    tag_coverage_severity: str = "WARN"
    unallocated_growth_severity: str = "WARN"
    record_results: bool = True
    """Append every outcome to the `quality.check_results` table."""

    # ---- configuration ----------------------------------------------------------------------
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
            conservation_tolerance=pick("conservation_tolerance", float),
            coverage_min_line_items=pick("coverage_min_line_items", int),
        )

    def severity(self, check_name: str) -> str:
        value = {
            suites.EXPORT_SCHEMA: self.export_schema_severity,
            suites.MONEY_CONSERVED: self.conservation_severity,
            suites.MONEY_CONSERVED_BEFORE_MARTS: self.conservation_severity,
            suites.TAG_COVERAGE: self.tag_coverage_severity,
            suites.UNALLOCATED_GROWTH: self.unallocated_growth_severity,
        }[check_name].upper()
        if value not in SEVERITIES:
            raise ValueError(f"severity of {check_name} must be one of {SEVERITIES}, got {value!r}")
        return value

    def relations(self) -> suites.Relations:
        if self.warehouse == "duckdb":
            return suites.Relations(
                export=Relation("raw", "gcp_billing_export_resource_v1"),
                cost_groups=Relation("intermediate", "int_cost_groups"),
                line_items=Relation("marts", "fct_cost_line_items"),
                monthly=Relation("marts", "fct_chargeback_monthly"),
                coverage=Relation("marts", "fct_tag_coverage_daily"),
            )
        if self.warehouse != "bigquery":
            raise ValueError(f"warehouse must be duckdb or bigquery, got {self.warehouse!r}")
        project, dataset = self.bigquery_project, self.bigquery_dataset
        if not project or not dataset:
            raise ValueError("the BigQuery checks need bigquery_project and bigquery_dataset (CHARGEBACK_BQ_PROJECT, _DATASET)")
        if self.export_table:
            parts = self.export_table.split(".")
            if len(parts) != 3:
                raise ValueError(f"export_table must be project.dataset.table, got {self.export_table!r}")
            export = Relation(parts[1], parts[2], parts[0])
        else:
            names = dbt_vars()
            export = Relation(names.get("gcp_billing_export_schema") or "raw",
                              names.get("gcp_billing_export_table") or "gcp_billing_export_resource_v1",
                              names.get("gcp_billing_export_database") or project)
        return suites.Relations(
            export=export,
            cost_groups=Relation(f"{dataset}_intermediate", "int_cost_groups", project),
            line_items=Relation(dataset, "fct_cost_line_items", project),
            monthly=Relation(dataset, "fct_chargeback_monthly", project),
            coverage=Relation(dataset, "fct_tag_coverage_daily", project),
        )

    # ---- warehouse access ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _duckdb(self) -> Iterator[Any]:
        import duckdb

        if not self.duckdb_path:
            raise ValueError("duckdb_path is not set")
        # DuckDB lets one process write at a time: another step (dbt, an ingestion) may hold
        # the file for a moment, so wait for it rather than fail the check.
        for attempt in range(30):
            try:
                con = duckdb.connect(self.duckdb_path)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or attempt == 29:
                    raise
                time.sleep(2)
        try:
            yield con
        finally:
            con.close()

    def _bigquery_client(self):
        from google.cloud import bigquery

        return bigquery.Client(project=self.bigquery_project, location=self.bigquery_location)

    def run(self, check_names: list[str], run_id: str, bigquery_client=None) -> list[CheckOutcome]:
        """Run the named checks (suites.* names) and record their outcomes; in that order."""
        validator = suites.GxValidator(Path(self.gx_dir) if self.gx_dir else None)
        dialect = DIALECTS[self.warehouse]
        relations, thresholds = self.relations(), self.thresholds()
        outcomes: list[CheckOutcome] = []
        with contextlib.ExitStack() as stack:
            if self.warehouse == "duckdb":
                con = stack.enter_context(self._duckdb())

                def query(text: str) -> pd.DataFrame:
                    return con.execute(text).df()
            else:
                client = bigquery_client or self._bigquery_client()

                def query(text: str) -> pd.DataFrame:
                    return client.query(text, location=self.bigquery_location).result().to_dataframe()

            for name in check_names:
                outcomes.append(_CHECKS[name](validator, query, dialect, relations, thresholds, self.severity(name)))
        if self.record_results:
            rows = [outcome.row(run_id, self.warehouse) for outcome in outcomes]
            self.results_writer(bigquery_client).append(rows)
        return outcomes

    def results_writer(self, bigquery_client=None):
        if self.warehouse == "duckdb":
            return DuckDBResultsWriter(self._duckdb)
        return BigQueryResultsWriter(
            bigquery_client or self._bigquery_client(), self.bigquery_project,
            f"{self.bigquery_dataset}_{RESULTS_SCHEMA}", self.bigquery_location,
        )

    def build_data_docs(self) -> str | None:
        if not self.gx_dir:
            return None
        return suites.GxValidator(Path(self.gx_dir)).build_data_docs()


_CHECKS = {
    suites.EXPORT_SCHEMA: suites.check_export_schema,
    suites.TAG_COVERAGE: suites.check_tag_coverage,
    suites.UNALLOCATED_GROWTH: suites.check_unallocated_growth,
    suites.MONEY_CONSERVED: lambda *a: suites.check_money_conserved(*a, before_marts=False),
    suites.MONEY_CONSERVED_BEFORE_MARTS: lambda *a: suites.check_money_conserved(*a, before_marts=True),
}
