"""Is the GCP billing export still arriving? Freshness of the data, checked in Dagster.

Two asset checks on the export asset (``gcp_billing_export/detailed_usage_cost``), run by
``gcp_export_freshness_job`` every hour (``gcp_export_freshness_schedule``, on by default in
``dagster dev``), by ``chargeback freshness`` and after ``chargeback build``:

* ``export_time_freshness``: the newest ``export_time`` in the export (DuckDB:
  ``raw.gcp_billing_export_resource_v1``; BigQuery: the export table, read in place) against
  now. Passes within ``warn_after``; fails with severity WARN beyond it and ERROR beyond
  ``error_after``. Its metadata says the newest export_time, the lag in hours and the
  thresholds, so the Dagster UI shows how stale the data is, not only that it is.
* ``dbt_source_freshness``: ``dbt source freshness`` of the same source, its pass / warn /
  error turned into the check's result, so the freshness block of
  ``models/staging/gcp_billing_export/_gcp_billing_export__sources.yml`` is run, not only
  declared.

Both use the thresholds of that dbt freshness block (read from the manifest), so dbt and
Dagster cannot disagree about what "stale" means; the YAML is the one place to change them.

Why a check of our own rather than Dagster's built-in freshness (checked in Dagster 1.13.27):

* ``dg.build_last_update_freshness_checks`` (+ ``dg.build_sensor_for_freshness_checks``) and
  the newer ``dg.FreshnessPolicy.time_window(fail_window=, warn_window=)`` measure how long ago
  the asset was last *materialized* (the freshness policy only looks at the last
  materialization; the check factory also accepts a ``dagster/last_updated_timestamp``
  metadata value). A stalled export does not stop our materializations: the daily schedule
  ingests the landing folder every morning and materializes the asset even when no new
  extract has arrived (every file skipped, 0 rows loaded), so a materialization-based check
  stays green while the data gets older. On BigQuery the export is an external asset that is
  never materialized at all, so those checks could only ever say "unknown" or "overdue".
* What says whether Google is still exporting is the data: ``max(export_time)``. Google
  appends rows with the time it wrote them, several times a day, and never updates a row, so
  that maximum only moves while the export works.
* Our check gives the two levels the dbt block declares (WARN, then ERROR) as one check, and
  puts the figures in its metadata. A schedule runs it; Dagster's freshness sensor only knows
  how to evaluate the built-in checks.
"""

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from orchestration.environment import current_environment
from orchestration.ingestion.assets import GCP_BILLING_EXPORT
from orchestration.ingestion.gcp_schema import RAW_SCHEMA, RAW_TABLE
from orchestration.resources import DuckDBWarehouse

SOURCE_UNIQUE_ID = "source.ai_chargeback.gcp_billing_export.detailed_usage_cost"
SOURCE_SELECTOR = "source:gcp_billing_export.detailed_usage_cost"
EXPORT_TIME_CHECK = "export_time_freshness"
DBT_SOURCE_CHECK = "dbt_source_freshness"
FRESHNESS_JOB_NAME = "gcp_export_freshness_job"
# Jobs that write the local DuckDB file; a freshness run started while one runs would fail on
# DuckDB's single-writer lock, so the schedule skips that tick (the next hour checks again).
WAREHOUSE_WRITING_JOBS = ("ingest_gcp_job", "build_job", "daily_chargeback_job")

# Used only when the dbt source has no freshness block (the sources YAML says why these).
DEFAULT_WARN_AFTER = timedelta(hours=36)
DEFAULT_ERROR_AFTER = timedelta(hours=72)

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its log lines, even as JSON
_PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class FreshnessThresholds:
    warn_after: timedelta
    error_after: timedelta

    def __post_init__(self) -> None:
        if self.warn_after <= timedelta(0) or self.error_after < self.warn_after:
            raise ValueError(
                f"freshness thresholds need 0 < warn_after <= error_after, got {self.warn_after} and {self.error_after}"
            )


