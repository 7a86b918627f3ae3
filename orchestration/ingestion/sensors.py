"""Watch the landing folder and load each new or changed extract once, until it has loaded.

The cursor remembers, per extract folder, the files' fingerprint and the run_key of the run last
requested for it. An extract counts as done only when that run succeeded: a run that failed or was
canceled (the warehouse was locked, the process was killed) is requested again on a later tick,
under a new run_key (Dagster never starts a run_key twice); one still queued or running is left to
finish; one that refused the extract's data is not retried until the extract's files change. A
repeated ingestion loads nothing twice: the loader skips files already loaded (by checksum).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.ingestion.assets import ingestion_run_config
from orchestration.ingestion.gcp_loader import discover_extracts
from orchestration.jobs import INGEST_JOB
from orchestration.processes import fail_dead_runs
from orchestration.resources import LandingFolder

SENSOR_NAME = "gcp_landing_folder_sensor"
# The tags Dagster gives a run a sensor requested.
RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
# The run of the latest request may still end well: the extract waits for it.
_PENDING = {
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
}


def extract_fingerprint(files) -> str:
    """Changes when a file of the extract is added, removed, rewritten or resized."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read_cursor(cursor: str | None) -> dict[str, dict]:
    """extract folder -> {"fingerprint", "run_key", "attempt"}, and "loaded" or "refused" once
    so. A cursor of the earlier form (extract -> fingerprint, the fingerprint being the run_key)
    is read as requested once, outcome unknown: each such run is looked up once more."""
    entries = json.loads(cursor) if cursor else {}
    return {
        extract: entry if isinstance(entry, dict) else {"fingerprint": entry, "run_key": entry, "attempt": 1}
        for extract, entry in entries.items()
    }


def _requested_run(instance: dg.DagsterInstance, run_key: str) -> dg.DagsterRun | None:
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=INGEST_JOB, tags={RUN_KEY_TAG: run_key, SENSOR_NAME_TAG: SENSOR_NAME}),
        limit=1,
    )
    return runs[0] if runs else None


def refused_its_input(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """Whether the ingestion failed by refusing the extract: the asset (assets.py) raises dg.Failure
    for bad input, with its `file`, `line` and `field` as metadata; the same files would only be
    refused again. A lock that did not come, a killed process, any other error: worth trying again."""
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        failure = record.dagster_event.step_failure_data.user_failure_data
        if failure is not None and "file" in failure.metadata:
            return True
    return False


@dg.sensor(
    name=SENSOR_NAME,
    job_name=INGEST_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Ingests each new or changed GCP export extract (a folder of shard files) that lands in the "
    "landing folder (CHARGEBACK_LANDING_DIR), and again each one whose ingestion failed, until it has loaded.",
)
def gcp_landing_folder_sensor(context: dg.SensorEvaluationContext, landing_folder: LandingFolder):
    landing_dir = Path(landing_folder.path)
    if not landing_dir.exists():
        return dg.SkipReason(f"landing folder {landing_dir} does not exist")
    # An ingestion whose process was killed stays STARTED: failed now, so it is requested again.
    for message in fail_dead_runs(context.instance):
        context.log.warning(message)
    extracts = read_cursor(context.cursor)
    requests = []
    # discover_extracts returns extracts in load order, so a partial extract of a day is
    # requested before its complete re-extract.
    for files in discover_extracts([landing_dir]):
        extract = str(files[0].parent)
        fingerprint = extract_fingerprint(files)
        entry = extracts.get(extract)
        if entry is not None and entry["fingerprint"] == fingerprint:
            if entry.get("loaded") or entry.get("refused"):
                continue
            run = _requested_run(context.instance, entry["run_key"])
            if run is not None and run.status == dg.DagsterRunStatus.SUCCESS:
                entry["loaded"] = True
                continue
            if run is not None and run.status in _PENDING:
                continue
            if run is not None and refused_its_input(context.instance, run):
                entry["refused"] = True
                context.log.warning(f"{extract}: run {run.run_id} refused it; not retried until its files change")
                continue
            attempt = entry["attempt"] + 1
            context.log.info(
                f"{extract}: run_key {entry['run_key']} "
                f"{'ended ' + run.status.value if run else 'has no run'}; requesting attempt {attempt}"
            )
        else:
            attempt = 1
        run_key = fingerprint if attempt == 1 else f"{fingerprint}-attempt-{attempt}"
        extracts[extract] = {"fingerprint": fingerprint, "run_key": run_key, "attempt": attempt}
        requests.append(dg.RunRequest(run_key=run_key, run_config=ingestion_run_config([str(f) for f in files])))
    cursor = json.dumps(extracts, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason="no new extracts, and none to retry", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)