def _period(criterion: Mapping[str, Any] | None, where: str) -> timedelta | None:
    """A dbt `{count: N, period: hour}` as a timedelta (None when dbt leaves it unset)."""
    if not criterion or criterion.get("count") is None:
        return None
    period = criterion.get("period")
    if period not in _PERIODS:
        raise ValueError(f"{where}: freshness period must be one of {sorted(_PERIODS)}, got {period!r}")
    return int(criterion["count"]) * _PERIODS[period]


def thresholds_from_manifest(manifest: Mapping[str, Any], unique_id: str = SOURCE_UNIQUE_ID) -> FreshnessThresholds:
    """The warn/error lags of the dbt source's freshness block, as dbt resolved them."""
    where = f"dbt source {unique_id} (models/staging/gcp_billing_export/_gcp_billing_export__sources.yml)"
    source = manifest.get("sources", {}).get(unique_id)
    if source is None:
        raise ValueError(f"{where} is not in the dbt manifest")
    freshness = source.get("freshness") or source.get("config", {}).get("freshness") or {}
    warn = _period(freshness.get("warn_after"), f"{where} warn_after")
    error = _period(freshness.get("error_after"), f"{where} error_after")
    # A block with one level still alerts: only error_after means no warning stage (warn at the
    # same lag, as dbt goes straight to error); only warn_after escalates to ERROR at the later
    # of 72 h and warn_after (dbt would never error; a stall must end as an error here).
    warn = warn or error or DEFAULT_WARN_AFTER
    error = error or max(warn, DEFAULT_ERROR_AFTER)
    return FreshnessThresholds(warn_after=warn, error_after=error)


def _manifest() -> Mapping[str, Any]:
    import json

    from orchestration.transform.project import dbt_project

    return json.loads(Path(dbt_project.manifest_path).read_text())


def default_thresholds() -> FreshnessThresholds:
    return thresholds_from_manifest(_manifest())


# --------------------------------------------------------------------------- reading the data

@dataclass(frozen=True)
class ExportTimeReading:
    relation: str
    row_count: int
    newest_export_time: datetime | None  # timezone-aware UTC; None when the table has no rows


class WarehouseUnavailable(Exception):
    """The table cannot be read at all (no warehouse file, no table): reported as a failed check."""


def newest_export_time_sql(relation: str) -> str:
    # Portable: the same statement runs on DuckDB and BigQuery; only the relation's quoting differs.
    return f"select max(export_time) as newest_export_time, count(*) as row_count from {relation}"


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    # The local raw table stores naive UTC (see gcp_schema.py); BigQuery returns aware UTC.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def read_duckdb(path: Path, attempts: int = 3, wait_seconds: float = 5.0) -> ExportTimeReading:
    relation = f"{RAW_SCHEMA}.{RAW_TABLE}"
    if not path.exists():
        raise WarehouseUnavailable(
            f"the warehouse file {path} does not exist: nothing has been ingested yet (run `chargeback ingest gcp`)"
        )
    for attempt in range(attempts):
        try:
            # Read-only: the check must never take the writer's lock or change the file.
            with duckdb.connect(str(path), read_only=True) as con:
                exists = con.execute(
                    "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                    [RAW_SCHEMA, RAW_TABLE],
                ).fetchone()[0]
                if not exists:
                    raise WarehouseUnavailable(
                        f"{relation} does not exist in {path}: nothing has been ingested yet (run `chargeback ingest gcp`)"
                    )
                newest, rows = con.execute(newest_export_time_sql(relation)).fetchone()
            return ExportTimeReading(relation=f"{path}:{relation}", row_count=int(rows), newest_export_time=_as_utc(newest))
        except duckdb.IOException as error:
            # Another process (an ingestion, dbt) holds DuckDB's write lock: wait a little, then
            # give up with the reason rather than report stale data that was merely busy.
            if "lock" not in str(error).lower() or attempt == attempts - 1:
                raise
            time.sleep(wait_seconds)
    raise AssertionError("unreachable")


def bigquery_relation(manifest: Mapping[str, Any], unique_id: str = SOURCE_UNIQUE_ID) -> str:
    """The export table as dbt resolved it for the bigquery target (vars gcp_billing_export_*)."""
    source = manifest["sources"][unique_id]
    return source.get("relation_name") or f"`{source['database']}`.`{source['schema']}`.`{source['identifier']}`"


def read_bigquery(client: Any, relation: str) -> ExportTimeReading:
    """`client` is a google.cloud.bigquery.Client (or anything with the same `query`)."""
    from google.api_core.exceptions import NotFound

    try:
        rows = list(client.query(newest_export_time_sql(relation)).result())
    except NotFound as missing:
        # A wrong gcp_billing_export_* var, or the export was never enabled.
        raise WarehouseUnavailable(f"{relation} not found on BigQuery: {missing.message}") from None
    if not rows:
        raise WarehouseUnavailable(f"{relation}: the freshness query returned no row")
    row = rows[0]
    return ExportTimeReading(
        relation=relation, row_count=int(row["row_count"]), newest_export_time=_as_utc(row["newest_export_time"])
    )


def _bigquery_client() -> Any:
    from google.cloud import bigquery

    # Credentials: application default credentials, as for dbt (see README "BigQuery").
    return bigquery.Client(
        project=os.environ.get("CHARGEBACK_BQ_PROJECT"), location=os.environ.get("CHARGEBACK_BQ_LOCATION", "US")
    )


# --------------------------------------------------------------------------- the verdict

def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def export_time_result(
    reading: ExportTimeReading, now: datetime, thresholds: FreshnessThresholds
) -> dg.AssetCheckResult:
    """Pass within warn_after of now; WARN beyond it; ERROR beyond error_after or with no rows."""
    metadata: dict[str, Any] = {
        "relation": reading.relation,
        "row_count": dg.MetadataValue.int(reading.row_count),
        "checked_at": dg.MetadataValue.timestamp(now),
        "warn_after_hours": dg.MetadataValue.float(_hours(thresholds.warn_after)),
        "error_after_hours": dg.MetadataValue.float(_hours(thresholds.error_after)),
    }
    if reading.newest_export_time is None:
        return dg.AssetCheckResult(
            check_name=EXPORT_TIME_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"{reading.relation} has no rows with an export_time: the export has not delivered anything yet",
            metadata=metadata,
        )
    lag = now - reading.newest_export_time
    metadata["newest_export_time"] = dg.MetadataValue.timestamp(reading.newest_export_time)
    metadata["lag_hours"] = dg.MetadataValue.float(_hours(lag))
    newest = reading.newest_export_time.strftime("%Y-%m-%d %H:%M:%S UTC")
    if lag > thresholds.error_after:
        severity, threshold, verdict = dg.AssetCheckSeverity.ERROR, thresholds.error_after, "stalled"
    elif lag > thresholds.warn_after:
        severity, threshold, verdict = dg.AssetCheckSeverity.WARN, thresholds.warn_after, "late"
    else:
        # A newest row in the future (generated data, clock skew) is fresh, and said so.
        ahead = " (in the future: check the clocks)" if lag < timedelta(0) else ""
        return dg.AssetCheckResult(
            check_name=EXPORT_TIME_CHECK,
            passed=True,
            description=f"newest export_time {newest}, {_hours(lag)} h ago{ahead}",
            metadata=metadata,
        )
    metadata["threshold_hours"] = dg.MetadataValue.float(_hours(threshold))
    return dg.AssetCheckResult(
        check_name=EXPORT_TIME_CHECK,
        passed=False,
        severity=severity,
        description=(
            f"export {verdict}: newest export_time {newest} is {_hours(lag)} h old, "
            f"more than {_hours(threshold)} h ({'error' if severity == dg.AssetCheckSeverity.ERROR else 'warn'}_after)"
        ),
        metadata=metadata,
    )


def dbt_freshness_result(sources_json: Mapping[str, Any] | None, errors: list[str]) -> dg.AssetCheckResult:
    """The result of `dbt source freshness` for our source as a check result.

    dbt's `pass` passes; `warn` fails with WARN; `error` and `runtime error` fail with ERROR.
    dbt reports an empty table as max_loaded_at 0001-01-01, said here in words."""
    results = [r for r in (sources_json or {}).get("results", []) if r.get("unique_id") == SOURCE_UNIQUE_ID]
    if not results:
        detail = "; ".join(errors) or "no result for the source in sources.json"
        return dg.AssetCheckResult(
            check_name=DBT_SOURCE_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"dbt source freshness could not evaluate {SOURCE_SELECTOR}: {detail}",
            metadata={"dbt_errors": dg.MetadataValue.json(errors)},
        )
    result = results[0]
    status = result.get("status", "runtime error")
    criteria = result.get("criteria") or {}
    metadata: dict[str, Any] = {
        "dbt_status": status,
        "criteria": dg.MetadataValue.json(criteria),
    }
    max_loaded_at = result.get("max_loaded_at")
    never_loaded = not max_loaded_at or str(max_loaded_at).startswith("0001-01-01")
    if not never_loaded:
        metadata["max_loaded_at"] = str(max_loaded_at)
        metadata["lag_hours"] = dg.MetadataValue.float(round(float(result.get("max_loaded_at_time_ago_in_s", 0)) / 3600, 2))
    if result.get("snapshotted_at"):
        metadata["snapshotted_at"] = str(result["snapshotted_at"])
    if status == "pass":
        return dg.AssetCheckResult(
            check_name=DBT_SOURCE_CHECK, passed=True,
            description=f"dbt source freshness: pass (max export_time {max_loaded_at})", metadata=metadata,
        )
    severity = dg.AssetCheckSeverity.WARN if status == "warn" else dg.AssetCheckSeverity.ERROR
    if status in ("warn", "error"):
        what = "the source has no rows" if never_loaded else (
            f"max export_time {max_loaded_at} is {metadata['lag_hours'].value} h old"
        )
        lags = ", ".join(
            f"{level} {criteria[level]['count']} {criteria[level]['period']}s"
            for level in ("warn_after", "error_after")
            if (criteria.get(level) or {}).get("count") is not None
        )
        detail = f"{what} ({lags})" if lags else what
    else:  # runtime error: dbt's own words (a missing table, a lock, credentials)
        detail = result.get("message") or "; ".join(errors) or "no message"
    return dg.AssetCheckResult(
        check_name=DBT_SOURCE_CHECK,
        passed=False,
        severity=severity,
        description=f"dbt source freshness: {status}: {detail}",
        metadata=metadata,
    )


# --------------------------------------------------------------------------- the Dagster checks

def build_export_freshness_checks(
    thresholds: FreshnessThresholds | None = None,
    clock: Clock = utc_now,
    dbt_target: str | None = None,
    bigquery_client_factory: Callable[[], Any] = _bigquery_client,
) -> list[dg.AssetChecksDefinition]:
    """The two freshness checks on the GCP export asset.

    `thresholds` default to the dbt source's freshness block; `clock` is injectable so tests
    (and generated data with its own calendar) decide what "now" is; `dbt_target` defaults to
    the environment's (`duckdb` reads the local raw table, `bigquery` the export in place)."""
    thresholds = thresholds or default_thresholds()
    target = dbt_target or current_environment().dbt_target
    description_lags = f"warn after {_hours(thresholds.warn_after)} h, error after {_hours(thresholds.error_after)} h"

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=EXPORT_TIME_CHECK,
        description=(
            f"The newest export_time in the export against now ({description_lags}): "
            "notices a stalled export even when ingestion still runs."
        ),
        blocking=False,
    )
    def export_time_freshness(context: dg.AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> dg.AssetCheckResult:
        try:
            if target == "bigquery":
                reading = read_bigquery(bigquery_client_factory(), bigquery_relation(_manifest()))
            else:
                reading = read_duckdb(Path(warehouse.path))
        except WarehouseUnavailable as missing:
            return dg.AssetCheckResult(
                check_name=EXPORT_TIME_CHECK, passed=False, severity=dg.AssetCheckSeverity.ERROR,
                description=str(missing),
            )
        result = export_time_result(reading, clock(), thresholds)
        (context.log.info if result.passed else context.log.warning)(f"{EXPORT_TIME_CHECK}: {result.description}")
        return result

    @dg.asset_check(
        asset=GCP_BILLING_EXPORT,
        name=DBT_SOURCE_CHECK,
        description=f"`dbt source freshness --select {SOURCE_SELECTOR}` (loaded_at_field export_time; {description_lags}).",
        blocking=False,
    )
    def dbt_source_freshness(
        context: dg.AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse
    ) -> dg.AssetCheckResult:
        if target != "bigquery" and not Path(warehouse.path).exists():
            # dbt-duckdb would create an empty file; say what is wrong instead.
            return dg.AssetCheckResult(
                check_name=DBT_SOURCE_CHECK, passed=False, severity=dg.AssetCheckSeverity.ERROR,
                description=f"the warehouse file {warehouse.path} does not exist: nothing has been ingested yet",
            )
        # Not passed `context`: that ties the invocation to @dbt_assets; this is a plain command.
        # One stable target folder (not dagster-dbt's fresh one per run), so dbt re-parses the
        # project only when it changed: a full parse costs more than the query itself.
        invocation = dbt.cli(
            ["source", "freshness", "--select", SOURCE_SELECTOR],
            raise_on_error=False,
            target_path=Path("target") / "source_freshness",
        )
        errors = [
            _ANSI.sub("", str(event.raw_event["info"].get("msg", ""))).strip()
            for event in invocation.stream_raw_events()
            if event.raw_event.get("info", {}).get("level") == "error"
        ]
        try:
            sources_json = invocation.get_artifact("sources.json")
        except FileNotFoundError:
            sources_json = None
        result = dbt_freshness_result(sources_json, errors)
        (context.log.info if result.passed else context.log.warning)(f"{DBT_SOURCE_CHECK}: {result.description}")
        return result

    return [export_time_freshness, dbt_source_freshness]


def freshness_check_keys() -> list[dg.AssetCheckKey]:
    return [dg.AssetCheckKey(GCP_BILLING_EXPORT, name) for name in (EXPORT_TIME_CHECK, DBT_SOURCE_CHECK)]


def build_freshness_job():
    # Only the checks: the export asset itself is not materialized by this job.
    return dg.define_asset_job(
        FRESHNESS_JOB_NAME,
        selection=dg.AssetSelection.checks(*freshness_check_keys()),
        description="Is the GCP export still arriving? The newest export_time and dbt source freshness.",
        # One check after the other: dbt-duckdb opens the file for writing, which DuckDB
        # refuses while the other check holds it open (the multiprocess default runs both at once).
        executor_def=dg.in_process_executor,
    )


def build_freshness_schedule(job, skip_while_writing: bool = True) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="gcp_export_freshness_schedule",
        job=job,
        cron_schedule="20 * * * *",
        execution_timezone="UTC",
        # Monitoring that is off notices nothing; the checks only read.
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every hour: is the GCP export still arriving?",
    )
    def gcp_export_freshness_schedule(context: dg.ScheduleEvaluationContext):
        if skip_while_writing:
            busy = context.instance.get_runs(
                filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]),
                limit=50,
            )
            writing = sorted({run.job_name for run in busy if run.job_name in WAREHOUSE_WRITING_JOBS})
            if writing:
                return dg.SkipReason(f"{', '.join(writing)} is writing the local warehouse; the next tick checks")
        return dg.RunRequest()

    return gcp_export_freshness_schedule


# --------------------------------------------------------------------------- the CLI's report

def report_export_freshness(
    instance: dg.DagsterInstance, print_fn: Callable[[str], None] = print, defs: dg.Definitions | None = None
) -> int:
    """Run the freshness job headless (the schedule's code path) and print each check's verdict.

    Returns 1 when a check failed with severity ERROR or could not run, else 0 (WARN is printed
    but does not fail: the export may just be a little late)."""
    if defs is None:
        from orchestration.definitions import defs

    result = defs.resolve_job_def(FRESHNESS_JOB_NAME).execute_in_process(instance=instance, raise_on_error=False)
    status = 0 if result.success else 1
    evaluations = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    for name in (EXPORT_TIME_CHECK, DBT_SOURCE_CHECK):
        evaluation = evaluations.get(name)
        if evaluation is None:
            print_fn(f"[chargeback] freshness {name}: did not run (see run {result.run_id})")
            status = 1
            continue
        verdict = "PASS" if evaluation.passed else evaluation.severity.value
        print_fn(f"[chargeback] freshness {name}: {verdict} - {evaluation.description}")
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            status = 1
    return status
